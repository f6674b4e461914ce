// What the server knows about one client connection. ClientState is owned by the connection and
// touched only by its worker thread; ClientInfo is the part other threads read (CLIENT LIST,
// CLIENT KILL, INFO clients), so its fields are atomics or behind its mutex.
#ifndef STASH_SERVER_CLIENT_STATE_H_
#define STASH_SERVER_CLIENT_STATE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "storage/shard.h"

namespace stash::server {

struct Command;
struct Waiter;

struct ClientInfo : std::enable_shared_from_this<ClientInfo> {
  uint64_t id = 0;
  std::string addr;   // "ip:port"
  std::string laddr;  // "ip:port" of our side
  int fd = -1;
  int worker = 0;
  int64_t created_ms = 0;
  std::atomic<int64_t> last_interaction_ms{0};
  std::atomic<int> db{0};
  std::atomic<int> resp{2};
  std::atomic<int> multi{-1};  // queued commands, -1 outside MULTI
  std::atomic<const Command*> last_command{nullptr};
  std::atomic<bool> killed{false};
  std::atomic<bool> monitor{false};  // in MONITOR mode (CLIENT LIST's "O" flag)
  // Pub/Sub subscriptions (channels, patterns, shard channels), for CLIENT LIST and for
  // Redis's "client in Pub/Sub mode" rules; written by the client's own worker only.
  std::atomic<int> subscriptions{0};
  std::atomic<int> psubscriptions{0};
  std::atomic<int> ssubscriptions{0};
  bool in_pubsub() const {
    return subscriptions.load(std::memory_order_relaxed) +
               psubscriptions.load(std::memory_order_relaxed) +
               ssubscriptions.load(std::memory_order_relaxed) >
           0;
  }

  std::string name() const {
    std::lock_guard<std::mutex> lock(mu);
    return name_;
  }
  void set_name(std::string name) {
    std::lock_guard<std::mutex> lock(mu);
    name_ = std::move(name);
  }
  // Closes the connection from any thread (posted to its worker).
  std::function<void()> kill;
  // Sends bytes that answer no command of this client (Pub/Sub messages, tracking
  // invalidations) from any thread: posted to its worker, which appends them to its output.
  std::function<void(std::shared_ptr<const std::string>)> push;

 private:
  mutable std::mutex mu;
  std::string name_;
};

struct WatchedKey {
  int db;
  std::string key;
  bool expired_when_watched;  // Redis 7: a key that expires after WATCH aborts EXEC
};

struct ClientState {
  std::shared_ptr<ClientInfo> info;
  int db = 0;
  bool resp3 = false;
  bool authenticated = true;
  bool close_after_reply = false;

  // MULTI/EXEC.
  bool in_multi = false;
  bool multi_error = false;  // a command was rejected while queuing: EXEC answers EXECABORT
  bool in_exec = false;      // EXEC is running the queued commands
  std::vector<std::vector<std::string>> queued;

  // Blocking commands (see blocking.h): the waiter while blocked, when to give up (unix ms,
  // 0 = never), and how another thread hands this connection a reply.
  std::shared_ptr<Waiter> blocked;
  int64_t block_deadline_ms = 0;
  std::function<void(std::string)> deliver_reply;
  // Set by the dispatcher when the command must be tried again later (steady-clock ms), without
  // a reply yet: the connection parks it (see Dispatcher::RetryAtWhileScriptRuns).
  int64_t retry_at_ms = 0;

  // WATCH.
  std::shared_ptr<storage::WatchState> watch_state;
  std::vector<WatchedKey> watched;

  // Pub/Sub (see pubsub.h): this client's channels, patterns and shard channels.
  std::unordered_set<std::string> channels;
  std::unordered_set<std::string> patterns;
  std::unordered_set<std::string> shard_channels;
  bool subscribed() const {
    return !channels.empty() || !patterns.empty() || !shard_channels.empty();
  }

  // CLIENT TRACKING (see tracking.h): a copy of the mode, for the checks after every command.
  bool tracking = false;
  bool tracking_bcast = false;
  bool tracking_optin = false;
  bool tracking_optout = false;
  bool caching_given = false;  // CLIENT CACHING yes/no, for the next command only
  bool monitor = false;        // MONITOR: receives every command run (server/monitor.h)
};

}  // namespace stash::server

#endif  // STASH_SERVER_CLIENT_STATE_H_
