#include "storage/eviction.h"

#include <algorithm>
#include <cstring>

#include "storage/access_policy.h"

namespace stash::storage {

bool ParseEvictionPolicy(std::string_view name, EvictionPolicy* policy) {
  static constexpr std::pair<std::string_view, EvictionPolicy> kNames[] = {
      {"noeviction", EvictionPolicy::kNoEviction},
      {"allkeys-lru", EvictionPolicy::kAllkeysLru},
      {"volatile-lru", EvictionPolicy::kVolatileLru},
      {"allkeys-lfu", EvictionPolicy::kAllkeysLfu},
      {"volatile-lfu", EvictionPolicy::kVolatileLfu},
      {"allkeys-random", EvictionPolicy::kAllkeysRandom},
      {"volatile-random", EvictionPolicy::kVolatileRandom},
      {"volatile-ttl", EvictionPolicy::kVolatileTtl},
      {"allkeys-tinylfu", EvictionPolicy::kAllkeysTinyLfu},
  };
  for (auto& [n, p] : kNames) {
    if (n == name) {
      *policy = p;
      return true;
    }
  }
  return false;
}

uint64_t EvictionScore(EvictionPolicy p, Entry e, int64_t now_ms, int lfu_decay_time) {
  switch (p) {
    case EvictionPolicy::kAllkeysLfu:
    case EvictionPolicy::kVolatileLfu:
      return 255 - LfuDecrAndReturn(e.meta24(), now_ms, lfu_decay_time);
    case EvictionPolicy::kVolatileTtl:
      return UINT64_MAX - static_cast<uint64_t>(e.expiry_ms());
    default:
      return static_cast<uint64_t>(LruIdleMs(e.meta24(), now_ms));
  }
}

void EvictionPool::Insert(uint64_t score, int db, std::string_view key, uint64_t hash,
                          uint32_t meta) {
  // Already held (sampled again): refresh it in place.
  for (size_t i = 0; i < size_; ++i) {
    if (slots_[i].hash == hash && slots_[i].db == db && slots_[i].key == key) {
      Candidate c = std::move(slots_[i]);
      std::move(slots_.begin() + i + 1, slots_.begin() + size_, slots_.begin() + i);
      --size_;
      slots_[size_] = std::move(c);  // keep its string buffer
      break;
    }
  }
  // First position whose score is >= ours: we go just before it.
  size_t pos = 0;
  while (pos < size_ && slots_[pos].score < score) ++pos;
  if (size_ == kSize) {
    if (pos == 0) return;  // worse than everything held
    // Drop the worst (slot 0) and shift the ones below pos down by one.
    std::string spare = std::move(slots_[0].key);
    std::move(slots_.begin() + 1, slots_.begin() + pos, slots_.begin());
    --pos;
    slots_[pos].key = std::move(spare);
  } else {
    std::string spare = std::move(slots_[size_].key);
    std::move_backward(slots_.begin() + pos, slots_.begin() + size_, slots_.begin() + size_ + 1);
    slots_[pos].key = std::move(spare);
    ++size_;
  }
  Candidate& c = slots_[pos];
  c.score = score;
  c.hash = hash;
  c.meta = meta;
  c.db = db;
  c.key.assign(key);
}

const EvictionPool::Candidate* EvictionPool::Best() const {
  return size_ == 0 ? nullptr : &slots_[size_ - 1];
}

void EvictionPool::PopBest() {
  if (size_ > 0) --size_;
}

FrequencySketch::FrequencySketch(size_t width) {
  width_bits_ = 6;
  while ((size_t{1} << width_bits_) < width) ++width_bits_;
  width_ = size_t{1} << width_bits_;
  words_ = width_ * kRows / 16;
  table_ = std::make_unique<uint64_t[]>(words_);
  // Caffeine's choice: reset after ten times as many additions as counters in a row.
  sample_size_ = 10 * width_;
}

size_t FrequencySketch::Index(uint64_t hash, int row) const {
  static constexpr uint64_t kSeeds[kRows] = {0x9e3779b97f4a7c15ULL, 0xc2b2ae3d27d4eb4fULL,
                                             0x165667b19e3779f9ULL, 0xd6e8feb86659fd93ULL};
  uint64_t h = (hash ^ (hash >> 29)) * kSeeds[row];
  return static_cast<size_t>(h >> (64 - width_bits_));
}

uint32_t FrequencySketch::Get(size_t i, int row) const {
  size_t counter = static_cast<size_t>(row) * width_ + i;
  return static_cast<uint32_t>((table_[counter / 16] >> ((counter % 16) * 4)) & 0xf);
}

void FrequencySketch::Increment(size_t i, int row) {
  size_t counter = static_cast<size_t>(row) * width_ + i;
  uint64_t& word = table_[counter / 16];
  int shift = static_cast<int>(counter % 16) * 4;
  if (((word >> shift) & 0xf) != 0xf) word += uint64_t{1} << shift;
}

void FrequencySketch::Record(uint64_t hash) {
  size_t idx[kRows];
  uint32_t min = 15;
  for (int r = 0; r < kRows; ++r) {
    idx[r] = Index(hash, r);
    min = std::min(min, Get(idx[r], r));
  }
  if (min == 15) return;
  for (int r = 0; r < kRows; ++r) {
    if (Get(idx[r], r) == min) Increment(idx[r], r);
  }
  if (++additions_ >= sample_size_) Halve();
}

uint32_t FrequencySketch::Estimate(uint64_t hash) const {
  uint32_t min = 15;
  for (int r = 0; r < kRows; ++r) min = std::min(min, Get(Index(hash, r), r));
  return min;
}

void FrequencySketch::Halve() {
  // Halves all 16 counters of a word at once: shift right, then clear the bit that crossed
  // into each counter from its neighbour.
  for (size_t w = 0; w < words_; ++w) table_[w] = (table_[w] >> 1) & 0x7777777777777777ULL;
  additions_ /= 2;
}

}  // namespace stash::storage
