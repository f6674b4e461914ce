// Parses server replies (RESP2 and RESP3) into a tree of values: the client-side counterpart of
// RequestParser and ReplyBuilder. No I/O: the caller hands it the bytes it has buffered and learns
// whether they hold one whole reply and how many bytes that reply took.
//
// Unlike ReplyReader (reply_reader.h: a trusted buffer our own ReplyBuilder wrote, read element
// by element for scripting), this parser takes bytes from the network: it tells an incomplete
// reply from a malformed one, bounds nesting and lengths, and returns the whole reply as a tree.
//
// The parser restarts from the first byte on every call, which keeps it stateless and simple; a
// caller reading a large reply in pieces avoids quadratic work by asking bytes_wanted() how much
// the pending bulk string still needs before calling again.
#ifndef STASH_PROTOCOL_REPLY_PARSER_H_
#define STASH_PROTOCOL_REPLY_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stash::protocol {

struct Reply {
  enum class Type : uint8_t {
    kSimple,     // +OK
    kError,      // -ERR ... (str holds the text without '-')
    kInteger,    // :1
    kBulk,       // $3 abc, also RESP3 verbatim (=) with its "txt:" prefix removed
    kNull,       // $-1, *-1, _
    kArray,      // *N
    kMap,        // %N (elems hold key, value, key, value ...)
    kSet,        // ~N
    kPush,       // >N (out-of-band: invalidations, Pub/Sub messages in RESP3)
    kDouble,     // ,1.5 (str keeps the text, number the value)
    kBool,       // #t / #f (integer is 1 or 0)
    kBigNumber,  // (123... (str keeps the digits)
  };

  Type type = Type::kNull;
  std::string str;
  int64_t integer = 0;
  double number = 0;
  std::vector<Reply> elems;

  bool is_error() const { return type == Type::kError; }
  bool is_null() const { return type == Type::kNull; }
  bool is_aggregate() const {
    return type == Type::kArray || type == Type::kMap || type == Type::kSet ||
           type == Type::kPush;
  }
  bool is_string() const {
    return type == Type::kBulk || type == Type::kSimple || type == Type::kDouble ||
           type == Type::kBigNumber;
  }
};

enum class ReplyStatus { kComplete, kIncomplete, kError };

class ReplyParser {
 public:
  // Parses one reply from data[0, size). On kComplete, *out holds it and consumed() the bytes it
  // took; attributes (|) are skipped, as they annotate the reply that follows.
  ReplyStatus Parse(const char* data, size_t size, Reply* out);

  size_t consumed() const { return consumed_; }
  // Bytes the input must reach before another attempt can succeed (0 when unknown).
  size_t bytes_wanted() const { return want_; }
  const std::string& error() const { return error_; }

 private:
  ReplyStatus ParseValue(const char* data, size_t size, size_t* pos, Reply* out, int depth);
  ReplyStatus Fail(std::string message);

  size_t consumed_ = 0;
  size_t want_ = 0;
  std::string error_;
};

}  // namespace stash::protocol

#endif  // STASH_PROTOCOL_REPLY_PARSER_H_
