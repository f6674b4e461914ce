#include "storage/lazy_free.h"

#include <cstring>
#include <utility>

namespace stash::storage {

LazyFreer::~LazyFreer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

bool LazyFreer::WorthIt(const CollectionValue& obj) {
  const char* enc = obj.Encoding();
  if (strcmp(enc, "listpack") == 0 || strcmp(enc, "intset") == 0) return false;
  return obj.BytesUsed() >= 4096;
}

void LazyFreer::Free(std::unique_ptr<CollectionValue> object) {
  Enqueue(Job{std::move(object), nullptr});
}

void LazyFreer::Free(std::unique_ptr<Shard> shard) { Enqueue(Job{nullptr, std::move(shard)}); }

void LazyFreer::Enqueue(Job job) {
  pending_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(job));
    if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  }
  wake_.notify_one();
}

void LazyFreer::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void LazyFreer::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    Job job = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    job = Job{};  // the frees happen here, outside the lock
    pending_.fetch_sub(1, std::memory_order_relaxed);
    freed_.fetch_add(1, std::memory_order_relaxed);
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
}

}  // namespace stash::storage
