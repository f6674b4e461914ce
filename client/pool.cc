#include "client/pool.h"

#include "client/errors.h"

namespace stash {

ConnectionPool::ConnectionPool(ConnectionOptions options, size_t max_connections,
                               std::chrono::milliseconds timeout,
                               std::function<void(Connection&)> setup)
    : options_(std::move(options)), max_(max_connections), timeout_(timeout),
      setup_(std::move(setup)) {}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Lease ConnectionPool::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + timeout_;
  while (idle_.empty() && open_ >= max_) {
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= max_) {
      throw PoolTimeoutError(
          "connection pool exhausted: all " + std::to_string(max_) + " connections stayed busy for " +
          std::to_string(timeout_.count()) +
          " ms (raise REDIS_POOL_MAX_CONNECTIONS or REDIS_POOL_TIMEOUT)");
    }
  }
  if (!idle_.empty()) {
    std::unique_ptr<Connection> c = std::move(idle_.back());
    idle_.pop_back();
    c->reused = true;
    return Lease(this, std::move(c));
  }
  ++open_;
  uint64_t generation = generation_;
  lock.unlock();
  try {
    std::unique_ptr<Connection> c = Connection::Open(options_);
    c->generation = generation;
    if (setup_) setup_(*c);
    return Lease(this, std::move(c));
  } catch (...) {
    lock.lock();
    --open_;
    cv_.notify_one();
    throw;
  }
}

void ConnectionPool::Release(std::unique_ptr<Connection> c) {
  std::lock_guard<std::mutex> lock(mu_);
  if (c->broken() || c->generation != generation_) {
    --open_;
    c.reset();
  } else {
    idle_.push_back(std::move(c));
  }
  cv_.notify_one();
}

void ConnectionPool::Reset() {
  std::vector<std::unique_ptr<Connection>> dropped;
  std::lock_guard<std::mutex> lock(mu_);
  ++generation_;
  open_ -= idle_.size();
  dropped.swap(idle_);
  cv_.notify_all();
}

void ConnectionPool::DropIdle() {
  std::vector<std::unique_ptr<Connection>> dropped;
  std::lock_guard<std::mutex> lock(mu_);
  open_ -= idle_.size();
  dropped.swap(idle_);
  cv_.notify_all();
}

size_t ConnectionPool::open_connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return open_;
}

uint64_t ConnectionPool::generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

}  // namespace stash
