// Encodes replies in RESP2 or RESP3 into a caller-owned byte buffer. One builder per connection;
// HELLO switches its version. Types that RESP2 lacks fall back the way Redis 7 does it: maps
// become flat arrays, doubles bulk strings, booleans integers, nulls "$-1"/"*-1".
#ifndef STASH_PROTOCOL_REPLY_BUILDER_H_
#define STASH_PROTOCOL_REPLY_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace stash::protocol {

class ReplyBuilder {
 public:
  explicit ReplyBuilder(std::string* out) : out_(out) {}

  void set_resp3(bool yes) { resp3_ = yes; }
  bool resp3() const { return resp3_; }
  std::string* buffer() { return out_; }
  void set_buffer(std::string* out) { out_ = out; }

  void Ok() { out_->append("+OK\r\n", 5); }
  void SimpleString(std::string_view s);
  // msg is the whole error text without the leading '-', e.g. "ERR syntax error" or
  // "WRONGTYPE Operation ...". Newlines are replaced by spaces, as Redis does.
  void Error(std::string_view msg);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  void Null();       // a missing bulk string: "$-1" in RESP2
  void NullArray();  // a missing array: "*-1" in RESP2
  void ArrayHeader(size_t n) { Header('*', n); }
  void MapHeader(size_t n);  // n key/value pairs
  void SetHeader(size_t n);
  void PushHeader(size_t n);
  void Double(double v);
  void Bool(bool v);
  void Verbatim(std::string_view text);  // "txt" verbatim in RESP3, bulk in RESP2
  void EmptyArray() { out_->append("*0\r\n", 4); }
  void Raw(std::string_view bytes) { out_->append(bytes); }

  // For replies whose length is known only at the end (KEYS, SCAN): Begin returns a mark,
  // End inserts the header there.
  size_t BeginDeferredArray() const { return out_->size(); }
  void EndDeferredArray(size_t mark, size_t n);

 private:
  void Header(char type, size_t n);
  std::string* out_;
  bool resp3_ = false;
};

}  // namespace stash::protocol

#endif  // STASH_PROTOCOL_REPLY_BUILDER_H_
