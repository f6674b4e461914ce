// Active expiry of a mass of keys, in-process: the storage half of bench/scripts/expiry.py,
// without the network, the other clients and the machine's noise in the server's CPU figure.
//
// One database's 64 shards hold 1M keys (16-byte keys, 24-byte values, as expiry.py loads)
// with expiry times spread over 2 s. The wheel is started before the load, as a running server's
// active-expiry driver starts it, so the keys land on level 1 and cascade once. Time then
// advances in 10 ms steps (the driver's beat), and every shard expires what is due, in budgets
// of 256 units (the driver's step). Reported: nanoseconds per key expired (the whole drain,
// cascades and memory release included).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string_view>
#include <vector>

#include "storage/hash.h"
#include "storage/keyspace.h"
#include "storage/shard.h"

namespace stash::storage {
namespace {

constexpr size_t kKeys = 1'000'000;
constexpr int64_t kLoadMs = 1'000'000'000;  // the time of the load (any fixed epoch)
constexpr int64_t kFirstExpiryMs = kLoadMs + 2'000;
constexpr int64_t kSpreadMs = 2'000;
constexpr int64_t kBeatMs = 10;
constexpr size_t kStepBudget = 256;

[[gnu::noinline]] void Load(Database& db) {
  char key[32];
  const std::string_view value("vvvvvvvvvvvvvvvvvvvvvvvv");
  // Start every shard's wheel at the load time: a key that outlives the benchmark (so the
  // wheel is not dropped with the shard's last TTL key), then a step.
  for (size_t s = 0; s < db.shard_count(); ++s) {
    Shard& shard = db.shard(s);
    uint64_t hash = 0;
    int n = 0;
    do {  // a key of this shard
      std::snprintf(key, sizeof(key), "seed:%d", n++);
      hash = HashKey(key);
    } while (db.ShardOf(hash) != s);
    shard.Put(key, hash, ValueType::kString, value, kLoadMs + 86'400'000);
    shard.ExpireDue(kLoadMs, SIZE_MAX, [](std::string_view) {});
  }
  for (size_t i = 0; i < kKeys; ++i) {
    std::snprintf(key, sizeof(key), "key:%012zu", i);
    uint64_t hash = HashKey(key);
    int64_t expiry = kFirstExpiryMs + static_cast<int64_t>((i * 7919) % kSpreadMs);
    db.shard(db.ShardOf(hash)).Put(key, hash, ValueType::kString, value, expiry);
  }
}

[[gnu::noinline]] size_t Drain(Database& db) {
  size_t expired = 0;
  for (int64_t now = kLoadMs; now <= kFirstExpiryMs + kSpreadMs + kBeatMs; now += kBeatMs) {
    for (size_t s = 0; s < db.shard_count(); ++s) {
      Shard& shard = db.shard(s);
      while (true) {
        Shard::ExpireResult r = shard.ExpireDue(now, kStepBudget, [](std::string_view) {});
        expired += r.expired;
        if (r.done) break;
      }
    }
  }
  return expired;
}

void BM_MassExpiry1M(benchmark::State& state) {
  size_t expired = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto db = std::make_unique<Database>(6);
    Load(*db);
    state.ResumeTiming();
    expired = Drain(*db);
    state.PauseTiming();
    db.reset();
    state.ResumeTiming();
  }
  if (expired != kKeys) state.SkipWithError("not every key expired");
  state.counters["ns_per_key"] = benchmark::Counter(
      static_cast<double>(state.iterations() * kKeys), benchmark::Counter::kIsRate |
                                                           benchmark::Counter::kInvert);
}
BENCHMARK(BM_MassExpiry1M)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

}  // namespace
}  // namespace stash::storage
