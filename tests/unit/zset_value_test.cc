// Sorted set values: both encodings checked against a simple model (a std::set of (score,
// member) and a map member -> score), including conversions, ranks, ranges, scans and the
// listpack's integer scores.
#include "storage/types/zset_value.h"

#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

namespace stash::storage {
namespace {

using Element = ZSetValue::Element;
using AddResult = ZSetValue::AddResult;

struct Model {
  std::map<std::string, double> scores;
  std::set<std::pair<double, std::string>> order;

  void Set(const std::string& m, double s) {
    auto it = scores.find(m);
    if (it != scores.end()) order.erase({it->second, m});
    scores[m] = s;
    order.insert({s, m});
  }
  void Remove(const std::string& m) {
    auto it = scores.find(m);
    if (it == scores.end()) return;
    order.erase({it->second, m});
    scores.erase(it);
  }
  std::vector<std::pair<double, std::string>> Sorted() const {
    return {order.begin(), order.end()};
  }
};

// Listpack scores lose the sign of zero, as Redis's; the models here never use -0.
void CheckSame(const ZSetValue& z, const Model& m) {
  REQUIRE(z.size() == m.scores.size());
  auto sorted = m.Sorted();
  size_t rank = 0;
  for (ZSetValue::Cursor c = z.Seek(0); c.valid(); c.Next(), ++rank) {
    REQUIRE(rank < sorted.size());
    CHECK(c.rank() == rank);
    CHECK(c.get().member == sorted[rank].second);
    CHECK(c.get().score == sorted[rank].first);
  }
  CHECK(rank == sorted.size());
  // Backwards too.
  if (!sorted.empty()) {
    rank = sorted.size() - 1;
    for (ZSetValue::Cursor c = z.Seek(rank); c.valid(); c.Prev()) {
      CHECK(c.get().member == sorted[c.rank()].second);
    }
  }
  for (size_t i = 0; i < sorted.size(); i += 1 + sorted.size() / 50) {
    size_t r;
    REQUIRE(z.Rank(sorted[i].second, false, &r));
    CHECK(r == i);
    REQUIRE(z.Rank(sorted[i].second, true, &r));
    CHECK(r == sorted.size() - 1 - i);
    double s;
    REQUIRE(z.Score(sorted[i].second, &s));
    CHECK(s == sorted[i].first);
    CHECK(z.At(i).member == sorted[i].second);
  }
  double s;
  CHECK_FALSE(z.Score("no such member", &s));
}

TEST_CASE("listpack basics and conversion at the entry limit") {
  ZSetLimits limits{4, 8};
  ZSetValue z;
  double out;
  CHECK(z.Add("b", 2, 0, limits, &out) == AddResult::kAdded);
  CHECK(z.Add("a", 1, 0, limits, &out) == AddResult::kAdded);
  CHECK(z.Add("c", 1, 0, limits, &out) == AddResult::kAdded);
  CHECK(z.Add("a", 1, 0, limits, &out) == AddResult::kUnchanged);
  CHECK(z.Add("a", 5, ZSetValue::kNx, limits, &out) == AddResult::kNop);
  CHECK(z.Add("zz", 5, ZSetValue::kXx, limits, &out) == AddResult::kNop);
  CHECK(z.Add("a", 0, ZSetValue::kGt, limits, &out) == AddResult::kNop);
  CHECK(z.Add("a", 3, ZSetValue::kIncr, limits, &out) == AddResult::kUpdated);
  CHECK(out == 4);
  CHECK(z.is_listpack());
  CHECK(std::string(z.Encoding()) == "listpack");
  CHECK(z.Add("d", 0, 0, limits, &out) == AddResult::kAdded);
  CHECK(z.is_listpack());
  CHECK(z.Add("e", 0, 0, limits, &out) == AddResult::kAdded);  // fifth: converts
  CHECK_FALSE(z.is_listpack());
  CHECK(std::string(z.Encoding()) == "skiplist");
  Model m;
  m.Set("a", 4);
  m.Set("b", 2);
  m.Set("c", 1);
  m.Set("d", 0);
  m.Set("e", 0);
  CheckSame(z, m);
}

TEST_CASE("long member converts; NaN is refused") {
  ZSetLimits limits{128, 8};
  ZSetValue z;
  double out;
  CHECK(z.Add("short", 1, 0, limits, &out) == AddResult::kAdded);
  CHECK(z.Add("x", NAN, 0, limits, &out) == AddResult::kNaN);
  CHECK(z.Add("short", INFINITY, 0, limits, &out) == AddResult::kUpdated);
  CHECK(z.Add("short", -INFINITY, ZSetValue::kIncr, limits, &out) == AddResult::kNaN);
  CHECK(z.is_listpack());
  CHECK(z.Add("a member longer than eight", 1, 0, limits, &out) == AddResult::kAdded);
  CHECK_FALSE(z.is_listpack());
  CHECK(z.Add("short", -INFINITY, ZSetValue::kIncr, limits, &out) == AddResult::kNaN);
  double s;
  REQUIRE(z.Score("short", &s));
  CHECK(s == INFINITY);
}

TEST_CASE("listpack integer scores, as Redis's double2ll") {
  int64_t v;
  CHECK(ZSetValue::ScoreIsListpackInteger(3.0, &v));
  CHECK(v == 3);
  CHECK(ZSetValue::ScoreIsListpackInteger(-0.0, &v));
  CHECK(v == 0);
  CHECK(ZSetValue::ScoreIsListpackInteger(4611686018427387904.0, &v));
  CHECK_FALSE(ZSetValue::ScoreIsListpackInteger(9223372036854775808.0, &v));
  CHECK_FALSE(ZSetValue::ScoreIsListpackInteger(1.5, &v));
  CHECK_FALSE(ZSetValue::ScoreIsListpackInteger(INFINITY, &v));

  ZSetLimits limits;
  ZSetValue z;
  double out;
  for (double s : {-0.0, 1e18, -4611686018427387904.0, 0.1, 1e300, -HUGE_VAL, 123.0}) {
    z.Add("m" + std::to_string(z.size()), s, 0, limits, &out);
  }
  double s;
  REQUIRE(z.Score("m0", &s));
  CHECK_FALSE(std::signbit(s));  // -0 stored as the integer 0
  REQUIRE(z.Score("m1", &s));
  CHECK(s == 1e18);
  REQUIRE(z.Score("m3", &s));
  CHECK(s == 0.1);
  REQUIRE(z.Score("m4", &s));
  CHECK(s == 1e300);
  REQUIRE(z.Score("m5", &s));
  CHECK(s == -INFINITY);
  REQUIRE(z.Score("m2", &s));
  CHECK(s == -4611686018427387904.0);

  // The large encoding keeps -0.
  auto big = ZSetValue::Create(1000, limits);
  big->Add("neg", -0.0, 0, limits, &out);
  REQUIRE(big->Score("neg", &s));
  CHECK(std::signbit(s));
}

TEST_CASE("randomized model check, both encodings") {
  for (uint64_t max_entries : {uint64_t{16}, uint64_t{128}, uint64_t{0}}) {
    ZSetLimits limits{max_entries, 64};
    std::mt19937_64 rng(42 + max_entries);
    ZSetValue z;
    Model m;
    double out;
    for (int step = 0; step < 20000; ++step) {
      int op = static_cast<int>(rng() % 10);
      std::string member = "m" + std::to_string(rng() % 3000);
      double score = static_cast<double>(static_cast<int>(rng() % 200) - 100) / 4;
      if (op < 6) {
        AddResult r = z.Add(member, score, 0, limits, &out);
        bool existed = m.scores.count(member) > 0;
        if (!existed) {
          CHECK(r == AddResult::kAdded);
        } else if (m.scores[member] == score) {
          CHECK(r == AddResult::kUnchanged);
        } else {
          CHECK(r == AddResult::kUpdated);
        }
        m.Set(member, score);
      } else if (op < 8) {
        bool existed = m.scores.count(member) > 0;
        CHECK(z.Remove(member) == existed);
        m.Remove(member);
      } else if (op == 8 && z.size() > 0) {
        size_t start = rng() % z.size();
        size_t count = std::min<size_t>(rng() % 5, z.size() - start);
        auto sorted = m.Sorted();
        z.DeleteRange(start, count);
        for (size_t i = start; i < start + count; ++i) m.Remove(sorted[i].second);
      } else if (z.size() > 0) {
        bool max = rng() % 2;
        auto [pm, ps] = z.Pop(max);
        auto sorted = m.Sorted();
        auto expect = max ? sorted.back() : sorted.front();
        CHECK(pm == expect.second);
        CHECK(ps == expect.first);
        m.Remove(pm);
      }
      if (step % 997 == 0) CheckSame(z, m);
    }
    CheckSame(z, m);
    CHECK(z.is_listpack() == (max_entries >= 3000));
    // A clone is equal and independent.
    auto copy = z.Clone();
    CheckSame(static_cast<ZSetValue&>(*copy), m);
  }
}

TEST_CASE("large set: ranks, ranges and removal of everything") {
  ZSetLimits limits;
  ZSetValue z;
  Model m;
  double out;
  std::mt19937_64 rng(7);
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    std::string member = "member:" + std::to_string(i);
    double score = static_cast<double>(rng() % 100000);
    z.Add(member, score, 0, limits, &out);
    m.Set(member, score);
  }
  CheckSame(z, m);
  ZScoreRange range{100, 200, false, true};
  size_t expect = 0;
  for (auto& [s, mem] : m.order) expect += s >= 100 && s < 200;
  CHECK(z.CountInRange(range) == expect);
  size_t first = z.FirstInRange(range);
  REQUIRE(first != ZSetValue::kNpos);
  CHECK(z.At(first).score >= 100);
  if (first > 0) CHECK(z.At(first - 1).score < 100);
  size_t last = z.LastInRange(range);
  CHECK(last - first + 1 == expect);
  // Scan visits every member exactly once when nothing changes.
  std::unordered_set<std::string> seen;
  uint64_t cursor = 0;
  do {
    cursor = z.Scan(cursor, 100, [&](Element e, bool) {
      CHECK(seen.insert(std::string(e.member)).second);
    });
  } while (cursor != 0);
  CHECK(seen.size() == static_cast<size_t>(n));
  // Random elements are members.
  for (int i = 0; i < 100; ++i) {
    Element e = z.RandomElement(rng());
    CHECK(m.scores.count(std::string(e.member)) == 1);
  }
  // Shrink to nothing (exercises merges, root collapse and arena compaction).
  for (int i = 0; i < n; i += 2) {
    std::string member = "member:" + std::to_string(i);
    CHECK(z.Remove(member));
    m.Remove(member);
  }
  CheckSame(z, m);
  z.DeleteRange(0, z.size() / 2);
  auto sorted = m.Sorted();
  for (size_t i = 0; i < sorted.size() / 2; ++i) m.Remove(sorted[i].second);
  CheckSame(z, m);
  z.DeleteRange(0, z.size());
  CHECK(z.size() == 0);
}

TEST_CASE("lex ranges") {
  ZSetLimits limits;
  for (bool big : {false, true}) {
    auto z = ZSetValue::Create(big ? 1000 : 0, limits);
    double out;
    for (const char* m : {"a", "b", "c", "d", "e"}) z->Add(m, 0, 0, limits, &out);
    ZLexRange r;
    r.min = {ZLexRange::Kind::kValue, true, "a"};
    r.max = {ZLexRange::Kind::kValue, false, "d"};
    CHECK(z->FirstInLexRange(r) == 1);
    CHECK(z->LastInLexRange(r) == 3);
    CHECK(z->CountInLexRange(r) == 3);
    r.min = {ZLexRange::Kind::kMinusInf, true, ""};
    r.max = {ZLexRange::Kind::kPlusInf, true, ""};
    CHECK(z->CountInLexRange(r) == 5);
    r.max = {ZLexRange::Kind::kMinusInf, true, ""};
    CHECK(r.Empty());
    CHECK(z->CountInLexRange(r) == 0);
    r.min = {ZLexRange::Kind::kValue, false, "c"};
    r.max = {ZLexRange::Kind::kValue, false, "c"};
    CHECK(z->CountInLexRange(r) == 1);
    r.max.ex = true;
    CHECK(z->CountInLexRange(r) == 0);
  }
}

TEST_CASE("build picks the encoding from the result") {
  ZSetLimits limits{3, 4};
  std::vector<Element> small = {{"b", 2}, {"a", 2}, {"c", -0.0}};
  auto z = ZSetValue::Build(small, limits);
  CHECK(z->is_listpack());
  CHECK(z->At(0).member == "c");
  CHECK(z->At(1).member == "a");
  std::vector<Element> large = {{"b", 2}, {"a", 2}, {"c", 1}, {"d", 0}};
  CHECK_FALSE(ZSetValue::Build(large, limits)->is_listpack());
  std::vector<Element> longer = {{"longer", 2}};
  CHECK_FALSE(ZSetValue::Build(longer, limits)->is_listpack());
}

}  // namespace
}  // namespace stash::storage
