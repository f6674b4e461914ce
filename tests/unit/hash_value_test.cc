// HashValue: the listpack element format (integers, long strings), insertion order, conversion
// to a hashtable, HSCAN cursors across resizes, and a randomized comparison with std::map.
#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "storage/types/hash_value.h"

namespace stash::storage {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

std::string Get(const HashValue& h, std::string_view field) {
  char buf[HashValue::kBufferSize];
  std::string_view v;
  if (!h.Get(field, buf, &v)) return "<none>";
  return std::string(v);
}

TEST_CASE("listpack elements round-trip every kind of string") {
  std::vector<std::string> values = {"",
                                     "0",
                                     "5",
                                     "-1",
                                     "10",
                                     "127",
                                     "128",
                                     "-128",
                                     "-129",
                                     "32767",
                                     "-32768",
                                     "8388608",
                                     "2147483648",
                                     "-2147483649",
                                     "140737488355328",
                                     "9223372036854775807",
                                     "-9223372036854775808",
                                     "9223372036854775808",
                                     "007",
                                     "-0",
                                     "+1",
                                     " 1",
                                     "1.5",
                                     std::string(191, 'a'),
                                     std::string(192, 'b'),
                                     std::string(20000, 'c'),
                                     std::string("\0\xff", 2)};
  HashValue h;
  HashValue::Limits limits{1000, 1000000};
  for (size_t i = 0; i < values.size(); ++i) {
    CHECK(h.Set(values[i], values[values.size() - 1 - i], limits));
  }
  CHECK(h.is_listpack());
  CHECK(h.size() == values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    CAPTURE(values[i]);
    CHECK(Get(h, values[i]) == values[values.size() - 1 - i]);
  }
  // Insertion order.
  Pairs pairs = h.Pairs();
  for (size_t i = 0; i < values.size(); ++i) CHECK(pairs[i].first == values[i]);
  // Integers are stored in fewer bytes than their text.
  CHECK(listpack::EncodedSize("1234567890") < 11);
  CHECK(listpack::EncodedSize("007") == 4);
}

TEST_CASE("listpack updates keep positions; deletes close the gap") {
  HashValue h;
  HashValue::Limits limits;
  h.Set("a", "1", limits);
  h.Set("b", "2", limits);
  h.Set("c", "3", limits);
  CHECK_FALSE(h.Set("b", "a much longer value than before", limits));
  CHECK_FALSE(h.Set("a", "", limits));
  CHECK(h.Pairs() == Pairs{{"a", ""}, {"b", "a much longer value than before"}, {"c", "3"}});
  CHECK(h.Delete("b"));
  CHECK_FALSE(h.Delete("b"));
  CHECK(h.Pairs() == Pairs{{"a", ""}, {"c", "3"}});
  CHECK(h.Exists("c"));
  CHECK_FALSE(h.Exists("b"));
  CHECK(h.Delete("a"));
  CHECK(h.Delete("c"));
  CHECK(h.size() == 0);
  CHECK(h.Pairs().empty());
}

TEST_CASE("conversion to a hashtable: long strings before storing, too many fields after") {
  HashValue::Limits limits{3, 5};
  HashValue a;
  a.Set("f", "v", limits);
  a.Set("g", "123456", limits);
  CHECK_FALSE(a.is_listpack());
  CHECK(std::string(a.Encoding()) == "hashtable");
  CHECK(Get(a, "f") == "v");
  CHECK(Get(a, "g") == "123456");

  HashValue b;
  b.Set("a", "1", limits);
  b.Set("b", "2", limits);
  b.Set("c", "3", limits);
  CHECK(b.is_listpack());
  b.Set("d", "4", limits);
  CHECK_FALSE(b.is_listpack());
  b.Delete("d");
  CHECK_FALSE(b.is_listpack());
  CHECK(b.size() == 3);

  HashValue c;
  std::string_view args[] = {"f", "v", "long-field", "v"};
  c.ConvertForArgs(args, 4, limits);
  CHECK_FALSE(c.is_listpack());
  HashValue d;
  c.ConvertForArgs(args, 2, limits);
  d.ConvertForArgs(args, 2, limits);
  CHECK(d.is_listpack());
}

TEST_CASE("hashtable: updates in place and relocated, clone, random pairs") {
  HashValue::Limits limits{0, 64};
  HashValue h;
  for (int i = 0; i < 500; ++i) h.Set("f" + std::to_string(i), "v" + std::to_string(i), limits);
  CHECK_FALSE(h.is_listpack());
  CHECK(h.size() == 500);
  CHECK_FALSE(h.Set("f1", "vX", limits));          // same length: in place
  CHECK_FALSE(h.Set("f2", "longer value", limits));  // relocated node
  CHECK(Get(h, "f1") == "vX");
  CHECK(Get(h, "f2") == "longer value");
  CHECK(Get(h, "f3") == "v3");
  CHECK(Get(h, "nope") == "<none>");
  auto copy = h.Clone();
  for (int i = 0; i < 500; ++i) CHECK(h.Delete("f" + std::to_string(i)));
  CHECK(h.size() == 0);
  auto* c = static_cast<HashValue*>(copy.get());
  CHECK(c->size() == 500);
  CHECK(Get(*c, "f2") == "longer value");
  std::mt19937_64 rng(3);
  std::string f, v;
  for (int i = 0; i < 20; ++i) {
    c->RandomPair(rng(), &f, &v);
    CHECK(Get(*c, f) == v);
  }
  HashValue small;
  small.Set("x", "1", HashValue::Limits{});
  small.Set("y", "2", HashValue::Limits{});
  for (int i = 0; i < 20; ++i) {
    small.RandomPair(rng(), &f, &v);
    CHECK(Get(small, f) == v);
  }
}

TEST_CASE("HSCAN over a hashtable returns every field present throughout, across resizes") {
  HashValue::Limits limits{0, 64};
  HashValue h;
  for (int i = 0; i < 3000; ++i) h.Set("k" + std::to_string(i), std::to_string(i), limits);
  std::map<std::string, std::string> seen;
  uint64_t cursor = 0;
  int calls = 0, added = 0;
  do {
    cursor = h.Scan(cursor, 40, [&](std::string_view f, std::string_view v) {
      seen[std::string(f)] = std::string(v);
    });
    if (calls % 2 == 0) {
      for (int i = 0; i < 500; ++i) h.Set("x" + std::to_string(added++), "x", limits);
    } else {
      for (int i = 0; i < added; ++i) h.Delete("x" + std::to_string(i));
    }
    ++calls;
  } while (cursor != 0 && calls < 100000);
  CHECK(cursor == 0);
  for (int i = 0; i < 3000; ++i) CHECK(seen["k" + std::to_string(i)] == std::to_string(i));
}

TEST_CASE("randomized operations agree with std::map") {
  std::mt19937_64 rng(99);
  for (int round = 0; round < 20; ++round) {
    HashValue h;
    HashValue::Limits limits{1 + rng() % 40, 1 + rng() % 30};
    std::map<std::string, std::string> model;
    for (int op = 0; op < 2000; ++op) {
      std::string f = rng() % 2 ? std::to_string(rng() % 60) : "f" + std::to_string(rng() % 60);
      std::string v = rng() % 2 ? std::to_string(static_cast<int64_t>(rng()) >> (rng() % 64))
                                : std::string(rng() % 40, 'v');
      if (rng() % 3 != 0) {
        CHECK(h.Set(f, v, limits) == (model.count(f) == 0));
        model[f] = v;
      } else {
        CHECK(h.Delete(f) == (model.erase(f) == 1));
      }
      CHECK(h.size() == model.size());
    }
    std::map<std::string, std::string> got;
    h.ForEach([&](std::string_view f, std::string_view v) { got[std::string(f)] = v; });
    CHECK(got == model);
    for (const auto& [f, v] : model) CHECK(Get(h, f) == v);
  }
}

}  // namespace
}  // namespace stash::storage
