#include "protocol/resp_parser.h"

#include <cstring>

#include "protocol/numbers.h"

namespace stash::protocol {

void RequestParser::Reset() {
  in_multibulk_ = false;
  args_left_ = 0;
  bulk_len_ = -1;
  pos_ = 0;
  spans_.clear();
  want_ = 0;
}

ParseStatus RequestParser::Fail(std::string message) {
  error_ = std::move(message);
  Reset();
  return ParseStatus::kError;
}

ParseStatus RequestParser::Parse(const char* data, size_t size) {
  args_.clear();
  consumed_ = 0;
  if (!in_multibulk_) {
    if (size == 0) return ParseStatus::kIncomplete;
    if (data[0] != '*') return ParseInline(data, size);
  }
  return ParseMultibulk(data, size);
}

// Finds the line terminator c in [from, end) the way Redis does: with strchr on its NUL-terminated
// query buffer. A NUL byte before the terminator therefore hides it, and Redis keeps waiting
// (until the "too big" limit) instead of parsing the line; we do the same so that the same bytes
// give the same replies. For count lines Redis looks for '\r' and then only requires one more
// byte to be present: it never checks that the byte is '\n'.
static const char* FindTerminator(const char* from, const char* end, char c) {
  const char* found = static_cast<const char*>(memchr(from, c, end - from));
  if (found != nullptr && memchr(from, '\0', found - from) != nullptr) return nullptr;
  return found;
}

static const char* FindCr(const char* from, const char* end) {
  return FindTerminator(from, end, '\r');
}

// The common case of a count line, "123\r", parsed in one pass: digits without a leading zero
// (or a lone "0") ending at '\r'. It accepts exactly what StringToInt64 accepts among such
// strings, and digits hold no NUL, so FindCr would have found the same '\r'. Anything else
// (signs, leading zeros, 19+ digits, no '\r' yet) returns false for the general path to decide.
[[gnu::always_inline]] static inline bool FastCount(const char* p, const char* end, int64_t* value,
                                                  const char** cr) {
  if (p >= end) return false;
  unsigned d = static_cast<unsigned char>(*p) - '0';
  if (d > 9) return false;
  int64_t v = d;
  const char* q = p + 1;
  if (d != 0) {
    const char* limit = end - p > 18 ? p + 18 : end;  // 18 digits cannot overflow int64
    while (q < limit) {
      unsigned e = static_cast<unsigned char>(*q) - '0';
      if (e > 9) break;
      v = v * 10 + e;
      ++q;
    }
  }
  if (q >= end || *q != '\r') return false;
  *value = v;
  *cr = q;
  return true;
}

ParseStatus RequestParser::ParseMultibulk(const char* data, size_t size) {
  const char* end = data + size;
  if (!in_multibulk_) {
    const char* cr;
    int64_t count;
    if (!FastCount(data + 1, end, &count, &cr)) {
      cr = FindCr(data, end);
      if (cr == nullptr) {
        if (size > kInlineMaxSize) return Fail("ERR Protocol error: too big mbulk count string");
        return ParseStatus::kIncomplete;
      }
      if (cr + 1 >= end) return ParseStatus::kIncomplete;
      if (!StringToInt64(std::string_view(data + 1, cr - data - 1), &count)) {
        return Fail("ERR Protocol error: invalid multibulk length");
      }
    }
    if (cr + 1 >= end) return ParseStatus::kIncomplete;
    if (count > INT32_MAX) return Fail("ERR Protocol error: invalid multibulk length");
    if (count > kUnauthenticatedMaxMultibulk && !authenticated_) {
      return Fail("ERR Protocol error: unauthenticated multibulk length");
    }
    pos_ = cr - data + 2;
    if (count <= 0) {
      consumed_ = pos_;
      pos_ = 0;
      return ParseStatus::kEmpty;
    }
    in_multibulk_ = true;
    args_left_ = count;
    bulk_len_ = -1;
    spans_.clear();
  }
  while (args_left_ > 0) {
    if (bulk_len_ < 0) {
      const char* start = data + pos_;
      const char* cr;
      int64_t len;
      if (start < end && *start == '$' && FastCount(start + 1, end, &len, &cr)) {
        if (cr + 1 >= end) return ParseStatus::kIncomplete;
      } else {
        cr = FindCr(start, end);
        if (cr == nullptr) {
          if (static_cast<size_t>(end - start) > kInlineMaxSize) {
            return Fail("ERR Protocol error: too big bulk count string");
          }
          want_ = 0;
          return ParseStatus::kIncomplete;
        }
        if (cr + 1 >= end) return ParseStatus::kIncomplete;
        if (*start != '$') {
          return Fail(std::string("ERR Protocol error: expected '$', got '") + *start + "'");
        }
        if (!StringToInt64(std::string_view(start + 1, cr - start - 1), &len) || len < 0) {
          return Fail("ERR Protocol error: invalid bulk length");
        }
      }
      if (len > max_bulk_len_) return Fail("ERR Protocol error: invalid bulk length");
      if (len > kUnauthenticatedMaxBulk && !authenticated_) {
        return Fail("ERR Protocol error: unauthenticated bulk length");
      }
      pos_ = cr - data + 2;
      bulk_len_ = len;
    }
    size_t need = pos_ + static_cast<size_t>(bulk_len_) + 2;
    if (size < need) {
      want_ = need;
      return ParseStatus::kIncomplete;
    }
    spans_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    pos_ = need;
    bulk_len_ = -1;
    --args_left_;
  }
  args_.reserve(spans_.size());
  for (auto [off, len] : spans_) args_.emplace_back(data + off, len);
  consumed_ = pos_;
  Reset();
  return ParseStatus::kCommand;
}

ParseStatus RequestParser::ParseInline(const char* data, size_t size) {
  const char* nl = FindTerminator(data, data + size, '\n');
  if (nl == nullptr) {
    if (size > kInlineMaxSize) return Fail("ERR Protocol error: too big inline request");
    return ParseStatus::kIncomplete;
  }
  size_t line_len = nl - data;
  consumed_ = line_len + 1;
  if (line_len > 0 && data[line_len - 1] == '\r') --line_len;
  // FindTerminator guarantees the line holds no NUL, so sdssplitargs's C-string view of it and
  // ours agree.
  std::string_view line(data, line_len);
  inline_storage_.clear();
  spans_.clear();
  if (!SplitInlineArgs(line, &inline_storage_, &spans_)) {
    spans_.clear();
    return Fail("ERR Protocol error: unbalanced quotes in request");
  }
  if (spans_.empty()) return ParseStatus::kEmpty;
  args_.reserve(spans_.size());
  for (auto [off, len] : spans_) args_.emplace_back(inline_storage_.data() + off, len);
  spans_.clear();
  return ParseStatus::kCommand;
}

static bool IsSplitSpace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}

static int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool SplitInlineArgs(std::string_view line, std::string* storage,
                     std::vector<std::pair<size_t, size_t>>* out) {
  size_t i = 0;
  const size_t n = line.size();
  while (true) {
    while (i < n && IsSplitSpace(line[i])) ++i;
    if (i >= n) return true;
    size_t start = storage->size();
    bool in_dq = false, in_sq = false, done = false;
    while (!done) {
      char c = i < n ? line[i] : '\0';
      if (in_dq) {
        if (i >= n) return false;
        if (c == '\\' && i + 3 < n + 0 && line[i + 1] == 'x' && HexValue(line[i + 2]) >= 0 &&
            HexValue(line[i + 3]) >= 0) {
          storage->push_back(static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3])));
          i += 3;
        } else if (c == '\\' && i + 1 < n) {
          ++i;
          char e = line[i];
          switch (e) {
            case 'n': e = '\n'; break;
            case 'r': e = '\r'; break;
            case 't': e = '\t'; break;
            case 'b': e = '\b'; break;
            case 'a': e = '\a'; break;
            default: break;
          }
          storage->push_back(e);
        } else if (c == '"') {
          // The closing quote must be followed by a space or the end of the line.
          if (i + 1 < n && !IsSplitSpace(line[i + 1])) return false;
          done = true;
        } else {
          storage->push_back(c);
        }
      } else if (in_sq) {
        if (i >= n) return false;
        if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
          ++i;
          storage->push_back('\'');
        } else if (c == '\'') {
          if (i + 1 < n && !IsSplitSpace(line[i + 1])) return false;
          done = true;
        } else {
          storage->push_back(c);
        }
      } else {
        switch (c) {
          case ' ': case '\n': case '\r': case '\t': case '\0':
            done = true;
            break;
          case '"': in_dq = true; break;
          case '\'': in_sq = true; break;
          default: storage->push_back(c); break;
        }
      }
      if (i < n) ++i;
    }
    out->emplace_back(start, storage->size() - start);
  }
}

}  // namespace stash::protocol
