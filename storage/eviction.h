// Building blocks of maxmemory eviction that need no server: the policy names, the candidate
// score each policy ranks keys by, Redis's eviction pool, and the TinyLFU frequency sketch.
// The server's evictor (server/eviction.h) samples shards into the pool under their locks.
#ifndef STASH_STORAGE_EVICTION_H_
#define STASH_STORAGE_EVICTION_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "storage/entry.h"

namespace stash::storage {

enum class EvictionPolicy : uint8_t {
  kNoEviction,
  kAllkeysLru,
  kVolatileLru,
  kAllkeysLfu,
  kVolatileLfu,
  kAllkeysRandom,
  kVolatileRandom,
  kVolatileTtl,
  // Beyond Redis: LRU victims plus a TinyLFU admission filter (see FrequencySketch).
  kAllkeysTinyLfu,
};

// "allkeys-lru" -> kAllkeysLru, ...; false for an unknown name.
bool ParseEvictionPolicy(std::string_view name, EvictionPolicy* policy);
inline bool IsVolatile(EvictionPolicy p) {
  return p == EvictionPolicy::kVolatileLru || p == EvictionPolicy::kVolatileLfu ||
         p == EvictionPolicy::kVolatileRandom || p == EvictionPolicy::kVolatileTtl;
}
inline bool IsLfu(EvictionPolicy p) {
  return p == EvictionPolicy::kAllkeysLfu || p == EvictionPolicy::kVolatileLfu;
}
inline bool IsRandom(EvictionPolicy p) {
  return p == EvictionPolicy::kAllkeysRandom || p == EvictionPolicy::kVolatileRandom;
}

// How good a victim e is under policy p at now_ms: higher evicts first (Redis's "idle" in
// evictionPoolPopulate). LRU: idle milliseconds; LFU: 255 - decayed counter; TTL: keys that
// expire sooner score higher.
uint64_t EvictionScore(EvictionPolicy p, Entry e, int64_t now_ms, int lfu_decay_time);

// Redis's eviction pool (EVPOOL_SIZE 16): the best candidates seen over successive samplings,
// kept across evictions, so each eviction picks from far more keys than one sample holds.
class EvictionPool {
 public:
  static constexpr size_t kSize = 16;
  struct Candidate {
    uint64_t score = 0;
    uint64_t hash = 0;
    uint32_t meta = 0;  // the entry's meta24 when sampled: a changed stamp means "used since"
    int db = -1;        // -1: empty slot
    std::string key;
  };

  // Inserts a candidate if it beats the worst one held or there is room (evictionPoolPopulate).
  void Insert(uint64_t score, int db, std::string_view key, uint64_t hash, uint32_t meta);
  // The best candidate, or nullptr when empty. Pop removes it.
  const Candidate* Best() const;
  void PopBest();
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  void Clear() { size_ = 0; }

 private:
  // slots_[0..size_) sorted by ascending score: the best candidate is last.
  std::array<Candidate, kSize> slots_;
  size_t size_ = 0;
};

// A TinyLFU count-min sketch: 4 rows of 4-bit saturating counters (16 per 64-bit word). Each
// recorded access adds one to the key's smallest counters (conservative update); after
// sample_size additions every counter is halved, so frequencies describe the recent past.
// Estimate is the minimum over the rows. Not thread-safe: one sketch per shard, used under the
// shard's lock.
class FrequencySketch {
 public:
  // width: counters per row, rounded up to a power of two (at least 64).
  explicit FrequencySketch(size_t width);
  void Record(uint64_t hash);
  uint32_t Estimate(uint64_t hash) const;
  size_t width() const { return width_; }
  uint64_t additions() const { return additions_; }
  size_t bytes() const { return words_ * sizeof(uint64_t); }

 private:
  static constexpr int kRows = 4;
  size_t Index(uint64_t hash, int row) const;
  uint32_t Get(size_t row_index, int row) const;
  void Increment(size_t row_index, int row);
  void Halve();

  size_t width_;
  int width_bits_;
  size_t words_;
  std::unique_ptr<uint64_t[]> table_;
  uint64_t additions_ = 0;
  uint64_t sample_size_;
};

}  // namespace stash::storage

#endif  // STASH_STORAGE_EVICTION_H_
