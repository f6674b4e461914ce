#include "protocol/reply_parser.h"

#include <charconv>
#include <cstdlib>
#include <cstring>

namespace stash::protocol {
namespace {

// Nesting deeper than this is not a reply any server sends; refuse it rather than recurse.
constexpr int kMaxDepth = 64;
constexpr int64_t kMaxBulk = 512LL * 1024 * 1024;
constexpr int64_t kMaxElements = 1LL << 32;

// Finds the CRLF-terminated line at data[pos]; returns its length or -1 if not complete.
long LineEnd(const char* data, size_t size, size_t pos) {
  const void* cr = std::memchr(data + pos, '\r', size - pos);
  if (cr == nullptr) return -1;
  size_t at = static_cast<const char*>(cr) - data;
  if (at + 1 >= size) return -1;
  return static_cast<long>(at - pos);
}

bool ParseInt(std::string_view s, int64_t* v) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

ReplyStatus ReplyParser::Fail(std::string message) {
  error_ = std::move(message);
  return ReplyStatus::kError;
}

ReplyStatus ReplyParser::Parse(const char* data, size_t size, Reply* out) {
  consumed_ = 0;
  want_ = 0;
  size_t pos = 0;
  *out = Reply();
  ReplyStatus st = ParseValue(data, size, &pos, out, 0);
  if (st != ReplyStatus::kComplete) return st;
  consumed_ = pos;
  return ReplyStatus::kComplete;
}

ReplyStatus ReplyParser::ParseValue(const char* data, size_t size, size_t* pos, Reply* out,
                                    int depth) {
  if (depth > kMaxDepth) return Fail("reply nested too deeply");
  if (*pos >= size) return ReplyStatus::kIncomplete;
  char type = data[*pos];
  long len = LineEnd(data, size, *pos + 1);
  if (len < 0) return ReplyStatus::kIncomplete;
  std::string_view line(data + *pos + 1, static_cast<size_t>(len));
  if (data[*pos + 1 + len + 1] != '\n') return Fail("line not terminated by CRLF");
  size_t after = *pos + 1 + len + 2;

  int64_t n = 0;
  switch (type) {
    case '+':
    case '-':
    case '(':
      out->type = type == '+' ? Reply::Type::kSimple
                  : type == '-' ? Reply::Type::kError
                                : Reply::Type::kBigNumber;
      out->str.assign(line);
      *pos = after;
      return ReplyStatus::kComplete;
    case ':':
      if (!ParseInt(line, &out->integer)) return Fail("bad integer reply");
      out->type = Reply::Type::kInteger;
      *pos = after;
      return ReplyStatus::kComplete;
    case ',': {
      out->type = Reply::Type::kDouble;
      out->str.assign(line);
      out->number = std::strtod(out->str.c_str(), nullptr);
      *pos = after;
      return ReplyStatus::kComplete;
    }
    case '#':
      if (line != "t" && line != "f") return Fail("bad boolean reply");
      out->type = Reply::Type::kBool;
      out->integer = line == "t" ? 1 : 0;
      *pos = after;
      return ReplyStatus::kComplete;
    case '_':
      out->type = Reply::Type::kNull;
      *pos = after;
      return ReplyStatus::kComplete;
    case '$':
    case '=':
    case '!': {
      if (!ParseInt(line, &n) || n < -1 || n > kMaxBulk) return Fail("bad bulk length");
      if (n == -1) {
        out->type = Reply::Type::kNull;
        *pos = after;
        return ReplyStatus::kComplete;
      }
      size_t end = after + static_cast<size_t>(n) + 2;
      if (end > size) {
        want_ = end;
        return ReplyStatus::kIncomplete;
      }
      if (data[end - 2] != '\r' || data[end - 1] != '\n') return Fail("bulk not followed by CRLF");
      std::string_view body(data + after, static_cast<size_t>(n));
      if (type == '=' && body.size() >= 4) body.remove_prefix(4);  // "txt:" / "mkd:"
      out->type = type == '!' ? Reply::Type::kError : Reply::Type::kBulk;
      out->str.assign(body);
      *pos = end;
      return ReplyStatus::kComplete;
    }
    case '*':
    case '%':
    case '~':
    case '>':
    case '|': {
      if (!ParseInt(line, &n) || n < -1 || n > kMaxElements) return Fail("bad aggregate length");
      if (n == -1) {
        out->type = Reply::Type::kNull;
        *pos = after;
        return ReplyStatus::kComplete;
      }
      size_t count = static_cast<size_t>(n) * ((type == '%' || type == '|') ? 2 : 1);
      *pos = after;
      Reply scratch;
      Reply* target = type == '|' ? &scratch : out;
      target->type = type == '*'   ? Reply::Type::kArray
                     : type == '~' ? Reply::Type::kSet
                     : type == '>' ? Reply::Type::kPush
                                   : Reply::Type::kMap;
      target->elems.clear();
      target->elems.reserve(count < 1024 ? count : 1024);
      for (size_t i = 0; i < count; ++i) {
        target->elems.emplace_back();
        ReplyStatus st = ParseValue(data, size, pos, &target->elems.back(), depth + 1);
        if (st != ReplyStatus::kComplete) return st;
      }
      // An attribute is followed by the reply it describes: that reply is the value.
      if (type == '|') return ParseValue(data, size, pos, out, depth + 1);
      return ReplyStatus::kComplete;
    }
    default:
      return Fail(std::string("unknown reply type byte '") + type + "'");
  }
}

}  // namespace stash::protocol
