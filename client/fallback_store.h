// The in-process fallback: a small local cache used while the server is unreachable or the
// cache is disabled, built on the server's own engine (one storage::Shard). It honours TTLs
// (lazy expiry, as the server does) and bounds its size by entries and bytes, evicting
// approximately least-recently-used keys the way Redis does: sample a few keys, drop the one
// idle longest. It is a stopgap, not a replica: the Cache empties it whenever the shared
// server comes back, so nothing it held is ever served as if it came from the server.
#ifndef STASH_CLIENT_FALLBACK_STORE_H_
#define STASH_CLIENT_FALLBACK_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "storage/shard.h"

namespace stash {

class FallbackStore {
 public:
  using NowMs = std::function<int64_t()>;  // unix milliseconds; injectable for tests

  FallbackStore(size_t max_entries, size_t max_bytes, NowMs now = nullptr);

  std::optional<std::string> Get(std::string_view key);
  void Set(std::string_view key, std::string_view value, int64_t ttl_ms);  // ttl_ms <= 0: none
  bool SetIfAbsent(std::string_view key, std::string_view value, int64_t ttl_ms);
  bool Delete(std::string_view key);
  bool Exists(std::string_view key);
  // Remaining TTL in ms; -1 without one, -2 when absent (as PTTL answers).
  int64_t TtlMs(std::string_view key);
  size_t DeleteMatching(std::string_view glob);
  size_t Clear();

  size_t size();
  uint64_t evictions() const { return evictions_; }

 private:
  int64_t Now() const;
  uint32_t NextStamp() { return ++clock_ & storage::kLruClockMax; }
  void EvictIfNeeded(std::string_view keep);

  const size_t max_entries_;
  const size_t max_bytes_;
  NowMs now_;
  std::mutex mu_;
  storage::Shard shard_{0};
  uint32_t clock_ = 0;  // access stamps in the entries' 24-bit metadata
  uint64_t evictions_ = 0;
  uint64_t rng_ = 0x9e3779b97f4a7c15ULL;
};

}  // namespace stash

#endif  // STASH_CLIENT_FALLBACK_STORE_H_
