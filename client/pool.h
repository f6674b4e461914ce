// A bounded pool of connections. Acquire hands out an idle connection, opens a new one while
// fewer than max exist, and otherwise waits up to the pool timeout for one to come back, then
// throws PoolTimeoutError saying so. Broken connections are dropped on return, so the next
// Acquire reconnects. Reset() retires every connection (used when the tracking redirect target
// changes: a connection set up for the old target must not be reused).
#ifndef STASH_CLIENT_POOL_H_
#define STASH_CLIENT_POOL_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "client/connection.h"

namespace stash {

class ConnectionPool {
 public:
  // setup runs on every new connection before first use (e.g. CLIENT TRACKING ... REDIRECT);
  // it may throw, which fails the Acquire.
  ConnectionPool(ConnectionOptions options, size_t max_connections,
                 std::chrono::milliseconds timeout,
                 std::function<void(Connection&)> setup = nullptr);
  ~ConnectionPool();

  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> c) : pool_(pool), c_(std::move(c)) {}
    Lease(Lease&& o) noexcept = default;
    ~Lease() {
      if (c_) pool_->Release(std::move(c_));
    }
    Connection* operator->() { return c_.get(); }
    Connection& operator*() { return *c_; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> c_;
  };

  Lease Acquire();
  void Reset();
  // Closes the idle connections (after one turned out dead: the server probably restarted, and
  // the others are as stale).
  void DropIdle();

  size_t max_connections() const { return max_; }
  size_t open_connections() const;
  uint64_t generation() const;

 private:
  void Release(std::unique_ptr<Connection> c);

  ConnectionOptions options_;
  size_t max_;
  std::chrono::milliseconds timeout_;
  std::function<void(Connection&)> setup_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  size_t open_ = 0;  // idle + leased + being opened
  uint64_t generation_ = 0;
};

}  // namespace stash

#endif  // STASH_CLIENT_POOL_H_
