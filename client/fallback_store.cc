#include "client/fallback_store.h"

#include <chrono>
#include <string>
#include <vector>

#include "storage/glob.h"
#include "storage/hash.h"

namespace stash {
namespace {

constexpr int kEvictionSamples = 5;

}  // namespace

FallbackStore::FallbackStore(size_t max_entries, size_t max_bytes, NowMs now)
    : max_entries_(max_entries), max_bytes_(max_bytes), now_(std::move(now)) {}

int64_t FallbackStore::Now() const {
  if (now_) return now_();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<std::string> FallbackStore::Get(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  storage::Entry e = shard_.Find(key, storage::HashKey(key), Now());
  if (!e) return std::nullopt;
  e.set_meta24(NextStamp());
  return std::string(e.value());
}

void FallbackStore::Set(std::string_view key, std::string_view value, int64_t ttl_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t expiry = ttl_ms > 0 ? Now() + ttl_ms : storage::kNoExpiry;
  storage::Entry e =
      shard_.Put(key, storage::HashKey(key), storage::ValueType::kString, value, expiry);
  e.set_meta24(NextStamp());
  EvictIfNeeded(key);
}

bool FallbackStore::SetIfAbsent(std::string_view key, std::string_view value, int64_t ttl_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t h = storage::HashKey(key);
  if (shard_.Find(key, h, Now())) return false;
  int64_t expiry = ttl_ms > 0 ? Now() + ttl_ms : storage::kNoExpiry;
  shard_.Put(key, h, storage::ValueType::kString, value, expiry).set_meta24(NextStamp());
  EvictIfNeeded(key);
  return true;
}

bool FallbackStore::Delete(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  return shard_.Erase(key, storage::HashKey(key), Now());
}

bool FallbackStore::Exists(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<bool>(shard_.Find(key, storage::HashKey(key), Now()));
}

int64_t FallbackStore::TtlMs(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = Now();
  storage::Entry e = shard_.Find(key, storage::HashKey(key), now);
  if (!e) return -2;
  if (!e.has_expiry()) return -1;
  return e.expiry_ms() - now;
}

size_t FallbackStore::DeleteMatching(std::string_view glob) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> doomed;
  shard_.ForEach([&](storage::Entry e) {
    if (storage::GlobMatch(glob, e.key())) doomed.emplace_back(e.key());
  });
  int64_t now = Now();
  size_t removed = 0;
  for (const std::string& k : doomed) removed += shard_.Erase(k, storage::HashKey(k), now) ? 1 : 0;
  return removed;
}

size_t FallbackStore::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = shard_.size();
  shard_.Clear();
  return n;
}

size_t FallbackStore::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return shard_.size();
}

void FallbackStore::EvictIfNeeded(std::string_view keep) {
  int64_t now = Now();
  while (shard_.size() > 0 && (shard_.size() > max_entries_ || shard_.bytes_used() > max_bytes_)) {
    // Expired entries go first; otherwise the sampled entry idle longest.
    storage::Entry victim;
    uint32_t best_age = 0;
    for (int i = 0; i < kEvictionSamples; ++i) {
      rng_ ^= rng_ << 13;
      rng_ ^= rng_ >> 7;
      rng_ ^= rng_ << 17;
      storage::Entry e = shard_.EntryNear(rng_);
      if (shard_.size() > 1 && e.key() == keep) continue;
      uint32_t age = e.ExpiredAt(now) ? storage::kLruClockMax
                                      : ((clock_ - e.meta24()) & storage::kLruClockMax);
      if (!victim || age > best_age) {
        victim = e;
        best_age = age;
      }
    }
    if (!victim) continue;
    std::string key(victim.key());
    shard_.Erase(key, storage::HashKey(key), now);
    ++evictions_;
  }
}

}  // namespace stash
