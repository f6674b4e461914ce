// ReplyReader reads back what ReplyBuilder writes, in RESP2 and RESP3, and fails cleanly on
// truncated or malformed input.
#include <doctest/doctest.h>

#include <string>

#include "protocol/reply_builder.h"
#include "protocol/reply_reader.h"

using stash::protocol::ReplyBuilder;
using stash::protocol::ReplyItem;
using stash::protocol::ReplyReader;
using stash::protocol::ReplyType;

TEST_CASE("reads every type ReplyBuilder writes") {
  std::string out;
  ReplyBuilder b(&out);
  b.set_resp3(true);
  b.SimpleString("OK");
  b.Error("ERR bad");
  b.Integer(-42);
  b.Bulk(std::string("a\r\nb", 4));
  b.Null();
  b.ArrayHeader(2);
  b.MapHeader(1);
  b.SetHeader(0);
  b.Double(1.5);
  b.Bool(true);
  b.Verbatim("text");
  ReplyReader r(out);
  ReplyItem item;
  REQUIRE(r.Next(&item));
  CHECK((item.type == ReplyType::kSimpleString && item.text == "OK"));
  REQUIRE(r.Next(&item));
  CHECK((item.type == ReplyType::kError && item.text == "ERR bad"));
  REQUIRE(r.Next(&item));
  CHECK((item.type == ReplyType::kInteger && item.integer == -42));
  REQUIRE(r.Next(&item));
  CHECK((item.type == ReplyType::kBulk && item.text == std::string("a\r\nb", 4)));
  REQUIRE(r.Next(&item));
  CHECK(item.type == ReplyType::kNull);
  REQUIRE(r.Next(&item));
  CHECK((item.type == ReplyType::kArray && item.integer == 2));
  REQUIRE(r.Next(&item));
  CHECK((item.type == ReplyType::kMap && item.integer == 1));
  REQUIRE(r.Next(&item));
  CHECK((item.type == ReplyType::kSet && item.integer == 0));
  REQUIRE(r.Next(&item));
  CHECK((item.type == ReplyType::kDouble && item.number == 1.5));
  REQUIRE(r.Next(&item));
  CHECK((item.type == ReplyType::kBool && item.integer == 1));
  REQUIRE(r.Next(&item));
  CHECK((item.type == ReplyType::kVerbatim && item.text == "txt:text"));
  CHECK(r.done());
  CHECK_FALSE(r.Next(&item));
}

TEST_CASE("RESP2 nulls") {
  ReplyReader r("$-1\r\n*-1\r\n");
  ReplyItem item;
  REQUIRE(r.Next(&item));
  CHECK(item.type == ReplyType::kNullBulk);
  REQUIRE(r.Next(&item));
  CHECK(item.type == ReplyType::kNullArray);
}

TEST_CASE("truncated and malformed input fail") {
  ReplyItem item;
  for (const char* bad : {"$5\r\nab\r\n", ":12", "?x\r\n", "*x\r\n", "#x\r\n", "$-2\r\n"}) {
    ReplyReader r(bad);
    CHECK_FALSE(r.Next(&item));
  }
}
