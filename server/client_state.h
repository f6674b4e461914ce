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
#include <vector>

#include "storage/shard.h"

namespace stash::server {

struct Command;
struct Waiter;

struct ClientInfo {
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

  // WATCH.
  std::shared_ptr<storage::WatchState> watch_state;
  std::vector<WatchedKey> watched;
};

}  // namespace stash::server

#endif  // STASH_SERVER_CLIENT_STATE_H_
