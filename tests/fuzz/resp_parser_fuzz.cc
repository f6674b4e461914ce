// libFuzzer target for RequestParser. Beyond "no crash, no sanitizer report", it checks the
// parser's contract: the same bytes give the same commands, errors and leftovers whether they
// arrive whole or in pieces (a caller keeps the unconsumed bytes of the current command at the
// front of its buffer and appends new ones), consumed() stays within the input, and multibulk
// arguments are views into the caller's buffer.
//
// Input layout: byte 0 picks the parser settings and byte 1 the piece size; the rest is the
// byte stream a client sends.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/resp_parser.h"

namespace {

using stash::protocol::ParseStatus;
using stash::protocol::RequestParser;

struct Settings {
  bool authenticated;
  int64_t max_bulk_len;
};

struct Outcome {
  ParseStatus status;
  std::vector<std::string> args;
  std::string error;
  bool operator==(const Outcome&) const = default;
};

struct Trace {
  std::vector<Outcome> outcomes;
  size_t pending = 0;       // unconsumed bytes at the end
  size_t error_offset = 0;  // where the failing command started, after an error
  bool operator==(const Trace&) const = default;
};

[[noreturn]] void Fail(const char* what) {
  fprintf(stderr, "resp_parser_fuzz: %s\n", what);
  abort();
}

Trace Feed(std::string_view input, size_t chunk, const Settings& settings) {
  RequestParser parser;
  parser.set_authenticated(settings.authenticated);
  parser.set_max_bulk_len(settings.max_bulk_len);
  Trace trace;
  std::string buffer;
  size_t fed = 0;
  while (fed < input.size()) {
    size_t n = std::min(chunk, input.size() - fed);
    buffer.append(input.substr(fed, n));
    fed += n;
    while (true) {
      // A fresh copy for every call, so that ASan sees any read past what was handed over.
      std::vector<char> view(buffer.begin(), buffer.end());
      const char* data = view.data();
      ParseStatus status = parser.Parse(data, view.size());
      if (status == ParseStatus::kIncomplete) break;
      Outcome o{status, {}, {}};
      if (status == ParseStatus::kError) {
        if (parser.error().rfind("ERR Protocol error: ", 0) != 0) Fail("odd error text");
        o.error = parser.error();
        trace.outcomes.push_back(std::move(o));
        trace.error_offset = fed - buffer.size();
        return trace;
      }
      if (parser.consumed() == 0 || parser.consumed() > view.size()) Fail("bad consumed()");
      if (status == ParseStatus::kCommand && parser.args().empty()) Fail("command without args");
      if (status == ParseStatus::kEmpty && !parser.args().empty()) Fail("empty with args");
      for (std::string_view a : parser.args()) {
        if (data[0] == '*' && (a.data() < data || a.data() + a.size() > data + parser.consumed())) {
          Fail("multibulk argument outside the command's bytes");
        }
        o.args.emplace_back(a);
      }
      trace.outcomes.push_back(std::move(o));
      buffer.erase(0, parser.consumed());
    }
  }
  trace.pending = buffer.size();
  return trace;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  Settings settings;
  settings.authenticated = (data[0] & 1) == 0;
  // Mostly the default limit; sometimes a tiny one so that the limit check is reached.
  settings.max_bulk_len = (data[0] & 2) ? (data[0] >> 2) : 512LL * 1024 * 1024;
  size_t chunk = 1 + data[1] % 16;
  std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);

  Trace whole = Feed(input, input.size() ? input.size() : 1, settings);
  // Over 64 KiB a line may be complete in the whole input yet "too big" in a prefix, exactly as
  // in Redis, so equality holds only below that.
  if (input.size() <= stash::protocol::kInlineMaxSize) {
    if (!(Feed(input, chunk, settings) == whole)) Fail("pieces and whole input disagree");
    if (input.size() <= 512 && !(Feed(input, 1, settings) == whole)) {
      Fail("byte-by-byte and whole input disagree");
    }
  }

  // The inline splitter on its own, with arbitrary bytes (quotes, escapes, NULs).
  std::string storage;
  std::vector<std::pair<size_t, size_t>> spans;
  if (stash::protocol::SplitInlineArgs(input, &storage, &spans)) {
    for (auto [off, len] : spans) {
      if (off + len > storage.size()) Fail("span outside storage");
    }
  }
  return 0;
}
