// ListValue: the element codec (integers read back byte for byte), pushes and pops at both ends
// across node boundaries, random access, LSET/LINSERT/LREM/LTRIM edits, and a randomized run
// against a std::deque model under several list-max-listpack-size settings.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "storage/types/list_value.h"

namespace stash::storage {
namespace {

using End = ListValue::End;

std::vector<std::string> Contents(const ListValue& l) {
  std::vector<std::string> out;
  l.Visit(0, l.size(), false, [&](std::string_view v) {
    out.emplace_back(v);
    return true;
  });
  return out;
}

std::vector<std::string> Contents(const std::deque<std::string>& d) {
  return {d.begin(), d.end()};
}

TEST_CASE("codec: canonical integers only") {
  int64_t v;
  CHECK(listcodec::CanonicalInt("0", &v));
  CHECK(v == 0);
  CHECK(listcodec::CanonicalInt("-1", &v));
  CHECK(v == -1);
  CHECK(listcodec::CanonicalInt("9223372036854775807", &v));
  CHECK(v == INT64_MAX);
  CHECK(listcodec::CanonicalInt("-9223372036854775808", &v));
  CHECK(v == INT64_MIN);
  CHECK_FALSE(listcodec::CanonicalInt("9223372036854775808", &v));
  CHECK_FALSE(listcodec::CanonicalInt("-9223372036854775809", &v));
  CHECK_FALSE(listcodec::CanonicalInt("18446744073709551616", &v));
  CHECK_FALSE(listcodec::CanonicalInt("-0", &v));
  CHECK_FALSE(listcodec::CanonicalInt("01", &v));
  CHECK_FALSE(listcodec::CanonicalInt("+1", &v));
  CHECK_FALSE(listcodec::CanonicalInt(" 1", &v));
  CHECK_FALSE(listcodec::CanonicalInt("1 ", &v));
  CHECK_FALSE(listcodec::CanonicalInt("", &v));
  CHECK_FALSE(listcodec::CanonicalInt("-", &v));
  CHECK_FALSE(listcodec::CanonicalInt("1a", &v));
}

TEST_CASE("codec: every size class round-trips") {
  std::vector<std::string> values = {
      "0", "1", "127", "128", "-1", "-4096", "4095", "4096", "-4097", "32767", "-32768",
      "32768", "8388607", "-8388608", "8388608", "2147483647", "-2147483648", "2147483648",
      "9223372036854775807", "-9223372036854775808", "", "a", std::string(63, 'x'),
      std::string(64, 'y'), std::string(200, 'z'), std::string(20000, 'w'), "00", "-0", "1.5",
      std::string("a\0b", 3), "9223372036854775808"};
  ListValue l;
  for (const auto& v : values) l.Push(End::kTail, v);
  CHECK(Contents(l) == values);
  for (size_t i = 0; i < values.size(); ++i) {
    std::string out;
    REQUIRE(l.Get(static_cast<int64_t>(i), &out));
    CHECK(out == values[i]);
  }
}

TEST_CASE("push and pop at both ends across many nodes") {
  ListValue l;
  std::deque<std::string> model;
  for (int i = 0; i < 5000; ++i) {
    std::string v = "element:" + std::to_string(i);
    if (i % 3 == 0) {
      l.Push(End::kHead, v);
      model.push_front(v);
    } else {
      l.Push(End::kTail, v);
      model.push_back(v);
    }
  }
  CHECK(l.size() == 5000);
  CHECK(l.node_count() > 2);
  CHECK(Contents(l) == Contents(model));
  std::string out;
  for (int i = 0; i < 2500; ++i) {
    REQUIRE(l.Pop(End::kTail, &out));
    CHECK(out == model.back());
    model.pop_back();
    REQUIRE(l.Pop(End::kHead, &out));
    CHECK(out == model.front());
    model.pop_front();
  }
  CHECK(l.empty());
  CHECK(l.node_count() == 0);
  CHECK_FALSE(l.Pop(End::kHead, &out));
  CHECK_FALSE(l.Pop(End::kTail, &out));
}

TEST_CASE("nodes respect the fill setting") {
  SUBCASE("count limit") {
    ListValue l(4);
    for (int i = 0; i < 10; ++i) l.Push(End::kTail, "x");
    CHECK(l.node_count() == 3);
  }
  SUBCASE("fill 0 and 1 keep one element per node") {
    ListValue zero(0), one(1);
    for (int i = 0; i < 5; ++i) {
      zero.Push(End::kTail, "x");
      one.Push(End::kHead, "y");
    }
    CHECK(zero.node_count() == 5);
    CHECK(one.node_count() == 5);
  }
  SUBCASE("size limit: -1 = 4 KiB") {
    ListValue l(-1);
    for (int i = 0; i < 100; ++i) l.Push(End::kTail, std::string(99, 'a'));  // 100 bytes each
    CHECK(l.node_count() == 3);                                             // 40 + 40 + 20
  }
  SUBCASE("an element bigger than a node gets its own") {
    ListValue l;
    l.Push(End::kTail, "a");
    l.Push(End::kTail, std::string(10000, 'b'));
    l.Push(End::kTail, "c");
    CHECK(l.node_count() == 3);
    CHECK(Contents(l)[1].size() == 10000);
  }
}

TEST_CASE("Get and Set with Redis's index convention") {
  ListValue l(4);
  for (int i = 0; i < 10; ++i) l.Push(End::kTail, std::to_string(i));
  std::string out;
  CHECK(l.Get(-1, &out));
  CHECK(out == "9");
  CHECK(l.Get(-10, &out));
  CHECK(out == "0");
  CHECK_FALSE(l.Get(-11, &out));
  CHECK_FALSE(l.Get(10, &out));
  CHECK_FALSE(l.Get(INT64_MIN, &out));
  CHECK_FALSE(l.Get(INT64_MAX, &out));
  CHECK(l.Set(0, "zero"));
  CHECK(l.Set(-1, std::string(9000, 'n')));  // bigger than a node
  CHECK(l.Set(5, "5"));
  CHECK(l.Set(6, "a longer replacement value"));
  CHECK_FALSE(l.Set(10, "x"));
  CHECK_FALSE(l.Set(-11, "x"));
  std::vector<std::string> want = {"zero", "1", "2", "3", "4", "5",
                                   "a longer replacement value", "7", "8",
                                   std::string(9000, 'n')};
  CHECK(Contents(l) == want);
  CHECK(l.size() == 10);
}

TEST_CASE("Insert before and after the first match") {
  ListValue l(3);
  for (const char* v : {"a", "b", "c", "b", "d"}) l.Push(End::kTail, v);
  CHECK(l.Insert("b", "x", false));
  CHECK(l.Insert("b", "y", true));
  CHECK(l.Insert("d", "z", true));
  CHECK(l.Insert("a", "w", false));
  CHECK_FALSE(l.Insert("missing", "q", false));
  std::vector<std::string> want = {"w", "a", "x", "b", "y", "c", "b", "d", "z"};
  CHECK(Contents(l) == want);
  // Integers match their canonical text only.
  ListValue n;
  for (const char* v : {"1", "01", "-0", "0"}) n.Push(End::kTail, v);
  CHECK(n.Insert("0", "after-zero", true));
  CHECK(n.Insert("01", "before-01", false));
  want = {"1", "before-01", "01", "-0", "0", "after-zero"};
  CHECK(Contents(n) == want);
}

TEST_CASE("Remove from the head, from the tail, all") {
  auto make = [] {
    auto l = std::make_unique<ListValue>(3);
    for (const char* v : {"a", "b", "a", "c", "a", "a", "d", "a"}) l->Push(End::kTail, v);
    return l;
  };
  auto l = make();
  CHECK(l->Remove("a", 2) == 2);
  CHECK(Contents(*l) == std::vector<std::string>{"b", "c", "a", "a", "d", "a"});
  l = make();
  CHECK(l->Remove("a", -3) == 3);
  CHECK(Contents(*l) == std::vector<std::string>{"a", "b", "a", "c", "d"});
  l = make();
  CHECK(l->Remove("a", 0) == 5);
  CHECK(Contents(*l) == std::vector<std::string>{"b", "c", "d"});
  CHECK(l->Remove("zz", 0) == 0);
  CHECK(l->Remove("b", INT64_MIN) == 1);
  CHECK(l->size() == 2);
}

TEST_CASE("Erase from either end") {
  ListValue l(4);
  for (int i = 0; i < 20; ++i) l.Push(End::kTail, std::to_string(i));
  l.Erase(End::kHead, 5);
  l.Erase(End::kTail, 6);
  std::vector<std::string> want;
  for (int i = 5; i < 14; ++i) want.push_back(std::to_string(i));
  CHECK(Contents(l) == want);
  l.Erase(End::kTail, 100);
  CHECK(l.empty());
  CHECK(l.node_count() == 0);
}

TEST_CASE("Visit in reverse and with early exit") {
  ListValue l(3);
  for (int i = 0; i < 10; ++i) l.Push(End::kTail, std::to_string(i));
  std::string seen;
  l.Visit(2, 6, true, [&](std::string_view v) {
    seen += v;
    return true;
  });
  CHECK(seen == "765432");
  seen.clear();
  l.Visit(0, 10, false, [&](std::string_view v) {
    seen += v;
    return seen.size() < 4;
  });
  CHECK(seen == "0123");
}

TEST_CASE("Clone is deep and BytesUsed grows with the contents") {
  ListValue l;
  size_t empty_bytes = l.BytesUsed();
  for (int i = 0; i < 1000; ++i) l.Push(End::kTail, "value-" + std::to_string(i));
  CHECK(l.BytesUsed() > empty_bytes + 1000 * 8);
  auto copy = l.Clone();
  auto* c = static_cast<ListValue*>(copy.get());
  std::string out;
  l.Pop(End::kHead, &out);
  CHECK(c->size() == 1000);
  CHECK(Contents(*c).front() == "value-0");
  CHECK(std::string(c->Encoding()) == "quicklist");
}

TEST_CASE("randomized against a deque model") {
  for (int fill : {-2, -1, 1, 2, 5, 128, -5}) {
    CAPTURE(fill);
    std::mt19937_64 rng(fill + 1000);
    ListValue l(fill);
    std::deque<std::string> model;
    auto random_value = [&] {
      switch (rng() % 5) {
        case 0:
          return std::to_string(static_cast<int64_t>(rng()) >> (rng() % 64));
        case 1:
          return std::to_string(rng() % 10);
        case 2:
          return std::string(rng() % 300, static_cast<char>('a' + rng() % 3));
        default:
          return std::string(1 + rng() % 3, static_cast<char>('a' + rng() % 3));
      }
    };
    for (int step = 0; step < 20000; ++step) {
      std::string out;
      // The first half grows the list over many nodes (no LREM/LTRIM), the second mixes all.
      switch (rng() % (step < 10000 ? 8 : 10)) {
        case 0:
        case 1: {
          std::string v = random_value();
          l.Push(End::kHead, v);
          model.push_front(v);
          break;
        }
        case 2:
        case 3: {
          std::string v = random_value();
          l.Push(End::kTail, v);
          model.push_back(v);
          break;
        }
        case 4: {
          bool ok = l.Pop(End::kHead, &out);
          REQUIRE(ok == !model.empty());
          if (ok) {
            REQUIRE(out == model.front());
            model.pop_front();
          }
          break;
        }
        case 5: {
          bool ok = l.Pop(End::kTail, &out);
          REQUIRE(ok == !model.empty());
          if (ok) {
            REQUIRE(out == model.back());
            model.pop_back();
          }
          break;
        }
        case 6: {
          if (model.empty()) break;
          int64_t i = static_cast<int64_t>(rng() % model.size());
          std::string v = random_value();
          REQUIRE(l.Set(i, v));
          model[i] = v;
          REQUIRE(l.Get(i, &out));
          REQUIRE(out == v);
          break;
        }
        case 7: {
          std::string pivot = random_value();
          std::string v = random_value();
          bool after = rng() % 2;
          auto it = std::find(model.begin(), model.end(), pivot);
          REQUIRE(l.Insert(pivot, v, after) == (it != model.end()));
          if (it != model.end()) model.insert(after ? it + 1 : it, v);
          break;
        }
        case 8: {
          std::string v = random_value();
          int64_t count = static_cast<int64_t>(rng() % 5) - 2;
          size_t want = 0;
          if (count >= 0) {
            for (auto it = model.begin(); it != model.end();) {
              if (*it == v && (count == 0 || want < static_cast<size_t>(count))) {
                it = model.erase(it);
                ++want;
              } else {
                ++it;
              }
            }
          } else {
            for (size_t i = model.size(); i-- > 0;) {
              if (model[i] == v && want < static_cast<size_t>(-count)) {
                model.erase(model.begin() + i);
                ++want;
              }
            }
          }
          REQUIRE(l.Remove(v, count) == want);
          break;
        }
        case 9: {
          size_t n = model.empty() ? 0 : rng() % (model.size() / 4 + 1);
          bool head = rng() % 2;
          l.Erase(head ? End::kHead : End::kTail, n);
          for (size_t i = 0; i < n; ++i) head ? model.pop_front() : model.pop_back();
          break;
        }
      }
      REQUIRE(l.size() == model.size());
      if (!model.empty()) {
        int64_t i = static_cast<int64_t>(rng() % model.size());
        std::string got;
        REQUIRE(l.Get(i - static_cast<int64_t>(model.size()), &got));
        REQUIRE(got == model[i]);
      }
      if (step % 50 == 0) REQUIRE(Contents(l) == Contents(model));
    }
    REQUIRE(Contents(l) == Contents(model));
    std::vector<std::string> reversed;
    l.Visit(0, l.size(), true, [&](std::string_view v) {
      reversed.emplace_back(v);
      return true;
    });
    REQUIRE(std::vector<std::string>(reversed.rbegin(), reversed.rend()) == Contents(model));
  }
}

}  // namespace
}  // namespace stash::storage
