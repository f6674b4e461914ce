// Active expiry at the shard level: Shard::ExpireDue, and the expiry wheel staying exact (one
// record per key with a TTL, pointing at its live entry) through every path that creates,
// changes, moves or drops a TTL: EXPIRE again, PERSIST, SET without KEEPTTL, in-place
// overwrites, value resizing, RENAME/MOVE (Take + PutValue), COPY, SWAPDB, FLUSHDB, lazy
// expiry and DEL.
#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "storage/entry.h"
#include "storage/expiry_wheel.h"
#include "storage/hash.h"
#include "storage/memory_counter.h"
#include "storage/shard.h"
#include "storage/value.h"

namespace stash::storage {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;  // a fixed "current time": no clocks, no sleeps
constexpr int64_t kHuge = 9'000'000'000'000'000'000;  // PEXPIREAT k 9000000000000000000

class TestCollection : public CollectionValue {
 public:
  explicit TestCollection(std::string payload) : payload(std::move(payload)) {}
  std::unique_ptr<CollectionValue> Clone() const override {
    return std::make_unique<TestCollection>(payload);
  }
  size_t BytesUsed() const override { return payload.size(); }
  const char* Encoding() const override { return "test"; }
  std::string payload;
};

Entry Put(Shard& s, std::string_view key, std::string_view value, int64_t expiry = kNoExpiry) {
  return s.Put(key, HashKey(key), ValueType::kString, value, expiry);
}
Entry Raw(Shard& s, std::string_view key) { return s.FindRaw(key, HashKey(key)); }
Entry SetExpiry(Shard& s, std::string_view key, int64_t expiry) {
  return s.SetExpiry(key, HashKey(key), Raw(s, key), expiry);
}

// The wheel holds exactly one record per key with a narrow TTL, for the entry the table holds.
void CheckExact(const Shard& s) {
  size_t narrow = 0, records = 0;
  std::set<uint8_t*> in_table;
  s.ForEach([&](Entry e) {
    if (e.has_narrow_expiry()) {
      ++narrow;
      in_table.insert(e.raw());
    }
  });
  if (s.wheel() != nullptr) {
    s.wheel()->ForEachRecord([&](Entry e, int level, uint32_t pos) {
      ++records;
      CHECK(in_table.count(e.raw()) == 1);
      CHECK(e.wheel_level() == level);
      CHECK(e.wheel_pos() == pos);
    });
  }
  CHECK(records == narrow);
  size_t with_ttl = 0;
  s.ForEach([&](Entry e) { with_ttl += e.has_expiry() ? 1 : 0; });
  CHECK(s.expires() == with_ttl);
}

// Runs active expiry with an unlimited budget; returns the keys it deleted.
std::vector<std::string> ExpireAll(Shard& s, int64_t now) {
  std::vector<std::string> keys;
  s.ExpireDue(now, SIZE_MAX, [&](std::string_view key) { keys.emplace_back(key); });
  return keys;
}

TEST_CASE("ExpireDue deletes exactly the keys whose time has passed, without access") {
  Shard s(0);
  Put(s, "soon", "v", kNow + 100);
  Put(s, "later", "v", kNow + 10'000);
  Put(s, "forever", "v");
  Put(s, "huge", "v", kHuge);
  CheckExact(s);
  CHECK(ExpireAll(s, kNow).empty());  // the first call starts the wheel
  CHECK(ExpireAll(s, kNow + 99).empty());
  CHECK(ExpireAll(s, kNow + 200) == std::vector<std::string>{"soon"});
  CHECK(s.size() == 3);
  CHECK(s.expired_keys() == 1);
  CHECK(ExpireAll(s, kNow + 20'000) == std::vector<std::string>{"later"});
  CHECK(s.size() == 2);
  CHECK(s.expires() == 1);  // the huge expiry stays, exact
  CHECK(Raw(s, "huge").expiry_ms() == kHuge);
  CheckExact(s);
}

TEST_CASE("ExpireDue marks watched keys and respects its budget") {
  Shard s(0);
  auto watch = std::make_shared<WatchState>();
  s.AddWatch("k7", watch);
  s.ExpireDue(kNow, 1, [](std::string_view) {});
  for (int i = 0; i < 100; ++i) Put(s, "k" + std::to_string(i), "v", kNow + 50);
  size_t total = 0, calls = 0;
  while (true) {
    Shard::ExpireResult r = s.ExpireDue(kNow + 1000, 10, [](std::string_view) {});
    CHECK(r.expired <= 10);
    total += r.expired;
    ++calls;
    if (r.done) break;
    REQUIRE(calls < 1000);
  }
  CHECK(total == 100);
  CHECK(calls >= 10);
  CHECK(s.size() == 0);
  CHECK(s.expired_keys() == 100);
  CHECK(watch->dirty.load());
  CheckExact(s);
  s.RemoveWatch("k7", watch.get());
}

TEST_CASE("the wheel stays exact when a TTL is changed, removed or overwritten") {
  Shard s(0);
  s.ExpireDue(kNow, 1, [](std::string_view) {});
  Put(s, "a", "value", kNow + 100);
  CheckExact(s);
  SUBCASE("EXPIRE again (in place) moves the record") {
    SetExpiry(s, "a", kNow + 5000);
    CheckExact(s);
    CHECK(ExpireAll(s, kNow + 1000).empty());
    CHECK(ExpireAll(s, kNow + 6000) == std::vector<std::string>{"a"});
  }
  SUBCASE("EXPIRE to a huge time takes it out of the wheel, and back") {
    SetExpiry(s, "a", kHuge);
    CheckExact(s);
    CHECK(Raw(s, "a").expiry_ms() == kHuge);
    CHECK(ExpireAll(s, kNow + 1000).empty());
    SetExpiry(s, "a", kNow + 2000);
    CheckExact(s);
    CHECK(ExpireAll(s, kNow + 3000) == std::vector<std::string>{"a"});
  }
  SUBCASE("PERSIST drops the record") {
    SetExpiry(s, "a", kNoExpiry);
    CheckExact(s);
    CHECK(s.wheel()->size() == 0);
    CHECK(ExpireAll(s, kNow + 1000).empty());
    CHECK(s.size() == 1);
  }
  SUBCASE("SET without KEEPTTL (relocation to an entry without TTL)") {
    Put(s, "a", "other value, longer");
    CheckExact(s);
    CHECK(ExpireAll(s, kNow + 1000).empty());
  }
  SUBCASE("SET of the same length with a new TTL overwrites in place") {
    Put(s, "a", "VALUE", kNow + 3000);
    CheckExact(s);
    CHECK(ExpireAll(s, kNow + 1000).empty());
    CHECK(ExpireAll(s, kNow + 4000) == std::vector<std::string>{"a"});
  }
  SUBCASE("SET with KEEPTTL of another length relocates the TTL") {
    Put(s, "a", "a longer value than before", kNow + 100);
    CheckExact(s);
    CHECK(ExpireAll(s, kNow + 200) == std::vector<std::string>{"a"});
  }
  SUBCASE("APPEND (ResizeValue) relocates the record") {
    Entry e = Raw(s, "a");
    Entry grown = s.ResizeValue("a", HashKey("a"), e, 200);
    CHECK(grown.raw() != e.raw());
    CheckExact(s);
    CHECK(ExpireAll(s, kNow + 200) == std::vector<std::string>{"a"});
  }
  SUBCASE("a collection replaced by PutObject") {
    s.PutObject("a", HashKey("a"), ValueType::kHash, std::make_unique<TestCollection>("x"),
                kNow + 300);
    CheckExact(s);
    CHECK(ExpireAll(s, kNow + 400) == std::vector<std::string>{"a"});
  }
  SUBCASE("lazy expiry (Find) and DEL (Erase) drop the record") {
    Put(s, "b", "v", kNow + 100);
    CHECK(!s.Find("a", HashKey("a"), kNow + 200));
    CheckExact(s);
    CHECK(s.Erase("b", HashKey("b"), kNow));
    CheckExact(s);
    CHECK(s.wheel()->size() == 0);
  }
  CheckExact(s);
}

TEST_CASE("RENAME, MOVE and COPY carry the TTL into the other shard's wheel") {
  Shard src(0), dst(0);
  src.ExpireDue(kNow, 1, [](std::string_view) {});
  dst.ExpireDue(kNow, 1, [](std::string_view) {});
  Put(src, "s", "string", kNow + 100);
  src.PutObject("h", HashKey("h"), ValueType::kHash, std::make_unique<TestCollection>("x"),
                kNow + 100);
  // MOVE/RENAME: Take then PutValue.
  dst.PutValue("s2", HashKey("s2"), src.Take("s", HashKey("s")));
  dst.PutValue("h2", HashKey("h2"), src.Take("h", HashKey("h")));
  // COPY: CopyValue then PutValue (over an existing key with another TTL).
  Put(dst, "c", "old", kNow + 99'999);
  dst.PutValue("c", HashKey("c"), Shard::CopyValue(Raw(dst, "s2")));
  CheckExact(src);
  CheckExact(dst);
  CHECK(src.wheel()->size() == 0);
  CHECK(dst.wheel()->size() == 3);
  std::vector<std::string> gone = ExpireAll(dst, kNow + 200);
  CHECK(std::set<std::string>(gone.begin(), gone.end()) ==
        std::set<std::string>{"s2", "h2", "c"});
}

TEST_CASE("SWAPDB swaps the wheels; FLUSHDB drops the wheel") {
  Shard a(0), b(0);
  a.ExpireDue(kNow, 1, [](std::string_view) {});
  Put(a, "x", "v", kNow + 100);
  Put(b, "y", "v", kNow + 5000);  // b's wheel has not started yet
  a.SwapContents(b);
  CheckExact(a);
  CheckExact(b);
  CHECK(Raw(a, "y"));
  CHECK(ExpireAll(b, kNow + 200) == std::vector<std::string>{"x"});
  CHECK(ExpireAll(a, kNow + 200).empty());
  CHECK(ExpireAll(a, kNow + 6000) == std::vector<std::string>{"y"});
  Put(a, "z", "v", kNow + 10'000);
  a.Clear();
  CHECK(a.wheel() == nullptr);
  CHECK(a.expires() == 0);
  Put(a, "z", "v", kNow + 10'000);
  CheckExact(a);
  CHECK(ExpireAll(a, kNow + 20'000) == std::vector<std::string>{"z"});
}

TEST_CASE("the wheel's arrays come from the shard's slab and go back with its pages") {
  // 20,000 keys due within one tick: a level-0 bucket of 20,000 records (a chunk-backed
  // array), plus small and page-fraction arrays for keys spread over the next seconds.
  int64_t before = memory::Used();
  {
    Shard s(0);
    ExpireAll(s, kNow);  // starts the wheel
    size_t slab_before = s.slab_bytes_used();
    for (int i = 0; i < 20'000; ++i) Put(s, "k" + std::to_string(i), "v", kNow + 1);
    for (int i = 0; i < 3'000; ++i) Put(s, "t" + std::to_string(i), "v", kNow + 100 + i);
    CheckExact(s);
    const ExpiryWheel& wheel = *s.wheel();
    CHECK(wheel.bytes() >= 23'000 * sizeof(void*));
    CHECK(wheel.bytes() <= 23'000 * sizeof(void*) * 2);
    // The records' arrays are counted once, in the slab.
    CHECK(s.slab_bytes_used() - slab_before >= wheel.bytes());
    // The table's slots are the slab's as well.
    CHECK(s.slab_bytes_used() - slab_before >=
          wheel.bytes() + s.table_capacity() * sizeof(uint64_t) + 23'000 * 16);
    CHECK(s.bytes_used() == s.slab_bytes_used());
    Put(s, "persistent", "v");
    std::vector<std::string> gone = ExpireAll(s, kNow + 2);  // the big bucket, emptied
    CHECK(gone.size() == 20'000);
    CheckExact(s);
    CHECK(ExpireAll(s, kNow + 10'000).size() == 3'000);
    CHECK(s.wheel() == nullptr);  // freed with its last record
    CHECK(s.expires() == 0);
    // Only the persistent key's entry and the table (shrunk to its minimum) are left.
    CHECK(s.slab_bytes_used() == SlabAllocator::RoundedSize(Raw(s, "persistent").size()) +
                                     SlabAllocator::ArraySize(s.table_capacity() * 8));
  }
  CHECK(memory::Used() == before);  // the shard's lifetime leaves the counter as it found it
}

TEST_CASE("SWAPDB and FLUSHDB keep the wheel's arrays with their slab") {
  int64_t before = memory::Used();
  {
    Shard a(0), b(0);
    ExpireAll(a, kNow);
    for (int i = 0; i < 2'000; ++i) Put(a, "a" + std::to_string(i), "v", kNow + 1 + i % 50);
    for (int i = 0; i < 500; ++i) Put(b, "b" + std::to_string(i), "v", kNow + 1 + i % 7);
    a.SwapContents(b);
    // Growing and shrinking the moved wheels' arrays uses the allocator they moved with.
    for (int i = 0; i < 2'000; ++i) Put(b, "c" + std::to_string(i), "v", kNow + 1 + i % 50);
    for (int i = 0; i < 500; ++i) Put(a, "d" + std::to_string(i), "v", kNow + 1 + i % 7);
    CheckExact(a);
    CheckExact(b);
    CHECK(ExpireAll(b, kNow + 100).size() == 4'000);
    CHECK(b.slab_bytes_used() == 0);
    a.Clear();  // the wheel's arrays are freed before the slab's pages go
    CHECK(a.slab_bytes_used() == 0);
    CHECK(a.table_capacity() == 0);
  }
  CHECK(memory::Used() == before);
}

TEST_CASE("expiry_sum gives the exact average TTL") {
  Shard s(0);
  Put(s, "a", "v", kNow + 1000);
  Put(s, "b", "v", kNow + 3000);
  Put(s, "c", "v");
  CHECK(s.expiry_sum() == static_cast<__int128>(2 * kNow + 4000));
  SetExpiry(s, "a", kNow + 2000);
  CHECK(s.expiry_sum() == static_cast<__int128>(2 * kNow + 5000));
  SetExpiry(s, "b", kNoExpiry);
  CHECK(s.expiry_sum() == static_cast<__int128>(kNow + 2000));
}

}  // namespace
}  // namespace stash::storage
