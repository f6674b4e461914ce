// Frees detached values on a background thread, so UNLINK of a big collection and FLUSHALL ASYNC
// answer in O(1) instead of walking millions of allocations on the command path (Redis's
// lazyfree bio thread). Callers detach the value under their locks and hand it over; the thread
// owns it from then on and nothing else can reach it.
#ifndef STASH_STORAGE_LAZY_FREE_H_
#define STASH_STORAGE_LAZY_FREE_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "storage/shard.h"
#include "storage/value.h"

namespace stash::storage {

class LazyFreer {
 public:
  LazyFreer() = default;
  LazyFreer(const LazyFreer&) = delete;
  LazyFreer& operator=(const LazyFreer&) = delete;
  // Frees whatever is still queued, then stops the thread.
  ~LazyFreer();

  void Free(std::unique_ptr<CollectionValue> object);
  // A shard whose contents were swapped out of the keyspace (FLUSHDB/FLUSHALL ASYNC).
  void Free(std::unique_ptr<Shard> shard);

  // Whether freeing obj inline would cost more than handing it over: compact encodings are a
  // single allocation; the others hold one (or more) per element. Redis's threshold is 64
  // elements of effort; past the compact thresholds (128 entries by default) every value is
  // over it, so the encoding plus a size floor is a faithful test.
  static bool WorthIt(const CollectionValue& obj);

  // INFO: lazyfree_pending_objects, lazyfreed_objects.
  uint64_t pending() const { return pending_.load(std::memory_order_relaxed); }
  uint64_t freed() const { return freed_.load(std::memory_order_relaxed); }
  // Waits until everything queued so far has been freed (tests, DEBUG-style barriers).
  void Drain();

 private:
  struct Job {
    std::unique_ptr<CollectionValue> object;
    std::unique_ptr<Shard> shard;
  };
  void Enqueue(Job job);
  void Run();

  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Job> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;  // started on the first job
  std::atomic<uint64_t> pending_{0};
  std::atomic<uint64_t> freed_{0};
};

}  // namespace stash::storage

#endif  // STASH_STORAGE_LAZY_FREE_H_
