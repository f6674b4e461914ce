#include "server/blocking.h"

#include <algorithm>

#include "server/exec_lock.h"

namespace stash::server {

void BlockingRegistry::Add(std::shared_ptr<Waiter> waiter) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& key : waiter->keys) by_key_[{waiter->db, key}].push_back(waiter);
  by_client_[waiter->client_id] = waiter;
  count_.fetch_add(1, std::memory_order_relaxed);
}

void BlockingRegistry::RemoveLocked(const std::shared_ptr<Waiter>& waiter) {
  waiter->done = true;
  for (const std::string& key : waiter->keys) {
    auto it = by_key_.find({waiter->db, key});
    if (it == by_key_.end()) continue;
    auto& queue = it->second;
    queue.erase(std::remove(queue.begin(), queue.end(), waiter), queue.end());
    if (queue.empty()) by_key_.erase(it);
  }
  by_client_.erase(waiter->client_id);
  count_.fetch_sub(1, std::memory_order_relaxed);
}

bool BlockingRegistry::Remove(const std::shared_ptr<Waiter>& waiter) {
  std::lock_guard<std::mutex> lock(mu_);
  if (waiter->done) return false;
  RemoveLocked(waiter);
  return true;
}

std::shared_ptr<Waiter> BlockingRegistry::RemoveClient(uint64_t client_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_client_.find(client_id);
  if (it == by_client_.end()) return nullptr;
  std::shared_ptr<Waiter> waiter = it->second;
  RemoveLocked(waiter);
  return waiter;
}

bool BlockingRegistry::HasWaiters(int db, const std::string& key) {
  if (empty()) return false;
  std::lock_guard<std::mutex> lock(mu_);
  return by_key_.count({db, key}) > 0;
}

void BlockingRegistry::ServeKey(storage::Keyspace& keyspace, int db, const std::string& key,
                                int64_t now_ms) {
  storage::Database& database = keyspace.db(db);
  while (true) {
    // Which shards serving the oldest waiter needs: the key's, plus its extra keys'.
    std::shared_ptr<Waiter> head;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = by_key_.find({db, key});
      if (it == by_key_.end()) return;
      head = it->second.front();
    }
    ShardLockSet locks(keyspace);
    locks.Add(db, database.ShardOf(storage::HashKey(key)));
    for (const std::string& extra : head->extra_keys) {
      locks.Add(db, database.ShardOf(storage::HashKey(extra)));
    }
    locks.Lock();
    std::string out;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = by_key_.find({db, key});
      // Another thread served or removed the head meanwhile: start over with the new head.
      if (it == by_key_.end()) return;
      if (it->second.front() != head || head->done) continue;
      protocol::ReplyBuilder reply(&out);
      reply.set_resp3(head->resp3);
      if (!head->serve(database, key, now_ms, reply)) return;  // nothing left to pop
      RemoveLocked(head);
    }
    locks.Unlock();
    head->deliver(std::move(out));
  }
}

}  // namespace stash::server
