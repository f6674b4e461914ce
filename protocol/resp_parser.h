// Incremental parser for client requests: RESP multibulk ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") and
// inline commands ("GET k\r\n"), with Redis 7's limits and error strings.
//
// The parser never owns the input. A caller hands it the bytes that start at the first
// unconsumed byte of its read buffer; when a command is incomplete the parser remembers how far
// it got (as offsets, so the caller may move or grow its buffer) and resumes there on the next
// call with the same starting bytes plus whatever arrived since. Multibulk arguments are views
// into the caller's buffer (zero copies here); inline arguments, which may contain escapes, are
// copied once into the parser's own storage.
#ifndef STASH_PROTOCOL_RESP_PARSER_H_
#define STASH_PROTOCOL_RESP_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stash::protocol {

// Redis's PROTO_INLINE_MAX_SIZE: the longest inline line, and the longest count line we wait for.
inline constexpr size_t kInlineMaxSize = 64 * 1024;
// Redis's defaults for unauthenticated clients when requirepass is set.
inline constexpr int64_t kUnauthenticatedMaxMultibulk = 10;
inline constexpr int64_t kUnauthenticatedMaxBulk = 16384;

enum class ParseStatus {
  kCommand,     // args() holds one command; consumed() bytes of the input belong to it
  kEmpty,       // an empty command (blank inline line, "*0\r\n", "*-1\r\n"): consume and go on
  kIncomplete,  // need more bytes; call again with the same start plus more data
  kError,       // protocol error: reply error() and close the connection, as Redis does
};

class RequestParser {
 public:
  RequestParser() = default;

  // Parses at most one command from data[0, size). Views in args() point into data and stay
  // valid while those bytes do.
  ParseStatus Parse(const char* data, size_t size);

  const std::vector<std::string_view>& args() const { return args_; }
  size_t consumed() const { return consumed_; }
  // Redis's reply text without the leading "-", e.g. "ERR Protocol error: invalid bulk length".
  const std::string& error() const { return error_; }

  // Bytes of the pending (incomplete) command that are already known to be needed: lets the
  // caller grow its buffer once for a large bulk instead of doubling repeatedly.
  size_t bytes_wanted() const { return want_; }

  void set_max_bulk_len(int64_t n) { max_bulk_len_ = n; }
  void set_authenticated(bool yes) { authenticated_ = yes; }

  // Forgets any partial command (after the caller dropped its buffer).
  void Reset();

 private:
  ParseStatus ParseMultibulk(const char* data, size_t size);
  ParseStatus ParseInline(const char* data, size_t size);
  ParseStatus Fail(std::string message);

  // Multibulk progress, kept as offsets from the start of the command.
  bool in_multibulk_ = false;
  int64_t args_left_ = 0;
  int64_t bulk_len_ = -1;
  size_t pos_ = 0;
  std::vector<std::pair<size_t, size_t>> spans_;  // offset, length of each parsed argument

  std::vector<std::string_view> args_;
  std::string inline_storage_;
  std::string error_;
  size_t consumed_ = 0;
  size_t want_ = 0;
  int64_t max_bulk_len_ = 512LL * 1024 * 1024;
  bool authenticated_ = true;
};

// Splits an inline line as Redis's sdssplitargs does (quotes, \xHH and \n-style escapes).
// Returns false on unbalanced quotes. Appends argument bytes to *storage and their spans to *out.
bool SplitInlineArgs(std::string_view line, std::string* storage,
                     std::vector<std::pair<size_t, size_t>>* out);

}  // namespace stash::protocol

#endif  // STASH_PROTOCOL_RESP_PARSER_H_
