// LazyFreer: values and whole shards handed over are freed on the background thread, counted,
// and nothing queued is lost at destruction.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "storage/hash.h"
#include "storage/lazy_free.h"
#include "storage/types/set_value.h"

namespace stash::storage {
namespace {

// Counts destructions, so a test can see the free happen.
class Probe final : public CollectionValue {
 public:
  explicit Probe(int* destroyed) : destroyed_(destroyed) {}
  ~Probe() override { ++*destroyed_; }
  std::unique_ptr<CollectionValue> Clone() const override {
    return std::make_unique<Probe>(destroyed_);
  }
  size_t BytesUsed() const override { return 1 << 20; }
  const char* Encoding() const override { return "hashtable"; }

 private:
  int* destroyed_;
};

TEST_CASE("handed-over values are freed and counted") {
  int destroyed = 0;
  LazyFreer freer;
  for (int i = 0; i < 10; ++i) freer.Free(std::make_unique<Probe>(&destroyed));
  freer.Drain();
  CHECK(destroyed == 10);
  CHECK(freer.freed() == 10);
  CHECK(freer.pending() == 0);
}

TEST_CASE("destruction frees what is still queued") {
  int destroyed = 0;
  {
    LazyFreer freer;
    for (int i = 0; i < 100; ++i) freer.Free(std::make_unique<Probe>(&destroyed));
  }
  CHECK(destroyed == 100);
}

TEST_CASE("a shard swapped out of the keyspace is freed with its entries") {
  int destroyed = 0;
  Shard live(6);
  for (int i = 0; i < 1000; ++i) {
    std::string key = "k" + std::to_string(i);
    live.Put(key, HashKey(key), ValueType::kString, "value", kNoExpiry);
  }
  live.PutObject("obj", HashKey("obj"), ValueType::kSet, std::make_unique<Probe>(&destroyed),
                 kNoExpiry);
  LazyFreer freer;
  auto detached = std::make_unique<Shard>(6);
  live.SwapContents(*detached);
  CHECK(live.size() == 0);
  CHECK(detached->size() == 1001);
  freer.Free(std::move(detached));
  freer.Drain();
  CHECK(destroyed == 1);
  CHECK(freer.freed() == 1);
  // The live shard is usable afterwards.
  live.Put("again", HashKey("again"), ValueType::kString, "v", kNoExpiry);
  CHECK(live.size() == 1);
}

TEST_CASE("only values that are costly to free go to the thread") {
  SetValue small;
  for (int i = 0; i < 10; ++i) small.Add(std::to_string(i), 512);
  CHECK_FALSE(LazyFreer::WorthIt(small));  // an intset: one allocation
  SetValue big;
  for (int i = 0; i < 2000; ++i) big.Add("member-" + std::to_string(i), 512);
  CHECK(LazyFreer::WorthIt(big));
  int destroyed = 0;
  CHECK(LazyFreer::WorthIt(Probe(&destroyed)));
}

}  // namespace
}  // namespace stash::storage
