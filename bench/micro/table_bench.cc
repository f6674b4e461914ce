// EntryTable Find/Insert on 1M keys, with entries in a slab allocator as a shard keeps them.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "storage/entry.h"
#include "storage/entry_table.h"
#include "storage/hash.h"
#include "storage/slab_allocator.h"

namespace stash::storage {
namespace {

constexpr size_t kKeys = 1'000'000;
constexpr int kShardBits = 6;  // the keyspace default: hashes are shifted as in a real shard

// One million "key:<n>" entries with 16-byte values, plus their hashes. Built once.
struct Corpus {
  SlabAllocator slab;
  std::vector<Entry> entries;
  std::vector<uint64_t> hashes;
  std::vector<std::string> keys;
  std::vector<std::string> absent_keys;

  Corpus() {
    entries.reserve(kKeys);
    for (size_t i = 0; i < kKeys; ++i) {
      keys.push_back("key:" + std::to_string(i));
      absent_keys.push_back("nokey:" + std::to_string(i));
      const std::string& key = keys.back();
      size_t size = entry_layout::EntrySize(key.size(), 16, false);
      auto* p = static_cast<uint8_t*>(slab.Allocate(size));
      Entry e = Entry::Init(p, ValueType::kString, key, 16, kNoExpiry);
      std::fill_n(e.value_data(), 16, 'v');
      entries.push_back(e);
      hashes.push_back(HashKey(key));
    }
  }
};

Corpus& TheCorpus() {
  static Corpus* corpus = new Corpus();
  return *corpus;
}

// A table holding the whole corpus, and a random lookup order.
struct FilledTable {
  EntryTable table{kShardBits};
  std::vector<uint32_t> order;
  FilledTable() {
    Corpus& c = TheCorpus();
    for (size_t i = 0; i < kKeys; ++i) table.Insert(c.entries[i], c.hashes[i]);
    order.resize(kKeys);
    for (uint32_t i = 0; i < kKeys; ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), std::mt19937_64(1));
  }
};

FilledTable& TheTable() {
  static FilledTable* table = new FilledTable();
  return *table;
}

// Building a 1M-key table from empty, growth included.
void BM_Insert1M(benchmark::State& state) {
  Corpus& c = TheCorpus();
  for (auto _ : state) {
    EntryTable table(kShardBits);
    for (size_t i = 0; i < kKeys; ++i) table.Insert(c.entries[i], c.hashes[i]);
    benchmark::DoNotOptimize(table.size());
    state.PauseTiming();  // freeing the slot array is not insertion work
    table.Clear();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kKeys);
}
BENCHMARK(BM_Insert1M)->Unit(benchmark::kMillisecond);

// Lookups of present keys in random order, hash precomputed (the table's own cost).
void BM_FindHit1M(benchmark::State& state) {
  Corpus& c = TheCorpus();
  FilledTable& t = TheTable();
  size_t i = 0;
  for (auto _ : state) {
    uint32_t k = t.order[i];
    benchmark::DoNotOptimize(t.table.Find(c.keys[k], c.hashes[k]));
    if (++i == kKeys) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FindHit1M);

// Lookups of absent keys: the probe ends at an empty slot, tags filter out the rest.
void BM_FindMiss1M(benchmark::State& state) {
  Corpus& c = TheCorpus();
  FilledTable& t = TheTable();
  std::vector<uint64_t> hashes;
  hashes.reserve(kKeys);
  for (const std::string& key : c.absent_keys) hashes.push_back(HashKey(key));
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(t.table.Find(c.absent_keys[i], hashes[i]));
    if (++i == kKeys) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FindMiss1M);

// What a GET pays in the keyspace: hashing the key, then the lookup.
void BM_HashAndFind1M(benchmark::State& state) {
  Corpus& c = TheCorpus();
  FilledTable& t = TheTable();
  size_t i = 0;
  for (auto _ : state) {
    const std::string& key = c.keys[t.order[i]];
    benchmark::DoNotOptimize(t.table.Find(key, HashKey(key)));
    if (++i == kKeys) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HashAndFind1M);

// Erase followed by re-insert of the same key: backward-shift deletion at ~full load.
void BM_EraseInsert1M(benchmark::State& state) {
  Corpus& c = TheCorpus();
  FilledTable& t = TheTable();
  size_t i = 0;
  for (auto _ : state) {
    uint32_t k = t.order[i];
    t.table.EraseAt(t.table.Find(c.keys[k], c.hashes[k]));
    t.table.Insert(c.entries[k], c.hashes[k]);
    if (++i == kKeys) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EraseInsert1M);

// A full SCAN of the 1M-key table, COUNT 10 per call.
void BM_ScanAll1M(benchmark::State& state) {
  FilledTable& t = TheTable();
  for (auto _ : state) {
    uint64_t cursor = 0;
    size_t visited = 0;
    while (true) {
      uint64_t next;
      bool done = t.table.Scan(cursor, 10, &next, [&](Entry) { ++visited; });
      if (done) break;
      cursor = next;
    }
    benchmark::DoNotOptimize(visited);
  }
  state.SetItemsProcessed(state.iterations() * kKeys);
}
BENCHMARK(BM_ScanAll1M)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace stash::storage
