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

// A wheel, the memory of its entries, and the entries that must have a record in it.
struct WheelFixture {
  SlabAllocator slab;
  ExpiryWheel wheel{&slab};
  Entries entries;
  std::set<uint8_t*> live;

  // Tells the wheel the time (its first NextDue), as a shard's first expiry step does.
  void Start(int64_t now) {
    size_t budget = SIZE_MAX;
    CHECK(!wheel.NextDue(now, &budget));
  }
  Entry Add(int64_t expiry_ms) {
    Entry e = entries.Make(expiry_ms);
    wheel.Insert(e);
    live.insert(e.raw());
    return e;
  }
  void Remove(Entry e) {
    wheel.Remove(e);
    live.erase(e.raw());
    entries.Destroy(e);
  }
  // A copy of `from` takes over its record (as a shard relocating an entry); returns it.
  Entry Relocate(Entry from) {
    Entry to = entries.Make(from.expiry_ms());
    wheel.Relocate(from, to);
    live.erase(from.raw());
    entries.Destroy(from);
    live.insert(to.raw());
    return to;
  }
  std::vector<int64_t> TakeDue(int64_t now, size_t budget = SIZE_MAX) {
    return Drain(wheel, entries, now, &live, budget);
  }
  void Check() const { CheckRecords(wheel, live); }
};

TEST_CASE("entries added before the wheel knows the time are sorted on the first NextDue") {
  WheelFixture f;
  for (int64_t offset : {-5, 0, 1, 100, 70'000, 3'600'000}) f.Add(kNow + offset);
  f.Check();
  CHECK(f.wheel.Backlog(kNow) == 6);  // all on the due list, not yet sorted
  std::vector<int64_t> due = f.TakeDue(kNow);
  std::sort(due.begin(), due.end());
  CHECK(due == std::vector<int64_t>{kNow - 5, kNow});
  f.Check();
  CHECK(f.wheel.Backlog(kNow) == 0);
}

TEST_CASE("an entry comes due at its tick, through every level, and never early") {
  // One entry per level's range: 0.1 s, 10 s, 10 min, 12 h, 30 days, 5 years, 300 years.
  for (int64_t ttl : {int64_t{100}, int64_t{10'000}, int64_t{600'000}, int64_t{43'200'000},
                      int64_t{2'592'000'000}, int64_t{157'680'000'000},
                      int64_t{9'460'800'000'000}}) {
    CAPTURE(ttl);
    WheelFixture f;
    f.Start(kNow);
    Entry e = f.Add(kNow + ttl);
    CHECK(e.wheel_level() != Entry::kDueLevel);
    // Just before its time it is not due, however the time got there.
    CHECK(f.TakeDue(kNow + ttl / 2).empty());
    CHECK(f.TakeDue(kNow + ttl - 1).empty());
    f.Check();
    // Within one 16 ms tick after it, it is.
    CHECK(f.TakeDue(kNow + ttl + 16) == std::vector<int64_t>{kNow + ttl});
    CHECK(f.wheel.size() == 0);
    CHECK(f.wheel.bytes() == 0);  // emptied buckets are freed
  }
}

TEST_CASE("an entry already past when added goes to the due list") {
  WheelFixture f;
  f.Start(kNow);
  Entry late = f.Add(kNow - 1000);
  CHECK(late.wheel_level() == Entry::kDueLevel);
  CHECK(f.wheel.Backlog(kNow) == 1);
  CHECK(f.TakeDue(kNow) == std::vector<int64_t>{kNow - 1000});
}

TEST_CASE("Remove and Relocate keep every record exact") {
  WheelFixture f;
  f.Start(kNow);
  std::vector<Entry> all;
  for (int i = 0; i < 50; ++i) all.push_back(f.Add(kNow + 1000 + (i % 5)));  // shared buckets
  f.Check();
  // Remove from the middle, the front and the back of buckets.
  for (int i : {0, 49, 25, 10, 11}) {
    f.Remove(all[i]);
    f.Check();
  }
  // Relocate: a copy takes over the record; the original can then be freed.
  f.Relocate(all[30]);
  f.Check();
  CHECK(f.TakeDue(kNow + 2000).size() == 45);
  CHECK(f.wheel.size() == 0);
}

TEST_CASE("the level-1 slot being drained keeps its records in place, with holes") {
  WheelFixture f;
  // Start at the beginning of a level-1 slot (64 ticks of 16 ms: 1024 ms), so that entries
  // due 1-4 s later sit in the next three level-1 slots.
  constexpr int64_t kSlotMs = 1024;
  const int64_t start = (kNow / kSlotMs + 1) * kSlotMs;
  f.Start(start);
  std::vector<Entry> all;
  for (int i = 0; i < 900; ++i) {
    all.push_back(f.Add(start + kSlotMs + (i * 37) % (3 * kSlotMs)));
    CHECK(all.back().wheel_level() == 1);
  }
  // Entering the first of them freezes it: nothing is due yet, its records stay on level 1.
  CHECK(f.TakeDue(start + kSlotMs).empty());
  for (Entry e : all) CHECK(e.wheel_level() == 1);
  f.Check();
  // Remove and relocate records, the frozen slot's among them: they leave holes or take over.
  for (int i = 0; i < 900; i += 7) f.Remove(all[i]);
  for (int i = 3; i < 900; i += 11) {
    if (i % 7 != 0) all[i] = f.Relocate(all[i]);
  }
  f.Check();
  // An entry added now for a tick of the frozen slot's second goes to level 0 beside it.
  CHECK(f.Add(start + kSlotMs + 500).wheel_level() == 0);
  f.Check();
  // Draining in steps of time: every entry comes out once, at its tick and never early.
  size_t before = f.live.size();
  size_t taken = 0;
  for (int64_t now = start + kSlotMs; now <= start + 5 * kSlotMs; now += 10) {
    for (int64_t expiry : f.TakeDue(now)) {
      CHECK(expiry <= now);
      CHECK(expiry > now - 10 - 16);
      ++taken;
    }
    if (now % 100 == 0) f.Check();
  }
  CHECK(taken == before);
  CHECK(f.wheel.size() == 0);
  CHECK(f.wheel.bytes() == 0);  // the frozen slots and their order arrays are freed
}

TEST_CASE("NextDue spends at most its budget and resumes where it stopped") {
  WheelFixture f;
  f.Start(kNow);
  // 5000 entries in one second, 3 s away: they sit on level 1 and need cascading.
  for (int i = 0; i < 5000; ++i) f.Add(kNow + 3000 + i % 1000);
  int64_t later = kNow + 5000;
  size_t taken = 0, calls = 0;
  while (true) {
    // Each call: at most 8 units of wheel work plus at most 8 entries taken.
    size_t units = 8, got = 0;
    while (units > 0) {
      Entry e = f.wheel.NextDue(later, &units);
      if (!e) break;
      --units;
      ++got;
      f.Remove(e);
    }
    CHECK(got <= 8);
    taken += got;
    ++calls;
    if (units > 0) break;  // finished within the budget: nothing more is due
    REQUIRE(calls < 100'000);
  }
  CHECK(taken == 5000);
  CHECK(calls > 5000 / 8);  // the work really was split up
  CHECK(f.wheel.size() == 0);
}

TEST_CASE("a clock that goes back expires nothing early") {
  WheelFixture f;
  f.Start(kNow);
  f.Add(kNow + 500);
  CHECK(f.TakeDue(kNow - 60'000).empty());
  CHECK(f.TakeDue(kNow + 499).empty());
  CHECK(f.TakeDue(kNow + 600).size() == 1);
}

TEST_CASE("random inserts, removals, relocations and time steps agree with a model") {
  std::mt19937_64 rng(12345);
  WheelFixture f;
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
      handles.push_back(f.Add(now + random_ttl()));
    } else if (op < 6) {
      size_t i = rng() % handles.size();
      Entry e = handles[i];
      handles[i] = handles.back();
      handles.pop_back();
      f.Remove(e);
    } else if (op < 7) {
      size_t i = rng() % handles.size();
      handles[i] = f.Relocate(handles[i]);
    } else {
      // Advance time (sometimes by a lot) and take what is due, with a small budget.
      now += (rng() % 4 == 0) ? static_cast<int64_t>(rng() % 100'000'000)
                              : static_cast<int64_t>(rng() % 200);
      size_t budget = 1 + rng() % 64;
      while (true) {
        Entry e = f.wheel.NextDue(now, &budget);
        if (!e) break;
        REQUIRE(e.expiry_ms() <= now);  // never early
        handles.erase(std::find_if(handles.begin(), handles.end(),
                                   [&](Entry h) { return h.raw() == e.raw(); }));
        f.Remove(e);
        if (budget == 0) break;
        --budget;
      }
    }
    if (round % 97 == 0) f.Check();
  }
  f.Check();
  // With an unlimited budget, everything due is found: what stays is due after the current
  // 16 ms tick.
  size_t budget = SIZE_MAX;
  while (Entry e = f.wheel.NextDue(now, &budget)) f.Remove(e);
  f.wheel.ForEachRecord([&](Entry e, int, uint32_t) {
    CHECK(e.expiry_ms() >= ((now + 1) & ~int64_t{15}));
  });
  f.Check();
}

}  // namespace
}  // namespace stash::storage
