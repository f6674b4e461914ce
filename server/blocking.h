// Clients blocked on keys (BLPOP, BRPOP, BLMOVE, BLMPOP, BZPOPMIN, ...), served in the order
// they blocked, by whichever worker thread makes a key ready.
//
// How a client blocks: its command finds nothing to pop while holding the key's shard lock, and
// registers a Waiter here before releasing that lock. A command that pushes to a key holds the
// same shard lock, so it either ran before (and the blocking command found the data) or sees
// the waiter and records the key as ready (Dispatcher::SignalKeyReady). After the pushing
// command has released its locks, the dispatcher serves the ready keys: it locks the shards
// the waiters need (in the usual order, then this registry) and lets the oldest waiter pop.
// The reply is built in the serving thread, in the waiter's protocol, and posted to the
// waiter's own worker, which writes it and resumes reading that client's commands.
//
// Timeouts, CLIENT UNBLOCK and disconnects remove a waiter under the registry lock; whoever
// removes it first (server, timer, unblock) owns its reply, so a client is answered once.
#ifndef STASH_SERVER_BLOCKING_H_
#define STASH_SERVER_BLOCKING_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "protocol/reply_builder.h"
#include "storage/keyspace.h"

namespace stash::server {

struct Waiter {
  uint64_t client_id = 0;
  int db = 0;
  bool resp3 = false;
  std::vector<std::string> keys;  // the keys it waits on, in the command's order
  // Keys other than `keys` whose shards must be locked to serve it (BLMOVE's destination).
  std::vector<std::string> extra_keys;
  // Tries to serve the waiter from `key`. Called with the shards of `key` and of extra_keys
  // locked. Writes the reply and returns true when it popped something.
  std::function<bool(storage::Database& db, const std::string& key, int64_t now_ms,
                      protocol::ReplyBuilder& reply)>
      serve;
  // Hands a finished reply to the client's connection (posts to its worker).
  std::function<void(std::string reply)> deliver;
  // What the client gets when its timeout passes (a null array or null bulk, in its protocol).
  std::string timeout_reply;
  bool done = false;  // guarded by the registry mutex
};

class BlockingRegistry {
 public:
  // REQUIRES: the shards of the waiter's keys are locked by the caller.
  void Add(std::shared_ptr<Waiter> waiter);
  // Removes the waiter if it is still waiting; returns true when the caller now owns its reply.
  bool Remove(const std::shared_ptr<Waiter>& waiter);
  // Removes the waiter of client `client_id`, if any, and returns it (CLIENT UNBLOCK).
  std::shared_ptr<Waiter> RemoveClient(uint64_t client_id);

  bool empty() const { return count_.load(std::memory_order_relaxed) == 0; }
  size_t blocked_clients() const { return count_.load(std::memory_order_relaxed); }
  bool HasWaiters(int db, const std::string& key);

  // Serves the waiters of a ready key, oldest first, until one cannot be served.
  void ServeKey(storage::Keyspace& keyspace, int db, const std::string& key, int64_t now_ms);

 private:
  void RemoveLocked(const std::shared_ptr<Waiter>& waiter);

  std::mutex mu_;
  std::map<std::pair<int, std::string>, std::deque<std::shared_ptr<Waiter>>> by_key_;
  std::map<uint64_t, std::shared_ptr<Waiter>> by_client_;
  std::atomic<size_t> count_{0};
};

}  // namespace stash::server

#endif  // STASH_SERVER_BLOCKING_H_
