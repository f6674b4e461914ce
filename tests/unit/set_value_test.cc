// SetValue: the intset encoding (order, widths, conversion), the hashtable encoding (inline and
// heap members), SSCAN cursors across resizes, and a randomized comparison with std::set.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "storage/types/compact_table.h"
#include "storage/types/set_value.h"

namespace stash::storage {
namespace {

std::vector<std::string> Members(const SetValue& s) {
  std::vector<std::string> out;
  s.ForEach([&](std::string_view m) { out.emplace_back(m); });
  return out;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST_CASE("canonical integers are exactly Redis's string2ll strings") {
  int64_t v;
  CHECK(compact::ParseCanonicalInt("0", &v));
  CHECK(v == 0);
  CHECK(compact::ParseCanonicalInt("-9223372036854775808", &v));
  CHECK(v == INT64_MIN);
  CHECK(compact::ParseCanonicalInt("9223372036854775807", &v));
  CHECK(v == INT64_MAX);
  for (const char* bad : {"", "-", "-0", "01", "+1", " 1", "1 ", "1.0", "9223372036854775808",
                          "-9223372036854775809", "99999999999999999999", "1a"}) {
    CAPTURE(bad);
    CHECK_FALSE(compact::ParseCanonicalInt(bad, &v));
  }
  char buf[24];
  for (int64_t x : {INT64_MIN, INT64_MAX, int64_t{0}, int64_t{-1}, int64_t{1234567}}) {
    std::string_view s(buf, compact::FormatInt(x, buf));
    int64_t back;
    REQUIRE(compact::ParseCanonicalInt(s, &back));
    CHECK(back == x);
  }
}

TEST_CASE("intset keeps members sorted and widens as needed") {
  auto s = SetValue::CreateFor("5");
  CHECK(s->is_intset());
  for (const char* m : {"5", "3", "-1", "100", "3"}) s->Add(m, 512);
  CHECK(s->size() == 4);
  CHECK(Members(*s) == std::vector<std::string>{"-1", "3", "5", "100"});
  CHECK(s->Add("70000", 512));       // 32-bit
  CHECK(s->Add("-70000", 512));      // 32-bit, goes first
  CHECK(s->Add("5000000000", 512));  // 64-bit
  CHECK(s->Add("-9223372036854775808", 512));
  CHECK(Members(*s) == std::vector<std::string>{"-9223372036854775808", "-70000", "-1", "3", "5",
                                                "100", "70000", "5000000000"});
  CHECK(s->Contains("70000"));
  CHECK_FALSE(s->Contains("70001"));
  CHECK_FALSE(s->Contains("03"));
  CHECK(s->Remove("-70000"));
  CHECK_FALSE(s->Remove("-70000"));
  CHECK_FALSE(s->Remove("abc"));
  CHECK(s->is_intset());
  CHECK(std::string(s->Encoding()) == "intset");
  CHECK(s->size() == 7);
}

TEST_CASE("intset converts on a non-integer member or past the limit, never back") {
  auto s = SetValue::CreateFor("1");
  s->Add("1", 3);
  s->Add("2", 3);
  s->Add("3", 3);
  CHECK(s->is_intset());
  s->Add("4", 3);
  CHECK_FALSE(s->is_intset());
  CHECK(std::string(s->Encoding()) == "hashtable");
  s->Remove("4");
  CHECK_FALSE(s->is_intset());
  CHECK(Sorted(Members(*s)) == std::vector<std::string>{"1", "2", "3"});

  auto t = SetValue::CreateFor("1");
  t->Add("1", 512);
  t->Add("01", 512);
  CHECK_FALSE(t->is_intset());
  CHECK(t->Contains("1"));
  CHECK(t->Contains("01"));
  CHECK(t->size() == 2);

  CHECK_FALSE(SetValue::CreateFor("x")->is_intset());
  auto zero = SetValue::CreateFor("1");
  zero->Add("1", 0);
  CHECK_FALSE(zero->is_intset());
}

TEST_CASE("hashtable members: inline integers and short strings, heap for the rest") {
  auto s = SetValue::CreateFor("x");
  std::vector<std::string> members = {"",
                                      "a",
                                      "1234567",
                                      "abcdefg",
                                      "abcdefgh",
                                      std::string("\0\0", 2),
                                      std::string("\0", 1),
                                      "36028797018963967",
                                      "36028797018963968",
                                      "-36028797018963968",
                                      "-36028797018963969",
                                      "9223372036854775807",
                                      "-0",
                                      "007",
                                      std::string(300, 'z')};
  for (const auto& m : members) CHECK(s->Add(m, 512));
  for (const auto& m : members) CHECK_FALSE(s->Add(m, 512));
  CHECK(s->size() == members.size());
  for (const auto& m : members) {
    CAPTURE(m);
    CHECK(s->Contains(m));
  }
  CHECK_FALSE(s->Contains("abcdef"));
  CHECK_FALSE(s->Contains(std::string("\0\0\0", 3)));
  CHECK(Sorted(Members(*s)) == Sorted(members));
  auto copy = s->Clone();
  for (const auto& m : members) CHECK(s->Remove(m));
  CHECK(s->size() == 0);
  auto* c = static_cast<SetValue*>(copy.get());
  CHECK(Sorted(Members(*c)) == Sorted(members));
  CHECK(c->BytesUsed() > sizeof(SetValue));
}

TEST_CASE("random members and pops come from the set") {
  std::mt19937_64 rng(7);
  for (bool intset : {true, false}) {
    auto s = SetValue::CreateFor(intset ? "1" : "a");
    std::set<std::string> model;
    for (int i = 0; i < 100; ++i) {
      std::string m = intset ? std::to_string(i * 3) : "m" + std::to_string(i);
      s->Add(m, 512);
      model.insert(m);
    }
    for (int i = 0; i < 50; ++i) CHECK(model.count(s->RandomMember(rng())) == 1);
    while (s->size() > 0) {
      std::string m = s->PopRandom(rng());
      CHECK(model.erase(m) == 1);
    }
    CHECK(model.empty());
  }
}

TEST_CASE("SSCAN over a hashtable returns every member present throughout, across resizes") {
  std::mt19937_64 rng(42);
  auto s = SetValue::CreateFor("seed");  // picks the encoding; adds nothing
  s->Add("seed", 512);
  for (int i = 0; i < 2000; ++i) s->Add("k" + std::to_string(i), 512);
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int calls = 0;
  int next_add = 2000;
  int next_remove = 0;
  do {
    cursor = s->Scan(cursor, 25, [&](std::string_view m) { seen.emplace(m); });
    // Grow and shrink between calls: add many, then remove many of the added ones.
    if (calls % 3 == 0) {
      for (int i = 0; i < 300; ++i) s->Add("extra" + std::to_string(next_add++), 512);
    } else if (calls % 3 == 1) {
      for (int i = 0; i < 280 && next_remove < next_add - 2000; ++i) {
        s->Remove("extra" + std::to_string(2000 + next_remove++));
      }
    }
    ++calls;
  } while (cursor != 0 && calls < 100000);
  CHECK(cursor == 0);
  for (int i = 0; i < 2000; ++i) CHECK(seen.count("k" + std::to_string(i)) == 1);
  CHECK(seen.count("seed") == 1);
}

TEST_CASE("SSCAN over an intset returns everything with cursor 0") {
  auto s = SetValue::CreateFor("1");
  for (int i = 0; i < 100; ++i) s->Add(std::to_string(i), 512);
  std::vector<std::string> out;
  CHECK(s->Scan(12345, 1, [&](std::string_view m) { out.emplace_back(m); }) == 0);
  CHECK(out.size() == 100);
  CHECK(out.front() == "0");
  CHECK(out.back() == "99");
}

TEST_CASE("randomized operations agree with std::set") {
  std::mt19937_64 rng(1234);
  for (int round = 0; round < 20; ++round) {
    auto s = SetValue::CreateIntset();
    std::set<std::string> model;
    uint64_t limit = 1 + rng() % 64;
    for (int op = 0; op < 3000; ++op) {
      std::string m;
      switch (rng() % 4) {
        case 0: m = std::to_string(static_cast<int64_t>(rng() % 200) - 100); break;
        case 1: m = std::to_string(static_cast<int64_t>(rng())); break;
        case 2: m = "s" + std::to_string(rng() % 100); break;
        default: m = std::string(10 + rng() % 30, static_cast<char>('a' + rng() % 3)); break;
      }
      if (round % 2 == 0 && m[0] == 's') m = std::to_string(rng() % 1000);  // all-int rounds
      int action = static_cast<int>(rng() % 3);
      if (action == 0 || action == 1) {
        CHECK(s->Add(m, limit) == model.insert(m).second);
      } else {
        CHECK(s->Remove(m) == (model.erase(m) == 1));
      }
      CHECK(s->Contains(m) == (model.count(m) == 1));
      CHECK(s->size() == model.size());
    }
    std::vector<std::string> got = Members(*s);
    if (s->is_intset()) {
      CHECK(std::is_sorted(got.begin(), got.end(), [](const std::string& a, const std::string& b) {
        return std::stoll(a) < std::stoll(b);
      }));
    }
    CHECK(Sorted(got) == std::vector<std::string>(model.begin(), model.end()));
  }
}

}  // namespace
}  // namespace stash::storage
