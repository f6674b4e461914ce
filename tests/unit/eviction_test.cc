// Memory accounting and eviction building blocks: the allocation counter, LFU arithmetic with an
// injected clock, access stamping by policy family, policy names, the eviction pool and the
// TinyLFU sketch.
#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "storage/access_policy.h"
#include "storage/entry.h"
#include "storage/eviction.h"
#include "storage/hash.h"
#include "storage/memory_counter.h"
#include "storage/shard.h"

namespace stash::storage {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;  // a fixed unix time in ms
constexpr int64_t kMinute = 60'000;

// Restores the default policy family and clock when a test ends.
struct AccessGuard {
  ~AccessGuard() {
    Access().lfu.store(false);
    Access().lfu_log_factor.store(10);
    Access().lfu_decay_time.store(1);
    SetAccessClockForTesting(-1);
  }
};

TEST_CASE("the counter follows operator new, counted mallocs and the slab allocator") {
  REQUIRE(memory::HooksInstalled());
  int64_t before = memory::Used();
  auto block = std::make_unique<char[]>(10000);
  int64_t with_block = memory::Used();
  CHECK(with_block - before >= 10000);
  block.reset();
  CHECK(memory::Used() == before);

  void* p = memory::Malloc(5000);
  CHECK(memory::Used() - before >= 5000);
  p = memory::Realloc(p, 50000);
  CHECK(memory::Used() - before >= 50000);
  memory::Free(p);
  CHECK(memory::Used() == before);

  {
    Shard shard(0);
    int64_t empty = memory::Used();
    shard.Put("key", HashKey("key"), ValueType::kString, std::string(100, 'v'), kNoExpiry);
    CHECK(memory::Used() > empty + 100);
    shard.Erase("key", HashKey("key"), kNow);
  }
  CHECK(memory::Used() == before);
}

TEST_CASE("the counter is exact across threads and folds into the shared total") {
  int64_t before = memory::Used();
  {
    std::vector<std::unique_ptr<char[]>> blocks;
    blocks.reserve(100);
    // Allocated on another thread, freed on this one: the slots differ, the sum is exact.
    std::thread t([&]() {
      for (int i = 0; i < 100; ++i) blocks.push_back(std::make_unique<char[]>(4000));
    });
    t.join();
    // More than kFoldBytes net: part of it now sits in the shared total.
    CHECK(memory::Used() - before >= 400000);
    CHECK(memory::UsedApprox() + memory::UsedApproxError() >= memory::Used());
  }
  CHECK(memory::Used() == before);
}

TEST_CASE("LFU decay and increment follow Redis's arithmetic") {
  uint32_t minutes = LfuTimeInMinutes(kNow);
  uint32_t meta = (minutes << 8) | 20;
  CHECK(LfuDecrAndReturn(meta, kNow, 1) == 20);
  CHECK(LfuDecrAndReturn(meta, kNow + 3 * kMinute, 1) == 17);
  CHECK(LfuDecrAndReturn(meta, kNow + 3 * kMinute, 2) == 19);   // one whole 2-minute period
  CHECK(LfuDecrAndReturn(meta, kNow + 30 * kMinute, 1) == 0);   // never below zero
  CHECK(LfuDecrAndReturn(meta, kNow + 30 * kMinute, 0) == 20);  // decay disabled

  // Up to LFU_INIT_VAL every access counts; beyond, with probability 1/(base * factor + 1).
  CHECK(LfuLogIncr(0, 10, 0.999) == 1);
  CHECK(LfuLogIncr(kLfuInitVal, 10, 0.999) == kLfuInitVal + 1);
  CHECK(LfuLogIncr(kLfuInitVal + 1, 10, 0.05) == kLfuInitVal + 2);  // p = 1/11
  CHECK(LfuLogIncr(kLfuInitVal + 1, 10, 0.10) == kLfuInitVal + 1);
  CHECK(LfuLogIncr(255, 0, 0.0) == 255);

  uint32_t touched = LfuTouch(meta, kNow + 3 * kMinute, 10, 1, 0.999);
  CHECK((touched >> 8) == LfuTimeInMinutes(kNow + 3 * kMinute));
  CHECK((touched & 0xff) == 17);  // decayed, and the coin said no
  CHECK(LfuInitialMeta(kNow) == ((minutes << 8) | kLfuInitVal));
}

TEST_CASE("the LFU minute clock wraps as Redis's does") {
  uint32_t now = LfuTimeInMinutes(kNow);
  CHECK(LfuTimeElapsed(now, kNow) == 0);
  CHECK(LfuTimeElapsed((now + 2) & 0xffff, kNow) == 65535 - ((now + 2) & 0xffff) + now);
}

TEST_CASE("the LRU clock has 64 ms units and wraps after 2^24 of them") {
  CHECK(LruClock(kNow) == ((kNow / 64) & kLruClockMax));
  uint32_t stamp = LruClock(kNow);
  CHECK(LruIdleMs(stamp, kNow + 6400) == 6400);
  CHECK(LruIdleMs(stamp, kNow + 10) == 0);
  CHECK(LruIdleMs(LruClock(kNow + 640), kNow) == 0);  // stamped a moment later: not wrapped
  uint32_t old = kLruClockMax - 10;  // a stamp from before the clock wrapped
  int64_t at = (kNow / 64 / (kLruClockMax + 1) + 1) * (kLruClockMax + 1) * 64 + 5 * 64;
  CHECK(LruIdleMs(old, at) == (5 + 10) * 64);
}

TEST_CASE("StampAccess and new entries follow the policy family") {
  AccessGuard guard;
  SetAccessClockForTesting(kNow);
  Shard shard(0);
  Entry e = shard.Put("k", HashKey("k"), ValueType::kString, "v", kNoExpiry);
  CHECK(e.meta24() == LruClock(kNow));  // stamped at creation
  StampAccess(e, kNow + 64 * 10);
  CHECK(e.meta24() == LruClock(kNow + 640));

  Access().lfu.store(true);
  Entry f = shard.Put("f", HashKey("f"), ValueType::kString, "v", kNoExpiry);
  CHECK(f.meta24() == LfuInitialMeta(kNow));
  CHECK(LfuDecrAndReturn(f.meta24(), kNow, 1) == kLfuInitVal);
  StampAccess(f, kNow);  // at the initial value the increment is certain
  CHECK((f.meta24() & 0xff) == kLfuInitVal + 1);
  // Overwriting with a new layout keeps the counter and counts as one more access.
  Access().lfu_log_factor.store(0);  // p = 1: every access counts
  Entry g = shard.Put("f", HashKey("f"), ValueType::kString, "longer value", kNoExpiry);
  CHECK((g.meta24() & 0xff) == kLfuInitVal + 2);
}

TEST_CASE("policy names") {
  EvictionPolicy p;
  CHECK(ParseEvictionPolicy("allkeys-lru", &p));
  CHECK(p == EvictionPolicy::kAllkeysLru);
  CHECK(ParseEvictionPolicy("volatile-ttl", &p));
  CHECK(IsVolatile(p));
  CHECK(ParseEvictionPolicy("allkeys-tinylfu", &p));
  CHECK(p == EvictionPolicy::kAllkeysTinyLfu);
  CHECK_FALSE(IsLfu(p));  // TinyLFU ranks victims by LRU clocks
  CHECK(ParseEvictionPolicy("volatile-lfu", &p));
  CHECK(IsLfu(p));
  CHECK(IsVolatile(p));
  CHECK(ParseEvictionPolicy("allkeys-random", &p));
  CHECK(IsRandom(p));
  CHECK_FALSE(ParseEvictionPolicy("lru", &p));
}

TEST_CASE("eviction scores rank idle, infrequent and soon-expiring keys first") {
  Shard shard(0);
  SetAccessClockForTesting(kNow);
  Entry old_key = shard.Put("old", HashKey("old"), ValueType::kString, "v", kNow + 1000);
  Entry new_key = shard.Put("new", HashKey("new"), ValueType::kString, "v", kNow + 5000);
  StampAccess(new_key, kNow + 64000);
  int64_t later = kNow + 100000;
  CHECK(EvictionScore(EvictionPolicy::kAllkeysLru, old_key, later, 1) >
        EvictionScore(EvictionPolicy::kAllkeysLru, new_key, later, 1));
  CHECK(EvictionScore(EvictionPolicy::kVolatileTtl, old_key, later, 1) >
        EvictionScore(EvictionPolicy::kVolatileTtl, new_key, later, 1));
  old_key.set_meta24((LfuTimeInMinutes(later) << 8) | 2);
  new_key.set_meta24((LfuTimeInMinutes(later) << 8) | 9);
  CHECK(EvictionScore(EvictionPolicy::kAllkeysLfu, old_key, later, 1) == 253);
  CHECK(EvictionScore(EvictionPolicy::kAllkeysLfu, new_key, later, 1) == 246);
  SetAccessClockForTesting(-1);
}

TEST_CASE("the eviction pool keeps the 16 best candidates, best last") {
  EvictionPool pool;
  CHECK(pool.Best() == nullptr);
  for (uint64_t score = 1; score <= 40; ++score) {
    uint64_t s = (score * 7) % 41;  // every score 1..40 once, in scrambled order
    pool.Insert(s, 0, "k" + std::to_string(s), s, 0);
  }
  CHECK(pool.size() == EvictionPool::kSize);
  for (uint64_t expect = 40; expect > 40 - EvictionPool::kSize; --expect) {
    REQUIRE(pool.Best() != nullptr);
    CHECK(pool.Best()->score == expect);
    CHECK(pool.Best()->key == "k" + std::to_string(expect));
    pool.PopBest();
  }
  CHECK(pool.empty());

  // A candidate sampled again is refreshed, not held twice; a worse one does not enter a full
  // pool.
  pool.Insert(5, 0, "a", 1, 0);
  pool.Insert(9, 0, "a", 1, 7);
  CHECK(pool.size() == 1);
  CHECK(pool.Best()->score == 9);
  CHECK(pool.Best()->meta == 7);
  for (int i = 0; i < 16; ++i) pool.Insert(100 + i, 1, "x" + std::to_string(i), 10 + i, 0);
  pool.Insert(1, 1, "worst", 99, 0);
  bool held = false;
  while (pool.Best() != nullptr) {
    held = held || pool.Best()->key == "worst";
    pool.PopBest();
  }
  CHECK_FALSE(held);
}

TEST_CASE("the frequency sketch counts, saturates at 15 and halves") {
  FrequencySketch sketch(1024);
  uint64_t hot = HashKey("hot"), warm = HashKey("warm"), cold = HashKey("cold");
  for (int i = 0; i < 20; ++i) sketch.Record(hot);
  for (int i = 0; i < 3; ++i) sketch.Record(warm);
  CHECK(sketch.Estimate(hot) == 15);
  CHECK(sketch.Estimate(warm) >= 3);
  CHECK(sketch.Estimate(warm) < 15);
  CHECK(sketch.Estimate(cold) <= 1);
  // Ten additions per counter of a row trigger a halving: the old history fades.
  uint32_t warm_before = sketch.Estimate(warm);
  for (uint64_t i = 0; i < 10 * 1024; ++i) sketch.Record(HashKey("noise:" + std::to_string(i)));
  CHECK(sketch.Estimate(hot) <= 8);
  CHECK(sketch.Estimate(warm) <= warm_before / 2 + 2);
  CHECK(sketch.additions() < 10 * 1024);
}

}  // namespace
}  // namespace stash::storage
