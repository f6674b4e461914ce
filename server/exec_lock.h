// Two levels of locking keep commands atomic without a global lock on the hot path:
//
//  1. ExecLock, a "big-reader" lock with one mutex per worker thread. An ordinary command takes
//     only its own worker's mutex (uncontended: the cache line never leaves that core). A command
//     that must see or change the whole keyspace at once (FLUSHALL, SWAPDB, an EXEC that contains
//     such commands) takes every worker's mutex, which waits for the commands in flight to finish
//     and keeps new ones out.
//  2. Shard mutexes, taken by ordinary commands for the shards their keys hash to, always in
//     (database, shard) order, so MSET/RENAME/EXEC over several shards are atomic and cannot
//     deadlock. An exclusive command takes no shard mutex: nobody else is running.
//
// A script past busy-reply-threshold serves its worker's other clients from inside the Lua hook
// (Dispatcher::PollWhileScriptBusy) while this thread holds the lock exclusively. The few
// commands allowed then (WATCH, UNWATCH, ...) must not wait for the lock their own thread holds:
// on that thread the shared lock is a no-op (the script is paused, nobody else runs), and
// background work that tries the lock (active expiry) is told to come back later.
#ifndef STASH_SERVER_EXEC_LOCK_H_
#define STASH_SERVER_EXEC_LOCK_H_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "storage/keyspace.h"

namespace stash::server {

class ExecLock {
 public:
  explicit ExecLock(int slots) : slots_(new Slot[slots]), count_(slots) {}
  void LockShared(int slot) {
    if (!held_here_) slots_[slot].mu.lock();
  }
  void UnlockShared(int slot) {
    if (!held_here_) slots_[slot].mu.unlock();
  }
  // For background work that can simply come back later (active expiry): never waits.
  bool TryLockShared(int slot) { return !held_here_ && slots_[slot].mu.try_lock(); }
  // Always in slot order, so two exclusive lockers cannot deadlock.
  void LockExclusive() {
    for (int i = 0; i < count_; ++i) slots_[i].mu.lock();
    held_here_ = true;
  }
  void UnlockExclusive() {
    held_here_ = false;
    for (int i = count_ - 1; i >= 0; --i) slots_[i].mu.unlock();
  }
  // True on the thread that holds the lock exclusively (a script serving events while busy).
  static bool HeldExclusivelyHere() { return held_here_; }

  // The same, for while a script may be running: instead of waiting for as long as it runs,
  // give up (false, nothing held) once busy() says the script is past busy-reply-threshold, so
  // the worker can answer BUSY and keep serving its other clients (SCRIPT KILL among them).
  template <class Busy>
  bool LockSharedUnlessBusy(int slot, Busy busy) {
    return held_here_ || LockUnlessBusy(slots_[slot].mu, busy);
  }
  template <class Busy>
  bool LockExclusiveUnlessBusy(Busy busy) {
    if (held_here_) return false;  // never nested: it would wait for itself
    for (int i = 0; i < count_; ++i) {
      if (!LockUnlessBusy(slots_[i].mu, busy)) {
        for (int j = i - 1; j >= 0; --j) slots_[j].mu.unlock();
        return false;
      }
    }
    held_here_ = true;
    return true;
  }

 private:
  static inline thread_local bool held_here_ = false;
  template <class Busy>
  static bool LockUnlessBusy(std::timed_mutex& mu, Busy busy) {
    if (mu.try_lock()) return true;
    while (!mu.try_lock_for(std::chrono::milliseconds(2))) {
      if (busy()) return false;
    }
    return true;
  }
  struct alignas(64) Slot {
    std::timed_mutex mu;  // timed only for the BUSY path; lock/unlock cost as std::mutex
  };
  std::unique_ptr<Slot[]> slots_;
  int count_;
};

// The set of shards one command (or one EXEC) needs, locked in a fixed order. Most commands
// name one to a few keys, so the set lives inline and the hot path does not allocate.
class ShardLockSet {
 public:
  explicit ShardLockSet(storage::Keyspace& keyspace) : keyspace_(keyspace) {}
  ShardLockSet(const ShardLockSet&) = delete;
  ShardLockSet& operator=(const ShardLockSet&) = delete;
  ~ShardLockSet() { Unlock(); }

  void Add(int db, size_t shard) {
    uint32_t id = (static_cast<uint32_t>(db) << 16) | static_cast<uint32_t>(shard);
    if (!overflow_.empty() || size_ == kInline) {
      if (overflow_.empty()) overflow_.assign(inline_, inline_ + size_);
      overflow_.push_back(id);
    } else {
      inline_[size_] = id;
    }
    ++size_;
  }
  void Lock() {
    uint32_t* ids = data();
    if (size_ == 1) {  // most commands name one key: nothing to order
      Shard(ids[0]).mutex().lock();
      locked_ = true;
      return;
    }
    std::sort(ids, ids + size_);
    size_ = static_cast<size_t>(std::unique(ids, ids + size_) - ids);
    if (!overflow_.empty()) overflow_.resize(size_);
    for (size_t i = 0; i < size_; ++i) Shard(ids[i]).mutex().lock();
    locked_ = true;
  }
  void Unlock() {
    if (!locked_) return;
    uint32_t* ids = data();
    for (size_t i = size_; i > 0; --i) Shard(ids[i - 1]).mutex().unlock();
    locked_ = false;
  }
  void Clear() {
    Unlock();
    size_ = 0;
    overflow_.clear();
  }
  bool empty() const { return size_ == 0; }

 private:
  static constexpr size_t kInline = 8;
  uint32_t* data() { return overflow_.empty() ? inline_ : overflow_.data(); }
  storage::Shard& Shard(uint32_t id) {
    return keyspace_.db(static_cast<int>(id >> 16)).shard(id & 0xffff);
  }
  storage::Keyspace& keyspace_;
  uint32_t inline_[kInline];
  std::vector<uint32_t> overflow_;
  size_t size_ = 0;
  bool locked_ = false;
};

}  // namespace stash::server

#endif  // STASH_SERVER_EXEC_LOCK_H_
