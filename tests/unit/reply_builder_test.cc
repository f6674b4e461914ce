// ReplyBuilder: the exact RESP2 and RESP3 bytes of every method. Expected encodings follow
// redis-server 7.0 (e.g. ZSCORE's double is "$19\r\n0.10000000000000001" in RESP2 and
// ",0.10000000000000001" in RESP3; a missing key is "$-1" / "_").
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "protocol/reply_builder.h"

namespace stash::protocol {
namespace {

using namespace std::string_literals;

// Encodes with one builder in the given protocol version and returns the bytes.
template <typename Fn>
std::string Encode(bool resp3, Fn&& fn) {
  std::string out;
  ReplyBuilder builder(&out);
  builder.set_resp3(resp3);
  fn(builder);
  return out;
}

template <typename Fn>
std::string Resp2(Fn&& fn) {
  return Encode(false, std::forward<Fn>(fn));
}
template <typename Fn>
std::string Resp3(Fn&& fn) {
  return Encode(true, std::forward<Fn>(fn));
}

TEST_CASE("a new builder speaks RESP2 and appends to the caller's buffer") {
  std::string out = "existing";
  ReplyBuilder builder(&out);
  CHECK_FALSE(builder.resp3());
  builder.Ok();
  CHECK(out == "existing+OK\r\n");
  CHECK(builder.buffer() == &out);
}

TEST_CASE("set_buffer redirects later replies") {
  std::string a, b;
  ReplyBuilder builder(&a);
  builder.Integer(1);
  builder.set_buffer(&b);
  builder.Integer(2);
  CHECK(a == ":1\r\n");
  CHECK(b == ":2\r\n");
}

TEST_CASE("types common to RESP2 and RESP3 encode identically in both") {
  for (bool resp3 : {false, true}) {
    CAPTURE(resp3);
    CHECK(Encode(resp3, [](ReplyBuilder& b) { b.Ok(); }) == "+OK\r\n");
    CHECK(Encode(resp3, [](ReplyBuilder& b) { b.SimpleString("PONG"); }) == "+PONG\r\n");
    CHECK(Encode(resp3, [](ReplyBuilder& b) { b.SimpleString(""); }) == "+\r\n");
    CHECK(Encode(resp3, [](ReplyBuilder& b) { b.Integer(0); }) == ":0\r\n");
    CHECK(Encode(resp3, [](ReplyBuilder& b) { b.Integer(-42); }) == ":-42\r\n");
    CHECK(Encode(resp3, [](ReplyBuilder& b) { b.Integer(INT64_MAX); }) ==
          ":9223372036854775807\r\n");
    CHECK(Encode(resp3, [](ReplyBuilder& b) { b.Integer(INT64_MIN); }) ==
          ":-9223372036854775808\r\n");
    CHECK(Encode(resp3, [](ReplyBuilder& b) { b.Bulk("hello"); }) == "$5\r\nhello\r\n");
    CHECK(Encode(resp3, [](ReplyBuilder& b) { b.Bulk(""); }) == "$0\r\n\r\n");
    CHECK(Encode(resp3, [](ReplyBuilder& b) { b.Bulk("a\r\n\0b"s); }) == "$5\r\na\r\n\0b\r\n"s);
    CHECK(Encode(resp3, [](ReplyBuilder& b) { b.ArrayHeader(3); }) == "*3\r\n");
    CHECK(Encode(resp3, [](ReplyBuilder& b) { b.ArrayHeader(0); }) == "*0\r\n");
    CHECK(Encode(resp3, [](ReplyBuilder& b) { b.EmptyArray(); }) == "*0\r\n");
    CHECK(Encode(resp3, [](ReplyBuilder& b) { b.Raw("+RAW\r\n"); }) == "+RAW\r\n");
  }
}

TEST_CASE("a large bulk carries its exact length") {
  std::string big(100000, 'z');
  std::string out = Resp2([&](ReplyBuilder& b) { b.Bulk(big); });
  CHECK(out == "$100000\r\n" + big + "\r\n");
}

TEST_CASE("errors get a '-' and have CR and LF replaced by spaces") {
  for (bool resp3 : {false, true}) {
    CHECK(Encode(resp3, [](ReplyBuilder& b) { b.Error("ERR syntax error"); }) ==
          "-ERR syntax error\r\n");
    CHECK(Encode(resp3, [](ReplyBuilder& b) {
            b.Error("WRONGTYPE Operation against a key holding the wrong kind of value");
          }) == "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    CHECK(Encode(resp3, [](ReplyBuilder& b) { b.Error("ERR bad\r\nline\n"); }) ==
          "-ERR bad  line \r\n");
  }
}

TEST_CASE("Error only rewrites its own bytes, not what was already in the buffer") {
  std::string out = "$2\r\n\r\n\r\n";
  ReplyBuilder(&out).Error("ERR x");
  CHECK(out == "$2\r\n\r\n\r\n-ERR x\r\n");
}

TEST_CASE("nulls: $-1 and *-1 in RESP2, _ in RESP3") {
  CHECK(Resp2([](ReplyBuilder& b) { b.Null(); }) == "$-1\r\n");
  CHECK(Resp2([](ReplyBuilder& b) { b.NullArray(); }) == "*-1\r\n");
  CHECK(Resp3([](ReplyBuilder& b) { b.Null(); }) == "_\r\n");
  CHECK(Resp3([](ReplyBuilder& b) { b.NullArray(); }) == "_\r\n");
}

TEST_CASE("maps are flat arrays of twice the length in RESP2") {
  CHECK(Resp2([](ReplyBuilder& b) { b.MapHeader(2); }) == "*4\r\n");
  CHECK(Resp3([](ReplyBuilder& b) { b.MapHeader(2); }) == "%2\r\n");
  CHECK(Resp2([](ReplyBuilder& b) { b.MapHeader(0); }) == "*0\r\n");
  CHECK(Resp3([](ReplyBuilder& b) { b.MapHeader(0); }) == "%0\r\n");
}

TEST_CASE("sets and pushes are plain arrays in RESP2") {
  CHECK(Resp2([](ReplyBuilder& b) { b.SetHeader(3); }) == "*3\r\n");
  CHECK(Resp3([](ReplyBuilder& b) { b.SetHeader(3); }) == "~3\r\n");
  CHECK(Resp3([](ReplyBuilder& b) { b.SetHeader(0); }) == "~0\r\n");
  CHECK(Resp2([](ReplyBuilder& b) { b.PushHeader(3); }) == "*3\r\n");
  CHECK(Resp3([](ReplyBuilder& b) { b.PushHeader(3); }) == ">3\r\n");
}

TEST_CASE("doubles: %.17g bulk strings in RESP2, ',' doubles in RESP3, inf spelled out") {
  CHECK(Resp2([](ReplyBuilder& b) { b.Double(0.1); }) == "$19\r\n0.10000000000000001\r\n");
  CHECK(Resp3([](ReplyBuilder& b) { b.Double(0.1); }) == ",0.10000000000000001\r\n");
  CHECK(Resp2([](ReplyBuilder& b) { b.Double(3); }) == "$1\r\n3\r\n");
  CHECK(Resp3([](ReplyBuilder& b) { b.Double(3); }) == ",3\r\n");
  CHECK(Resp2([](ReplyBuilder& b) { b.Double(1e300); }) == "$23\r\n1.0000000000000001e+300\r\n");
  CHECK(Resp3([](ReplyBuilder& b) { b.Double(-2.5); }) == ",-2.5\r\n");
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(Resp2([&](ReplyBuilder& b) { b.Double(inf); }) == "$3\r\ninf\r\n");
  CHECK(Resp2([&](ReplyBuilder& b) { b.Double(-inf); }) == "$4\r\n-inf\r\n");
  CHECK(Resp3([&](ReplyBuilder& b) { b.Double(inf); }) == ",inf\r\n");
  CHECK(Resp3([&](ReplyBuilder& b) { b.Double(-inf); }) == ",-inf\r\n");
}

TEST_CASE("booleans are :1 and :0 in RESP2, #t and #f in RESP3") {
  CHECK(Resp2([](ReplyBuilder& b) { b.Bool(true); }) == ":1\r\n");
  CHECK(Resp2([](ReplyBuilder& b) { b.Bool(false); }) == ":0\r\n");
  CHECK(Resp3([](ReplyBuilder& b) { b.Bool(true); }) == "#t\r\n");
  CHECK(Resp3([](ReplyBuilder& b) { b.Bool(false); }) == "#f\r\n");
}

TEST_CASE("verbatim strings carry a txt: prefix counted in the length in RESP3 only") {
  CHECK(Resp2([](ReplyBuilder& b) { b.Verbatim("# Server\r\n"); }) == "$10\r\n# Server\r\n\r\n");
  CHECK(Resp3([](ReplyBuilder& b) { b.Verbatim("# Server\r\n"); }) ==
        "=14\r\ntxt:# Server\r\n\r\n");
  CHECK(Resp3([](ReplyBuilder& b) { b.Verbatim(""); }) == "=4\r\ntxt:\r\n");
}

TEST_CASE("set_resp3 switches the encoding of later replies, as HELLO does") {
  std::string out;
  ReplyBuilder builder(&out);
  builder.Null();
  builder.set_resp3(true);
  CHECK(builder.resp3());
  builder.Null();
  builder.set_resp3(false);
  builder.Null();
  CHECK(out == "$-1\r\n_\r\n$-1\r\n");
}

TEST_CASE("a deferred array gets its header inserted at the mark") {
  for (bool resp3 : {false, true}) {
    std::string out = "+before\r\n";
    ReplyBuilder builder(&out);
    builder.set_resp3(resp3);
    size_t mark = builder.BeginDeferredArray();
    CHECK(mark == 9);
    builder.Bulk("a");
    builder.Bulk("bc");
    builder.EndDeferredArray(mark, 2);
    builder.Ok();
    CHECK(out == "+before\r\n*2\r\n$1\r\na\r\n$2\r\nbc\r\n+OK\r\n");
  }
}

TEST_CASE("an empty deferred array is *0") {
  std::string out;
  ReplyBuilder builder(&out);
  size_t mark = builder.BeginDeferredArray();
  builder.EndDeferredArray(mark, 0);
  CHECK(out == "*0\r\n");
}

TEST_CASE("deferred arrays nest: the inner one is closed first") {
  std::string out;
  ReplyBuilder builder(&out);
  // SCAN's shape: [cursor, [keys...]], with the key count known only at the end.
  size_t outer = builder.BeginDeferredArray();
  builder.Bulk("0");
  size_t inner = builder.BeginDeferredArray();
  for (int i = 0; i < 12; ++i) builder.Bulk("k" + std::to_string(i));
  builder.EndDeferredArray(inner, 12);
  builder.EndDeferredArray(outer, 2);
  std::string expected = "*2\r\n$1\r\n0\r\n*12\r\n";
  for (int i = 0; i < 12; ++i) {
    std::string key = "k" + std::to_string(i);
    expected += "$" + std::to_string(key.size()) + "\r\n" + key + "\r\n";
  }
  CHECK(out == expected);
}

TEST_CASE("a nested RESP3 reply composes from headers and elements") {
  // HELLO 3's first fields, as redis-server 7.0 sends them.
  std::string out = Resp3([](ReplyBuilder& b) {
    b.MapHeader(2);
    b.Bulk("server");
    b.Bulk("redis");
    b.Bulk("proto");
    b.Integer(3);
  });
  CHECK(out == "%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n");
}

}  // namespace
}  // namespace stash::protocol
