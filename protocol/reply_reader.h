// Reads back replies that our own ReplyBuilder wrote (RESP2 or RESP3), one element at a time.
// Scripting uses it to turn what a command called from Lua replied into Lua values. The input
// is trusted (we produced it), but a malformed or truncated buffer still fails cleanly.
#ifndef STASH_PROTOCOL_REPLY_READER_H_
#define STASH_PROTOCOL_REPLY_READER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stash::protocol {

enum class ReplyType {
  kSimpleString,  // '+': text
  kError,         // '-': text (without the '-')
  kInteger,       // ':': integer
  kBulk,          // '$': text
  kNullBulk,      // "$-1"
  kArray,         // '*': count elements follow
  kNullArray,     // "*-1"
  kMap,           // '%': count key/value pairs follow
  kSet,           // '~': count elements follow
  kPush,          // '>': count elements follow
  kAttribute,     // '|': count key/value pairs follow, then the real reply
  kNull,          // '_'
  kBool,          // '#': integer is 0 or 1
  kDouble,        // ',': number (text holds the digits)
  kBigNumber,     // '(': text
  kVerbatim,      // '=': text is "fmt:payload"
};

struct ReplyItem {
  ReplyType type = ReplyType::kNull;
  std::string_view text;
  int64_t integer = 0;  // value of kInteger / kBool; element count of aggregates
  double number = 0;    // kDouble
};

class ReplyReader {
 public:
  explicit ReplyReader(std::string_view data) : data_(data) {}
  // Reads the next element header (and its payload for scalars). False at the end of the input
  // or on malformed input.
  bool Next(ReplyItem* item);
  bool done() const { return pos_ >= data_.size(); }

 private:
  bool ReadLine(std::string_view* line);
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace stash::protocol

#endif  // STASH_PROTOCOL_REPLY_READER_H_
