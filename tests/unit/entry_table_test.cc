// EntryTable: open addressing with backward-shift deletion, 1.5x growth and shrinking, and the
// hash-ordered SCAN cursor that survives resizes.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/entry.h"
#include "storage/entry_table.h"
#include "storage/hash.h"

namespace stash::storage {
namespace {

// Owns the entries a table points at (the table never allocates or frees entries itself).
// Keys are always hashed with HashKey: the table rehashes stored keys with it when it moves
// them, so any other hash would break its invariants.
class Fixture {
 public:
  explicit Fixture(int shard_bits = 0) : table(shard_bits), shard_bits_(shard_bits) {}

  // Adds key (which must be absent) with the given value.
  void Add(const std::string& key, const std::string& value = "v") {
    size_t size = entry_layout::EntrySize(key.size(), value.size(), false);
    auto block = std::make_unique<uint8_t[]>(size);
    Entry e = Entry::Init(block.get(), ValueType::kString, key, value.size(), kNoExpiry);
    memcpy(e.value_data(), value.data(), value.size());
    table.Insert(e, HashKey(key));
    blocks_[key] = std::move(block);
  }

  // Removes key if present; returns whether it was.
  bool Remove(const std::string& key) {
    size_t slot = table.Find(key, HashKey(key));
    if (slot == EntryTable::kNotFound) return false;
    table.EraseAt(slot);
    blocks_.erase(key);
    return true;
  }

  bool Has(const std::string& key) const {
    return table.Find(key, HashKey(key)) != EntryTable::kNotFound;
  }

  std::string ValueOf(const std::string& key) const {
    size_t slot = table.Find(key, HashKey(key));
    REQUIRE(slot != EntryTable::kNotFound);
    return std::string(table.At(slot).value());
  }

  // The linear-probing invariant: every entry is reachable from its home slot without crossing
  // an empty slot. Backward-shift deletion must preserve it, or Find stops early.
  void CheckInvariant() const {
    size_t n = table.capacity();
    size_t count = 0;
    for (size_t slot = 0; slot < n; ++slot) {
      Entry e = table.At(slot);
      if (!e) continue;
      ++count;
      uint64_t local = shard_bits_ ? HashKey(e.key()) << shard_bits_ : HashKey(e.key());
      size_t home = static_cast<size_t>((static_cast<unsigned __int128>(local) * n) >> 64);
      for (size_t p = home; p != slot; p = (p + 1) % n) {
        if (!table.At(p)) {
          FAIL_CHECK("entry at slot ", slot, " unreachable from home ", home);
          return;
        }
      }
    }
    CHECK(count == table.size());
    if (n > 0) CHECK(table.size() * 100 <= n * 85);
  }

  EntryTable table;

 private:
  int shard_bits_;
  std::unordered_map<std::string, std::unique_ptr<uint8_t[]>> blocks_;
};

std::string Key(uint64_t i) { return "key:" + std::to_string(i); }

TEST_CASE("an empty table finds nothing and scans nothing") {
  Fixture f;
  CHECK(f.table.size() == 0);
  CHECK(f.table.capacity() == 0);
  CHECK(f.table.bytes() == 0);
  CHECK_FALSE(f.Has("x"));
  uint64_t next = 12345;
  CHECK(f.table.Scan(0, 10, &next, [](Entry) { FAIL("visited an entry"); }));
  int visits = 0;
  f.table.ForEach([&](Entry) { ++visits; });
  CHECK(visits == 0);
}

TEST_CASE("insert, find and erase single keys") {
  Fixture f;
  f.Add("alpha", "1");
  f.Add("beta", "22");
  CHECK(f.table.size() == 2);
  CHECK(f.ValueOf("alpha") == "1");
  CHECK(f.ValueOf("beta") == "22");
  CHECK_FALSE(f.Has("gamma"));
  CHECK(f.Remove("alpha"));
  CHECK_FALSE(f.Has("alpha"));
  CHECK_FALSE(f.Remove("alpha"));
  CHECK(f.ValueOf("beta") == "22");
  CHECK(f.table.size() == 1);
}

TEST_CASE("keys that differ only in length or binary content are distinct") {
  Fixture f;
  f.Add(std::string("a\0", 2), "nul");
  f.Add("a", "plain");
  f.Add("", "empty");
  CHECK(f.ValueOf("a") == "plain");
  CHECK(f.ValueOf(std::string("a\0", 2)) == "nul");
  CHECK(f.ValueOf("") == "empty");
}

TEST_CASE("Replace points a slot at a relocated entry with the same key") {
  Fixture f;
  f.Add("k", "old");
  size_t slot = f.table.Find("k", HashKey("k"));
  std::string value = "new-and-longer";
  auto block = std::make_unique<uint8_t[]>(entry_layout::EntrySize(1, value.size(), false));
  Entry fresh = Entry::Init(block.get(), ValueType::kString, "k", value.size(), kNoExpiry);
  memcpy(fresh.value_data(), value.data(), value.size());
  Entry original = f.table.At(slot);
  f.table.Replace(slot, fresh);
  CHECK(f.table.Find("k", HashKey("k")) == slot);
  CHECK(f.table.At(slot).raw() == fresh.raw());
  CHECK(f.table.At(slot).value() == value);
  f.table.Replace(slot, original);  // block is freed at the end of this scope
  CHECK(f.ValueOf("k") == "old");
}

TEST_CASE("random inserts and erases agree with std::unordered_map") {
  for (int shard_bits : {0, 6}) {
    CAPTURE(shard_bits);
    Fixture f(shard_bits);
    std::unordered_map<std::string, std::string> model;
    std::mt19937_64 rng(1234 + shard_bits);
    // A small key universe so that erases hit and clusters form and break up constantly.
    const uint64_t universe = 3000;
    for (int op = 0; op < 200000; ++op) {
      std::string key = Key(rng() % universe);
      switch (rng() % 3) {
        case 0:
        case 1:
          if (model.count(key) == 0) {
            std::string value = std::to_string(op);
            f.Add(key, value);
            model[key] = value;
          }
          break;
        case 2:
          CHECK(f.Remove(key) == (model.erase(key) == 1));
          break;
      }
      if (op % 20000 == 0) f.CheckInvariant();
    }
    f.CheckInvariant();
    CHECK(f.table.size() == model.size());
    for (uint64_t i = 0; i < universe; ++i) {
      std::string key = Key(i);
      auto it = model.find(key);
      CHECK(f.Has(key) == (it != model.end()));
      if (it != model.end()) CHECK(f.ValueOf(key) == it->second);
    }
    size_t visited = 0;
    f.table.ForEach([&](Entry e) {
      ++visited;
      CHECK(model.count(std::string(e.key())) == 1);
    });
    CHECK(visited == model.size());
  }
}

TEST_CASE("erasing every key in random order keeps every remaining key findable") {
  Fixture f;
  std::vector<std::string> keys;
  for (int i = 0; i < 5000; ++i) {
    keys.push_back(Key(i));
    f.Add(keys.back());
  }
  std::mt19937_64 rng(99);
  std::shuffle(keys.begin(), keys.end(), rng);
  for (size_t i = 0; i < keys.size(); ++i) {
    REQUIRE(f.Remove(keys[i]));
    if (i % 97 == 0) {
      f.CheckInvariant();
      for (size_t j = i + 1; j < keys.size(); j += 13) REQUIRE(f.Has(keys[j]));
    }
  }
  CHECK(f.table.size() == 0);
}

TEST_CASE("the table grows by 1.5x past 85% load and shrinks below 1/8") {
  Fixture f;
  f.Add(Key(0));
  CHECK(f.table.capacity() == 8);
  std::vector<size_t> capacities = {8};
  for (int i = 1; i < 100000; ++i) {
    f.Add(Key(i));
    if (f.table.capacity() != capacities.back()) {
      // Growth happens exactly when one more key would pass 85% of the old capacity.
      size_t old_capacity = capacities.back();
      CHECK(static_cast<size_t>(i + 1) * 100 > old_capacity * 85);
      CHECK(f.table.capacity() == old_capacity + old_capacity / 2);
      capacities.push_back(f.table.capacity());
    }
  }
  CHECK(capacities.size() > 15);
  CHECK(f.table.bytes() == f.table.capacity() * sizeof(uint64_t));
  f.CheckInvariant();
  size_t grown = f.table.capacity();
  for (int i = 0; i < 99000; ++i) REQUIRE(f.Remove(Key(i)));
  CHECK(f.table.capacity() < grown / 8);
  CHECK(f.table.size() == 1000);
  // After a shrink the table is half full at most, so it does not bounce straight back.
  CHECK(f.table.size() * 8 >= f.table.capacity() / 2);
  f.CheckInvariant();
  for (int i = 99000; i < 100000; ++i) REQUIRE(f.Has(Key(i)));
  for (int i = 99000; i < 100000; ++i) REQUIRE(f.Remove(Key(i)));
  CHECK(f.table.capacity() == 8);
}

TEST_CASE("FindEntry and FindByHint find every entry's slot at every size") {
  for (int shard_bits : {0, 6}) {
    Fixture f(shard_bits);
    std::vector<std::string> keys;
    auto check_all = [&]() {
      for (const std::string& key : keys) {
        uint64_t hash = HashKey(key);
        size_t slot = f.table.Find(key, hash);
        REQUIRE(slot != EntryTable::kNotFound);
        Entry e = f.table.At(slot);
        CHECK(f.table.FindEntry(e, hash) == slot);
        CHECK(f.table.FindByHint(e, f.table.HomeHint(hash)) == slot);
      }
    };
    // Growing through many capacities (clusters that wrap past the last slot included), then
    // shrinking back.
    for (int i = 0; i < 3000; ++i) {
      keys.push_back("key:" + std::to_string(i));
      f.Add(keys.back());
      if (i % 97 == 0 || i < 40) check_all();
    }
    check_all();
    while (keys.size() > 5) {
      f.Remove(keys.back());
      keys.pop_back();
      if (keys.size() % 89 == 0) check_all();
    }
    check_all();
  }
}

TEST_CASE("Clear drops everything and the table is usable again") {
  Fixture f;
  for (int i = 0; i < 100; ++i) f.Add(Key(i));
  f.table.Clear();
  CHECK(f.table.size() == 0);
  CHECK(f.table.capacity() == 0);
  CHECK_FALSE(f.Has(Key(1)));
  f.Add("again");
  CHECK(f.Has("again"));
  CHECK(f.table.capacity() == 8);
}

TEST_CASE("Swap exchanges contents") {
  Fixture a, b;
  a.Add("in-a");
  for (int i = 0; i < 50; ++i) b.Add(Key(i));
  a.table.Swap(b.table);
  CHECK(a.table.size() == 50);
  CHECK(b.table.size() == 1);
  CHECK(a.Has(Key(7)));
  CHECK(b.Has("in-a"));
  a.table.Swap(b.table);  // give each fixture its own entries back before destruction
}

TEST_CASE("SlotNear always lands on an occupied slot") {
  Fixture f;
  for (int i = 0; i < 10; ++i) f.Add(Key(i));
  for (int i = 0; i < 90; ++i) f.Add(Key(1000 + i));
  for (int i = 0; i < 90; ++i) f.Remove(Key(1000 + i));
  std::mt19937_64 rng(5);
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    Entry e = f.table.At(f.table.SlotNear(rng()));
    REQUIRE(e);
    seen.insert(std::string(e.key()));
  }
  CHECK(seen.size() == 10);
}

// ---------------------------------------------------------------------------------------------
// SCAN.

// Runs one full scan of the table with the given count, calling between(call_number) between
// calls (which may modify the table). Returns how many times each key was visited.
template <typename Between>
std::map<std::string, int> FullScan(Fixture& f, size_t count, Between&& between) {
  std::map<std::string, int> seen;
  uint64_t cursor = 0;
  for (int call = 0;; ++call) {
    uint64_t next = 0;
    bool done = f.table.Scan(cursor, count, &next, [&](Entry e) { ++seen[std::string(e.key())]; });
    if (done) break;
    REQUIRE(next > cursor);  // progress
    cursor = next;
    between(call);
  }
  return seen;
}

TEST_CASE("a scan of a stable table visits every key exactly once") {
  for (size_t count : {size_t{1}, size_t{3}, size_t{10}, size_t{1000}}) {
    CAPTURE(count);
    Fixture f;
    for (int i = 0; i < 3000; ++i) f.Add(Key(i));
    auto seen = FullScan(f, count, [](int) {});
    CHECK(seen.size() == 3000);
    for (auto& [key, times] : seen) CHECK(times == 1);
  }
}

TEST_CASE("one scan call with a huge count returns every key once, wrapped ones included") {
  // Regression: with the cursor at 0 and the walk reaching the end of the table, entries that
  // probing had wrapped from the last slots to slots 0, 1, ... were missed. Checking every size
  // from 1 to 3000 keys makes such wrapped entries occur many times over.
  for (int shard_bits : {0, 6}) {
    CAPTURE(shard_bits);
    Fixture f(shard_bits);
    std::vector<int> times;
    for (int n = 1; n <= 3000; ++n) {
      f.Add(Key(n));
      times.assign(n + 1, 0);
      uint64_t next;
      bool done = f.table.Scan(0, 1'000'000, &next, [&](Entry e) {
        ++times[std::stoi(std::string(e.key().substr(4)))];  // "key:<n>"
      });
      bool once_each = std::count(times.begin() + 1, times.end(), 1) == n;
      if (!done || !once_each) {
        CAPTURE(n);
        FAIL("a full scan missed or repeated keys");
      }
    }
  }
}

TEST_CASE("a scan call on a well-filled table returns at least count entries") {
  Fixture f;
  for (int i = 0; i < 1000; ++i) f.Add(Key(i));
  uint64_t cursor = 0;
  size_t total = 0;
  while (true) {
    uint64_t next;
    size_t visits = 0;
    bool done = f.table.Scan(cursor, 10, &next, [&](Entry) { ++visits; });
    total += visits;
    if (done) break;
    CHECK(visits >= 10);
    cursor = next;
  }
  CHECK(total == 1000);
}

TEST_CASE("scan cursors are hash positions: each call returns hashes in [cursor, next)") {
  Fixture f;  // no shard bits: the local hash is the key's hash
  for (int i = 0; i < 500; ++i) f.Add(Key(i));
  uint64_t cursor = 0;
  while (true) {
    uint64_t next = UINT64_MAX;
    std::vector<uint64_t> hashes;
    bool done =
        f.table.Scan(cursor, 7, &next, [&](Entry e) { hashes.push_back(HashKey(e.key())); });
    for (uint64_t h : hashes) {
      CHECK(h >= cursor);
      if (!done) CHECK(h < next);
    }
    if (done) break;
    cursor = next;
  }
}

TEST_CASE("keys present for the whole scan are visited even when the table grows") {
  for (size_t count : {size_t{1}, size_t{5}, size_t{50}}) {
    CAPTURE(count);
    Fixture f;
    for (int i = 0; i < 1000; ++i) f.Add(Key(i));
    int next_churn = 0;
    size_t initial_capacity = f.table.capacity();
    auto seen = FullScan(f, count, [&](int call) {
      // Add keys between the first calls to force several growths during the scan (but stop at
      // some point, or a scan returning one key per call would never catch up).
      if (call >= 100) return;
      for (int j = 0; j < 40; ++j) f.Add("grow:" + std::to_string(next_churn++));
    });
    CHECK(f.table.capacity() > initial_capacity);
    for (int i = 0; i < 1000; ++i) CHECK(seen.count(Key(i)) == 1);
  }
}

TEST_CASE("keys present for the whole scan are visited even when the table shrinks") {
  for (size_t count : {size_t{1}, size_t{5}, size_t{50}}) {
    CAPTURE(count);
    Fixture f;
    for (int i = 0; i < 100; ++i) f.Add(Key(i));
    for (int i = 0; i < 20000; ++i) f.Add("doomed:" + std::to_string(i));
    size_t initial_capacity = f.table.capacity();
    int next_doomed = 0;
    auto seen = FullScan(f, count, [&](int) {
      for (int j = 0; j < 400 && next_doomed < 20000; ++j) {
        REQUIRE(f.Remove("doomed:" + std::to_string(next_doomed++)));
      }
    });
    CHECK(f.table.capacity() < initial_capacity / 8);
    for (int i = 0; i < 100; ++i) CHECK(seen.count(Key(i)) == 1);
  }
}

TEST_CASE("keys present for the whole scan are visited when the table grows and shrinks") {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 8; ++round) {
    CAPTURE(round);
    Fixture f(round % 2 ? 6 : 0);
    std::set<std::string> stable;
    for (int i = 0; i < 300; ++i) {
      stable.insert(Key(i));
      f.Add(Key(i));
    }
    std::vector<std::string> churn;
    uint64_t serial = 0;
    auto seen = FullScan(f, 1 + rng() % 20, [&](int call) {
      // Alternate between bulk inserts and bulk deletes of other keys so that the capacity
      // swings up and down while the cursor moves (for a bounded number of calls, so that the
      // scan surely ends).
      if (call >= 300) return;
      if (rng() % 2) {
        size_t n = rng() % 1000;
        for (size_t j = 0; j < n; ++j) {
          churn.push_back("churn:" + std::to_string(serial++));
          f.Add(churn.back());
        }
      } else {
        size_t n = std::min<size_t>(churn.size(), rng() % 1500);
        for (size_t j = 0; j < n; ++j) {
          size_t pick = rng() % churn.size();
          std::swap(churn[pick], churn.back());
          REQUIRE(f.Remove(churn.back()));
          churn.pop_back();
        }
      }
    });
    for (const std::string& key : stable) CHECK(seen.count(key) == 1);
    f.CheckInvariant();
  }
}

// ---------------------------------------------------------------------------------------------
// Displacements kept in the slots (deletion and shrinking read no neighbour's key).

// n distinct keys whose hashes all start with `zero_bits` zero bits: at any capacity below
// 2^zero_bits their homes are all slot 0, so they form one cluster with displacements up to n,
// past the 255 that a slot can hold (saturated slots fall back to hashing the key).
std::vector<std::string> CollidingKeys(size_t n, int zero_bits) {
  std::vector<std::string> keys;
  for (uint64_t i = 0; keys.size() < n; ++i) {
    std::string key = "c:" + std::to_string(i);
    if ((HashKey(key) >> (64 - zero_bits)) == 0) keys.push_back(key);
  }
  return keys;
}

TEST_CASE("a cluster longer than a slot's displacement field survives erase, shrink and scan") {
  std::vector<std::string> colliding = CollidingKeys(600, 12);
  Fixture f;
  for (int i = 0; i < 300; ++i) f.Add(Key(i));  // ordinary keys around the cluster
  for (const std::string& key : colliding) f.Add(key);
  f.CheckInvariant();
  auto seen = FullScan(f, 7, [](int) {});
  CHECK(seen.size() == 900);
  for (auto& [key, times] : seen) CHECK(times == 1);
  std::mt19937_64 rng(7);
  std::vector<std::string> keys = colliding;
  for (int i = 0; i < 300; ++i) keys.push_back(Key(i));
  std::shuffle(keys.begin(), keys.end(), rng);
  for (size_t i = 0; i < keys.size(); ++i) {
    REQUIRE(f.Remove(keys[i]));
    if (i % 37 == 0) {
      f.CheckInvariant();
      for (size_t j = i + 1; j < keys.size(); ++j) REQUIRE(f.Has(keys[j]));
      size_t visited = 0;
      uint64_t next;
      f.table.Scan(0, 1'000'000, &next, [&](Entry) { ++visited; });
      REQUIRE(visited == keys.size() - i - 1);
    }
  }
  CHECK(f.table.size() == 0);
}

TEST_CASE("deferred shrinking: erases keep every key findable, and the shrink comes at the end") {
  for (int shard_bits : {0, 6}) {
    CAPTURE(shard_bits);
    Fixture f(shard_bits);
    for (int i = 0; i < 20000; ++i) f.Add(Key(i));
    size_t full = f.table.capacity();
    f.table.DeferShrink(true);
    for (int i = 0; i < 19900; ++i) REQUIRE(f.Remove(Key(i)));
    CHECK(f.table.capacity() == full);  // no shrink while deferred
    f.CheckInvariant();
    for (int i = 19900; i < 20000; ++i) REQUIRE(f.Has(Key(i)));
    f.table.DeferShrink(false);
    CHECK(f.table.capacity() <= 200);  // one shrink, straight to twice the size
    f.CheckInvariant();
    for (int i = 19900; i < 20000; ++i) REQUIRE(f.ValueOf(Key(i)) == "v");
    for (int i = 0; i < 100; ++i) CHECK_FALSE(f.Has(Key(i)));
    // A deferred batch that empties the table frees the slot array; the table works on.
    f.table.DeferShrink(true);
    for (int i = 19900; i < 20000; ++i) REQUIRE(f.Remove(Key(i)));
    f.table.DeferShrink(false);
    CHECK(f.table.capacity() == 0);
    CHECK(f.table.bytes() == 0);
    f.Add("again");
    CHECK(f.Has("again"));
  }
}

TEST_CASE("random inserts, erases and deferred shrinks agree with a model, and scans stay exact") {
  for (int shard_bits : {0, 6}) {
    CAPTURE(shard_bits);
    Fixture f(shard_bits);
    std::set<std::string> model;
    std::mt19937_64 rng(77 + shard_bits);
    uint64_t serial = 0;
    for (int round = 0; round < 60; ++round) {
      // Bulk phases swing the capacity up and down: shrinks by 4x and more (which place most
      // keys from their old home alone) and growths (which hash every key again).
      bool defer = rng() % 2;
      f.table.DeferShrink(defer);
      if (rng() % 2) {
        size_t n = rng() % 3000;
        for (size_t j = 0; j < n; ++j) {
          std::string key = Key(serial++);
          f.Add(key);
          model.insert(key);
        }
      } else {
        size_t n = model.size() * (rng() % 100) / 100;
        for (size_t j = 0; j < n; ++j) {
          auto it = model.begin();
          std::advance(it, static_cast<long>(rng() % std::min<size_t>(model.size(), 64)));
          REQUIRE(f.Remove(*it));
          model.erase(it);
        }
      }
      f.table.DeferShrink(false);
      f.CheckInvariant();
      REQUIRE(f.table.size() == model.size());
      for (const std::string& key : model) REQUIRE(f.Has(key));
      auto seen = FullScan(f, 1 + rng() % 50, [](int) {});
      REQUIRE(seen.size() == model.size());
      for (auto& [key, times] : seen) {
        REQUIRE(times == 1);
        REQUIRE(model.count(key) == 1);
      }
    }
  }
}

}  // namespace
}  // namespace stash::storage
