// ExpiryWheel with an injected clock: insert, remove, relocate, cascade, the due list and the
// work budget, checked against a plain model (a multiset of expiry times) on random operations.
#include <doctest/doctest.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "storage/entry.h"
#include "storage/expiry_wheel.h"

namespace stash::storage {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;  // a fixed "current time": no clocks, no sleeps

// Owns the memory of test entries (string entries with a key and no value).
class Entries {
 public:
  ~Entries() {
    for (uint8_t* p : live_) free(p);
  }
  Entry Make(int64_t expiry_ms, const std::string& key = "k") {
    size_t size = entry_layout::EntrySize(key.size(), 0, true);
    auto* p = static_cast<uint8_t*>(malloc(size));
    live_.insert(p);
    return Entry::Init(p, ValueType::kString, key, 0, expiry_ms);
  }
  void Destroy(Entry e) {
    live_.erase(e.raw());
    free(e.raw());
  }

 private:
  std::set<uint8_t*> live_;
};

// Every record points at a live entry whose level and position say where the record is, and
// every entry in `expected` has exactly one record.
void CheckRecords(const ExpiryWheel& wheel, const std::set<uint8_t*>& expected) {
  std::set<uint8_t*> seen;
  wheel.ForEachRecord([&](Entry e, int level, uint32_t pos) {
    REQUIRE(expected.count(e.raw()) == 1);
    CHECK(seen.insert(e.raw()).second);
    CHECK(e.wheel_level() == level);
    CHECK(e.wheel_pos() == pos);
  });
  CHECK(seen.size() == expected.size());
  CHECK(wheel.size() == expected.size());
}

// Takes every due entry (as a shard deleting them would); returns their expiry times.
std::vector<int64_t> Drain(ExpiryWheel& wheel, Entries& entries, int64_t now,
                           std::set<uint8_t*>* live, size_t budget = SIZE_MAX) {
  std::vector<int64_t> out;
  while (true) {
    Entry e = wheel.NextDue(now, &budget);
    if (!e) break;
    out.push_back(e.expiry_ms());
    wheel.Remove(e);
    live->erase(e.raw());
    entries.Destroy(e);
  }
  return out;
}

TEST_CASE("the 10-byte TTL extension keeps every int64 expiry exactly") {
  Entries entries;
  const int64_t narrow_max = entry_layout::kMaxNarrowExpiry - 1;
  for (int64_t ms : {int64_t{0}, int64_t{1}, kNow, narrow_max, narrow_max + 1,
                     int64_t{9'000'000'000'000'000'000}, INT64_MAX, int64_t{-2}, INT64_MIN}) {
    CAPTURE(ms);
    Entry e = entries.Make(ms, "some-key");
    CHECK(e.expiry_ms() == ms);
    CHECK(e.has_narrow_expiry() == (ms >= 0 && ms <= narrow_max));
    CHECK(e.key() == "some-key");
    if (e.has_narrow_expiry()) {
      e.set_wheel_pos(0xfffffffe);
      e.set_wheel_level(6);
      CHECK(e.expiry_ms() == ms);  // position and level do not disturb the expiry
    }
    e.set_expiry_in_place(kNow);  // wide to narrow and back, in place
    CHECK(e.expiry_ms() == kNow);
    e.set_expiry_in_place(ms);
    CHECK(e.expiry_ms() == ms);
  }
}

TEST_CASE("entries added before the wheel knows the time are sorted on the first NextDue") {
  SlabAllocator slab;
  ExpiryWheel wheel(&slab);
  Entries entries;
  std::set<uint8_t*> live;
  for (int64_t offset : {-5, 0, 1, 100, 70'000, 3'600'000}) {
    Entry e = entries.Make(kNow + offset);
    wheel.Insert(e);
    live.insert(e.raw());
  }
  CheckRecords(wheel, live);
  CHECK(wheel.Backlog(kNow) == 6);  // all on the due list, not yet sorted
  std::vector<int64_t> due = Drain(wheel, entries, kNow, &live);
  std::sort(due.begin(), due.end());
  CHECK(due == std::vector<int64_t>{kNow - 5, kNow});
  CheckRecords(wheel, live);
  CHECK(wheel.Backlog(kNow) == 0);
}

TEST_CASE("an entry comes due at its tick, through every level, and never early") {
  // One entry per level's range: 0.1 s, 10 s, 10 min, 12 h, 30 days, 5 years, 300 years.
  for (int64_t ttl : {int64_t{100}, int64_t{10'000}, int64_t{600'000}, int64_t{43'200'000},
                      int64_t{2'592'000'000}, int64_t{157'680'000'000},
                      int64_t{9'460'800'000'000}}) {
    CAPTURE(ttl);
    SlabAllocator slab;
    ExpiryWheel wheel(&slab);
    Entries entries;
    std::set<uint8_t*> live;
    size_t budget = SIZE_MAX;
    CHECK(!wheel.NextDue(kNow, &budget));  // starts the wheel at kNow
    Entry e = entries.Make(kNow + ttl);
    wheel.Insert(e);
    live.insert(e.raw());
    CHECK(e.wheel_level() != Entry::kDueLevel);
    // Just before its time it is not due, however the time got there.
    CHECK(Drain(wheel, entries, kNow + ttl / 2, &live).empty());
    CHECK(Drain(wheel, entries, kNow + ttl - 1, &live).empty());
    CheckRecords(wheel, live);
    // Within one 16 ms tick after it, it is.
    CHECK(Drain(wheel, entries, kNow + ttl + 16, &live) == std::vector<int64_t>{kNow + ttl});
    CHECK(wheel.size() == 0);
    CHECK(wheel.bytes() == 0);  // emptied buckets are freed
  }
}

TEST_CASE("an entry already past when added goes to the due list") {
  SlabAllocator slab;
  ExpiryWheel wheel(&slab);
  Entries entries;
  std::set<uint8_t*> live;
  size_t budget = SIZE_MAX;
  wheel.NextDue(kNow, &budget);
  Entry late = entries.Make(kNow - 1000);
  wheel.Insert(late);
  live.insert(late.raw());
  CHECK(late.wheel_level() == Entry::kDueLevel);
  CHECK(wheel.Backlog(kNow) == 1);
  CHECK(Drain(wheel, entries, kNow, &live) == std::vector<int64_t>{kNow - 1000});
}

TEST_CASE("Remove and Relocate keep every record exact") {
  SlabAllocator slab;
  ExpiryWheel wheel(&slab);
  Entries entries;
  std::set<uint8_t*> live;
  size_t budget = SIZE_MAX;
  wheel.NextDue(kNow, &budget);
  std::vector<Entry> all;
  for (int i = 0; i < 50; ++i) {
    Entry e = entries.Make(kNow + 1000 + (i % 5));  // a few shared buckets
    wheel.Insert(e);
    live.insert(e.raw());
    all.push_back(e);
  }
  CheckRecords(wheel, live);
  // Remove from the middle, the front and the back of buckets.
  for (int i : {0, 49, 25, 10, 11}) {
    wheel.Remove(all[i]);
    live.erase(all[i].raw());
    entries.Destroy(all[i]);
    CheckRecords(wheel, live);
  }
  // Relocate: a copy takes over the record; the original can then be freed.
  Entry from = all[30];
  Entry to = entries.Make(from.expiry_ms());
  wheel.Relocate(from, to);
  live.erase(from.raw());
  entries.Destroy(from);
  live.insert(to.raw());
  CheckRecords(wheel, live);
  CHECK(Drain(wheel, entries, kNow + 2000, &live).size() == 45);
  CHECK(wheel.size() == 0);
}

TEST_CASE("the level-1 slot being drained keeps its records in place, with holes") {
  SlabAllocator slab;
  ExpiryWheel wheel(&slab);
  Entries entries;
  std::set<uint8_t*> live;
  size_t budget = SIZE_MAX;
  // Start at the beginning of a level-1 slot (64 ticks of 16 ms: 1024 ms), so that entries
  // due 1-4 s later sit in the next three level-1 slots.
  constexpr int64_t kSlotMs = 1024;
  const int64_t start = (kNow / kSlotMs + 1) * kSlotMs;
  wheel.NextDue(start, &budget);
  std::vector<Entry> all;
  for (int i = 0; i < 900; ++i) {
    Entry e = entries.Make(start + kSlotMs + (i * 37) % (3 * kSlotMs));
    wheel.Insert(e);
    live.insert(e.raw());
    all.push_back(e);
    CHECK(e.wheel_level() == 1);
  }
  // Entering the first of them freezes it: nothing is due yet, its records stay on level 1.
  CHECK(Drain(wheel, entries, start + kSlotMs, &live).empty());
  for (Entry e : all) CHECK(e.wheel_level() == 1);
  CheckRecords(wheel, live);
  // Remove and relocate records, the frozen slot's among them: they leave holes or take over.
  for (int i = 0; i < 900; i += 7) {
    wheel.Remove(all[i]);
    live.erase(all[i].raw());
    entries.Destroy(all[i]);
  }
  for (int i = 3; i < 900; i += 11) {
    if (i % 7 == 0) continue;
    Entry to = entries.Make(all[i].expiry_ms());
    wheel.Relocate(all[i], to);
    live.erase(all[i].raw());
    entries.Destroy(all[i]);
    live.insert(to.raw());
    all[i] = to;
  }
  CheckRecords(wheel, live);
  // An entry added now for a tick of the frozen slot's second goes to level 0 beside it.
  Entry late = entries.Make(start + kSlotMs + 500);
  wheel.Insert(late);
  live.insert(late.raw());
  CHECK(late.wheel_level() == 0);
  CheckRecords(wheel, live);
  // Draining in steps of time: every entry comes out once, at its tick and never early.
  size_t before = live.size();
  size_t taken = 0;
  for (int64_t now = start + kSlotMs; now <= start + 5 * kSlotMs; now += 10) {
    for (int64_t expiry : Drain(wheel, entries, now, &live)) {
      CHECK(expiry <= now);
      CHECK(expiry > now - 10 - 16);
      ++taken;
    }
    if (now % 100 == 0) CheckRecords(wheel, live);
  }
  CHECK(taken == before);
  CHECK(wheel.size() == 0);
  CHECK(wheel.bytes() == 0);  // the frozen slots and their order arrays are freed
}

TEST_CASE("NextDue spends at most its budget and resumes where it stopped") {
  SlabAllocator slab;
  ExpiryWheel wheel(&slab);
  Entries entries;
  std::set<uint8_t*> live;
  size_t budget = SIZE_MAX;
  wheel.NextDue(kNow, &budget);
  // 5000 entries in one second, 3 s away: they sit on level 1 and need cascading.
  for (int i = 0; i < 5000; ++i) {
    Entry e = entries.Make(kNow + 3000 + i % 1000);
    wheel.Insert(e);
    live.insert(e.raw());
  }
  int64_t later = kNow + 5000;
  size_t taken = 0, calls = 0;
  while (true) {
    // Each call: at most 8 units of wheel work plus at most 8 entries taken.
    size_t units = 8, got = 0;
    while (units > 0) {
      Entry e = wheel.NextDue(later, &units);
      if (!e) break;
      --units;
      ++got;
      wheel.Remove(e);
      live.erase(e.raw());
      entries.Destroy(e);
    }
    CHECK(got <= 8);
    taken += got;
    ++calls;
    if (units > 0) break;  // finished within the budget: nothing more is due
    REQUIRE(calls < 100'000);
  }
  CHECK(taken == 5000);
  CHECK(calls > 5000 / 8);  // the work really was split up
  CHECK(wheel.size() == 0);
}

TEST_CASE("a clock that goes back expires nothing early") {
  SlabAllocator slab;
  ExpiryWheel wheel(&slab);
  Entries entries;
  std::set<uint8_t*> live;
  size_t budget = SIZE_MAX;
  wheel.NextDue(kNow, &budget);
  Entry e = entries.Make(kNow + 500);
  wheel.Insert(e);
  live.insert(e.raw());
  CHECK(Drain(wheel, entries, kNow - 60'000, &live).empty());
  CHECK(Drain(wheel, entries, kNow + 499, &live).empty());
  CHECK(Drain(wheel, entries, kNow + 600, &live).size() == 1);
}

TEST_CASE("random inserts, removals, relocations and time steps agree with a model") {
  std::mt19937_64 rng(12345);
  SlabAllocator slab;
  ExpiryWheel wheel(&slab);
  Entries entries;
  std::set<uint8_t*> live;
  std::vector<Entry> handles;
  int64_t now = kNow;
  auto random_ttl = [&]() -> int64_t {
    switch (rng() % 5) {
      case 0: return static_cast<int64_t>(rng() % 50) - 10;          // around now, some past
      case 1: return static_cast<int64_t>(rng() % 5'000);            // seconds
      case 2: return static_cast<int64_t>(rng() % 600'000);          // minutes
      case 3: return static_cast<int64_t>(rng() % 100'000'000);      // days
      default: return static_cast<int64_t>(rng() % 40'000'000'000);  // a year
    }
  };
  for (int round = 0; round < 3000; ++round) {
    int op = static_cast<int>(rng() % 10);
    if (op < 4 || handles.empty()) {
      Entry e = entries.Make(now + random_ttl());
      wheel.Insert(e);
      live.insert(e.raw());
      handles.push_back(e);
    } else if (op < 6) {
      size_t i = rng() % handles.size();
      Entry e = handles[i];
      handles[i] = handles.back();
      handles.pop_back();
      wheel.Remove(e);
      live.erase(e.raw());
      entries.Destroy(e);
    } else if (op < 7) {
      size_t i = rng() % handles.size();
      Entry from = handles[i];
      Entry to = entries.Make(from.expiry_ms());
      wheel.Relocate(from, to);
      live.erase(from.raw());
      entries.Destroy(from);
      live.insert(to.raw());
      handles[i] = to;
    } else {
      // Advance time (sometimes by a lot) and take what is due, with a small budget.
      now += (rng() % 4 == 0) ? static_cast<int64_t>(rng() % 100'000'000)
                              : static_cast<int64_t>(rng() % 200);
      size_t budget = 1 + rng() % 64;
      while (true) {
        Entry e = wheel.NextDue(now, &budget);
        if (!e) break;
        REQUIRE(e.expiry_ms() <= now);  // never early
        wheel.Remove(e);
        live.erase(e.raw());
        handles.erase(std::find_if(handles.begin(), handles.end(),
                                   [&](Entry h) { return h.raw() == e.raw(); }));
        entries.Destroy(e);
        if (budget == 0) break;
        --budget;
      }
    }
    if (round % 97 == 0) CheckRecords(wheel, live);
  }
  CheckRecords(wheel, live);
  // With an unlimited budget, everything due is found: what stays is due after the current
  // 16 ms tick.
  size_t budget = SIZE_MAX;
  std::vector<int64_t> rest;
  while (Entry e = wheel.NextDue(now, &budget)) {
    wheel.Remove(e);
    live.erase(e.raw());
    entries.Destroy(e);
  }
  wheel.ForEachRecord([&](Entry e, int, uint32_t) {
    CHECK(e.expiry_ms() >= ((now + 1) & ~int64_t{15}));
  });
  CheckRecords(wheel, live);
}

}  // namespace
}  // namespace stash::storage
