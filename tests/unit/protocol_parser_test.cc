// RequestParser: Redis 7.0's request framing, limits and error strings. Expected values marked
// "redis-server 7.0" were obtained by sending the same bytes to a real redis-server 7.0.15.
#include <doctest/doctest.h>

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"
#include "protocol/resp_parser.h"

namespace stash::protocol {
namespace {

using namespace std::string_literals;

// One outcome of Parse that a connection acts on.
struct Outcome {
  ParseStatus status;
  std::vector<std::string> args;  // kCommand only
  std::string error;              // kError only
  bool operator==(const Outcome&) const = default;
};

const char* StatusName(ParseStatus s) {
  switch (s) {
    case ParseStatus::kCommand:
      return "command";
    case ParseStatus::kEmpty:
      return "empty";
    case ParseStatus::kIncomplete:
      return "incomplete";
    case ParseStatus::kError:
      return "error";
  }
  return "?";
}

// Everything a connection observes when fed some bytes: the outcomes in order; how many bytes
// were left unconsumed at the end (an incomplete command); and, after a protocol error, where
// the failing command started. (How much of the input had arrived when the error was noticed
// depends on the pieces, so it is not part of the trace.)
struct Trace {
  std::vector<Outcome> outcomes;
  size_t pending = 0;
  size_t error_offset = 0;
  bool operator==(const Trace&) const = default;
};

std::string Describe(const Trace& trace) {
  std::string s;
  for (const Outcome& o : trace.outcomes) {
    s += StatusName(o.status);
    for (const std::string& a : o.args) s += " [" + a + "]";
    if (!o.error.empty()) s += " (" + o.error + ")";
    s += "; ";
  }
  return s + "pending=" + std::to_string(trace.pending) +
         " error_offset=" + std::to_string(trace.error_offset);
}

using Configure = std::function<void(RequestParser*)>;

// Feeds input in pieces of `chunk` bytes the way a connection does (the contract in
// resp_parser.h): the buffer always starts at the first byte of the current command, new bytes
// are appended to it, and consumed bytes are dropped from its front after each command. Stops at
// the first protocol error, since the connection is then closed.
Trace Feed(std::string_view input, size_t chunk, const Configure& configure = nullptr) {
  RequestParser parser;
  if (configure) configure(&parser);
  Trace trace;
  std::string buffer;
  size_t fed = 0;
  while (fed < input.size()) {
    size_t n = std::min(chunk, input.size() - fed);
    buffer.append(input.substr(fed, n));
    fed += n;
    while (true) {
      ParseStatus status = parser.Parse(buffer.data(), buffer.size());
      if (status == ParseStatus::kIncomplete) break;
      Outcome o{status, {}, {}};
      if (status == ParseStatus::kError) {
        o.error = parser.error();
        trace.outcomes.push_back(o);
        trace.error_offset = fed - buffer.size();
        return trace;
      }
      REQUIRE(parser.consumed() > 0);
      REQUIRE(parser.consumed() <= buffer.size());
      for (std::string_view a : parser.args()) o.args.emplace_back(a);
      trace.outcomes.push_back(std::move(o));
      buffer.erase(0, parser.consumed());
    }
  }
  trace.pending = buffer.size();
  return trace;
}

Trace Whole(std::string_view input, const Configure& configure = nullptr) {
  return Feed(input, input.size() == 0 ? 1 : input.size(), configure);
}

Outcome Command(std::vector<std::string> args) {
  return {ParseStatus::kCommand, std::move(args), {}};
}
Outcome Empty() { return {ParseStatus::kEmpty, {}, {}}; }
Outcome Error(std::string message) { return {ParseStatus::kError, {}, std::move(message)}; }

// Asserts the trace for input, and that feeding it whole, one byte at a time, and in odd-sized
// chunks gives exactly that trace.
void ExpectTrace(std::string_view input, const Trace& expected,
                 const Configure& configure = nullptr) {
  CAPTURE(input);
  Trace whole = Whole(input, configure);
  INFO("whole: ", Describe(whole));
  CHECK(whole == expected);
  for (size_t chunk : {size_t{1}, size_t{2}, size_t{3}, size_t{7}}) {
    CAPTURE(chunk);
    Trace pieces = Feed(input, chunk, configure);
    INFO("pieces: ", Describe(pieces));
    CHECK(pieces == expected);
  }
}

std::string Multibulk(const std::vector<std::string>& args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& a : args) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

// ---------------------------------------------------------------------------------------------
// Well-formed multibulk requests.

TEST_CASE("a multibulk command parses into its arguments, binary-safe") {
  ExpectTrace("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", {{Command({"GET", "k"})}, 0});
  // Bulk data may hold CR, LF and NUL: only the length decides where it ends.
  ExpectTrace("*2\r\n$4\r\nECHO\r\n$5\r\na\r\n\0b\r\n"s, {{Command({"ECHO", "a\r\n\0b"s})}, 0});
  ExpectTrace("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", {{Command({"SET", "k", ""})}, 0});
}

TEST_CASE("the bytes after a bulk and after a count's CR are not checked, as in Redis") {
  // redis-server 7.0 answers +PONG to this: it skips two bytes after the data unseen.
  ExpectTrace("*1\r\n$4\r\nPINGxx", {{Command({"PING"})}, 0});
  ExpectTrace("*1\r\n$4\rxPINGxx", {{Command({"PING"})}, 0});
  ExpectTrace("*1\rx$4\r\nPING\r\n", {{Command({"PING"})}, 0});
}

TEST_CASE("consumed() covers exactly one command and leaves the next one in the buffer") {
  std::string two = "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n";
  RequestParser parser;
  REQUIRE(parser.Parse(two.data(), two.size()) == ParseStatus::kCommand);
  CHECK(parser.consumed() == 14);
  REQUIRE(parser.args().size() == 1);
  CHECK(parser.args()[0] == "PING");
  // Multibulk arguments are views into the caller's buffer (no copies).
  CHECK(parser.args()[0].data() == two.data() + 8);
  REQUIRE(parser.Parse(two.data() + 14, two.size() - 14) == ParseStatus::kCommand);
  CHECK(parser.consumed() == two.size() - 14);
  CHECK(parser.args()[1] == "hi");
}

TEST_CASE("an incomplete command resumes where it stopped when the buffer moves and grows") {
  std::string request = Multibulk({"SET", "key", std::string(1000, 'v')});
  RequestParser parser;
  std::string first(request.substr(0, 40));
  REQUIRE(parser.Parse(first.data(), first.size()) == ParseStatus::kIncomplete);
  // The parser knows the whole command's size once the big bulk's header has been read.
  CHECK(parser.bytes_wanted() == request.size());
  // A different buffer with the same starting bytes: offsets, not pointers, were remembered.
  std::string second = request + "*1\r\n$4\r\nPING\r\n";
  REQUIRE(parser.Parse(second.data(), second.size()) == ParseStatus::kCommand);
  CHECK(parser.consumed() == request.size());
  CHECK(parser.args()[2] == std::string(1000, 'v'));
  CHECK(parser.args()[2].data() >= second.data());
  CHECK(parser.bytes_wanted() == 0);
}

TEST_CASE("Reset forgets a partial command") {
  RequestParser parser;
  std::string partial = "*2\r\n$3\r\nGET\r\n";
  REQUIRE(parser.Parse(partial.data(), partial.size()) == ParseStatus::kIncomplete);
  parser.Reset();
  std::string inline_cmd = "PING\r\n";
  REQUIRE(parser.Parse(inline_cmd.data(), inline_cmd.size()) == ParseStatus::kCommand);
  CHECK(parser.args() == std::vector<std::string_view>{"PING"});
}

// ---------------------------------------------------------------------------------------------
// Empty commands: Redis skips them silently and goes on with the next command.

TEST_CASE("empty commands are consumed and reported as kEmpty") {
  ExpectTrace("*0\r\n", {{Empty()}, 0});
  ExpectTrace("*-1\r\n", {{Empty()}, 0});
  ExpectTrace("*-100\r\nPING\r\n", {{Empty(), Command({"PING"})}, 0});
  ExpectTrace("\r\n", {{Empty()}, 0});
  ExpectTrace("\n", {{Empty()}, 0});
  ExpectTrace("   \r\n", {{Empty()}, 0});
  ExpectTrace("\t \x0b\x0c\r\r\n", {{Empty()}, 0});
  ExpectTrace("*1\r\n$4\r\nPING\r\n\r\n\r\nPING\r\n",
              {{Command({"PING"}), Empty(), Empty(), Command({"PING"})}, 0});
}

TEST_CASE("kEmpty reports how many bytes to drop") {
  RequestParser parser;
  std::string input = "*-1\r\nPING\r\n";
  REQUIRE(parser.Parse(input.data(), input.size()) == ParseStatus::kEmpty);
  CHECK(parser.consumed() == 5);
  CHECK(parser.args().empty());
  std::string blank = "  \r\nPING\r\n";
  REQUIRE(parser.Parse(blank.data(), blank.size()) == ParseStatus::kEmpty);
  CHECK(parser.consumed() == 4);
}

TEST_CASE("nothing at all is incomplete, not empty") {
  RequestParser parser;
  CHECK(parser.Parse("", 0) == ParseStatus::kIncomplete);
  ExpectTrace("*", {{}, 1});
  ExpectTrace("*1\r", {{}, 3});
  ExpectTrace("*1\r\n$4\r\nPI", {{}, 10});
  ExpectTrace("PING", {{}, 4});
}

// ---------------------------------------------------------------------------------------------
// Inline commands, split like sdssplitargs (results checked with RPUSH + LRANGE on redis 7.0).

TEST_CASE("inline commands split on blanks and strip one CR before the LF") {
  ExpectTrace("SET k v\r\n", {{Command({"SET", "k", "v"})}, 0});
  ExpectTrace("SET k v\n", {{Command({"SET", "k", "v"})}, 0});
  ExpectTrace("  SET   k\tv  \r\n", {{Command({"SET", "k", "v"})}, 0});
  ExpectTrace("SET k v\r\r\n", {{Command({"SET", "k", "v"})}, 0});
  // Leading \v and \f are blanks (isspace) but inside a token they are ordinary bytes.
  ExpectTrace("\x0bSET k\x0cv\r\n", {{Command({"SET", "k\x0cv"})}, 0});
  ExpectTrace("SET a\x0b" "b\r\n", {{Command({"SET", "a\x0b" "b"})}, 0});
  ExpectTrace("SET \xc3\xa9 v\r\n", {{Command({"SET", "\xc3\xa9", "v"})}, 0});
}

TEST_CASE("inline double quotes take \\xHH and C escapes; single quotes only \\'") {
  struct Case {
    std::string line;
    std::vector<std::string> args;
  };
  const Case cases[] = {
      {R"(SET "a b" 'c d')", {"SET", "a b", "c d"}},
      {R"(SET "a\x41\n\r\t\b\a\\\"z")", {"SET", "aA\n\r\t\b\a\\\"z"}},
      {R"(SET "\x4")", {"SET", "x4"}},  // not two hex digits: "\x" is just 'x'
      {R"(SET "\xZZ")", {"SET", "xZZ"}},
      {R"(SET "\x4g")", {"SET", "x4g"}},
      {R"(SET "\xff\x00")", {"SET", "\xff\0"s}},
      {R"(SET "x\q")", {"SET", "xq"}},
      {R"(SET "\\")", {"SET", "\\"}},
      {R"(SET 'it\'s')", {"SET", "it's"}},
      {R"(SET 'a\nb')", {"SET", R"(a\nb)"}},
      {R"(SET 'a\\b')", {"SET", R"(a\\b)"}},
      {R"(SET a"b c")", {"SET", "ab c"}},  // a quote may start mid-token
      {R"(SET a'b c')", {"SET", "ab c"}},
      {R"(SET "")", {"SET", ""}},
      {R"(SET '' x)", {"SET", "", "x"}},
      {"SET \"a\"\t'b'", {"SET", "a", "b"}},
      {R"(SET "a" "b")", {"SET", "a", "b"}},
      {R"("SET" k v)", {"SET", "k", "v"}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.line);
    ExpectTrace(c.line + "\r\n", {{Command(c.args)}, 0});
  }
}

TEST_CASE("inline arguments stay valid until the next Parse even though they were unescaped") {
  std::string input = "SET \"a\\x41\" v\r\n";
  RequestParser parser;
  REQUIRE(parser.Parse(input.data(), input.size()) == ParseStatus::kCommand);
  input.assign(input.size(), '#');  // the caller may reuse its buffer: inline args are copies
  CHECK(parser.args()[1] == "aA");
  CHECK(parser.consumed() == 15);
}

TEST_CASE("unbalanced inline quotes are a protocol error") {
  const Outcome unbalanced = Error("ERR Protocol error: unbalanced quotes in request");
  for (std::string line : {R"(SET "abc"def)", R"(SET "abc)", R"(SET 'abc)", R"(SET a"b c"d)",
                           R"(SET "a\")", R"(SET "\")", R"(SET 'a'b)"}) {
    CAPTURE(line);
    std::string input = line + "\r\n";
    ExpectTrace(input, {{unbalanced}});
  }
}

TEST_CASE("SplitInlineArgs appends to existing storage and reports spans") {
  std::string storage = "xx";
  std::vector<std::pair<size_t, size_t>> spans;
  REQUIRE(SplitInlineArgs(R"(a "b c" '')", &storage, &spans));
  CHECK(storage == "xxab c");
  CHECK(spans == std::vector<std::pair<size_t, size_t>>{{2, 1}, {3, 3}, {6, 0}});
  CHECK_FALSE(SplitInlineArgs(R"("open)", &storage, &spans));
}

// ---------------------------------------------------------------------------------------------
// Protocol errors: exact strings of redis-server 7.0.

TEST_CASE("invalid multibulk lengths") {
  const Outcome invalid = Error("ERR Protocol error: invalid multibulk length");
  for (std::string count : {"1x", "2147483648", "+1", "01", "-0", " 1", "", "99999999999999999999",
                            "-9223372036854775809"}) {
    CAPTURE(count);
    std::string input = "*" + count + "\r\n$4\r\nPING\r\n";
    ExpectTrace(input, {{invalid}});
  }
  // INT_MAX itself is accepted: Redis then waits for that many arguments.
  ExpectTrace("*2147483647\r\n", {{}, 13});
}

TEST_CASE("invalid bulk lengths, including 2^63, INT64_MAX and negative ones") {
  const Outcome invalid = Error("ERR Protocol error: invalid bulk length");
  for (std::string len : {"-1", "-0", "04", " 4", "4 ", "", "9223372036854775808",
                          "9223372036854775807", "-9223372036854775808", "536870913"}) {
    CAPTURE(len);
    std::string input = "*1\r\n$" + len + "\r\n";
    ExpectTrace(input, {{invalid}});
  }
  // 512 MiB, the default proto-max-bulk-len, is accepted (and then awaited).
  ExpectTrace("*1\r\n$536870912\r\n", {{}, 16});
}

TEST_CASE("proto-max-bulk-len bounds bulk lengths") {
  const Configure one_mb = [](RequestParser* p) { p->set_max_bulk_len(1024 * 1024); };
  ExpectTrace("*1\r\n$1048576\r\n", {{}, 14}, one_mb);
  ExpectTrace("*1\r\n$1048577\r\n", {{Error("ERR Protocol error: invalid bulk length")}}, one_mb);
}

TEST_CASE("a bulk header that does not start with '$' names the byte found") {
  ExpectTrace("*1\r\nx4\r\n", {{Error("ERR Protocol error: expected '$', got 'x'")}});
  ExpectTrace("*1\r\n*1\r\n", {{Error("ERR Protocol error: expected '$', got '*'")}});
  ExpectTrace("*2\r\n$4\r\nECHO\r\n:1\r\n",
              {{Error("ERR Protocol error: expected '$', got ':'")}});
}

TEST_CASE("an empty bulk header line reports the CR, which the reply turns into a space") {
  ExpectTrace("*1\r\n\r\n", {{Error("ERR Protocol error: expected '$', got '\r'")}});
  // redis-server 7.0 sends exactly this (addReplyErrorFormat replaces CR and LF by spaces).
  RequestParser parser;
  std::string input = "*1\r\n\r\n";
  REQUIRE(parser.Parse(input.data(), input.size()) == ParseStatus::kError);
  std::string wire;
  ReplyBuilder(&wire).Error(parser.error());
  CHECK(wire == "-ERR Protocol error: expected '$', got ' '\r\n");
}

TEST_CASE("too big inline request: over 64 KiB without a newline") {
  const std::string too_big = "ERR Protocol error: too big inline request";
  std::string at_limit = "PING" + std::string(kInlineMaxSize - 4, 'x');
  ExpectTrace(at_limit, {{}, kInlineMaxSize});
  std::string over = at_limit + "x";
  CHECK(Whole(over) == Trace{{Error(too_big)}});
  CHECK(Feed(over, 1) == Trace{{Error(too_big)}});
  // A newline within the buffer wins over the size: Redis only measures a line it cannot end.
  std::string long_line = "ECHO " + std::string(kInlineMaxSize + 10, 'y') + "\r\n";
  Trace t = Whole(long_line);
  REQUIRE(t.outcomes.size() == 1);
  CHECK(t.outcomes[0].args[1].size() == kInlineMaxSize + 10);
}

TEST_CASE("too big mbulk count string and too big bulk count string") {
  std::string mbulk = "*" + std::string(kInlineMaxSize, '1');
  ExpectTrace(mbulk, {{Error("ERR Protocol error: too big mbulk count string")}});
  std::string bulk = "*1\r\n$" + std::string(kInlineMaxSize, '1');
  ExpectTrace(bulk, {{Error("ERR Protocol error: too big bulk count string")}});
  // The limit counts from the start of the bulk header, not of the command.
  std::string later = "*2\r\n$4\r\nECHO\r\n$" + std::string(kInlineMaxSize - 1, '1');
  ExpectTrace(later, {{}, later.size()});
  // The error names the second argument's header; the first argument was parsed.
  ExpectTrace(later + "1", {{Error("ERR Protocol error: too big bulk count string")}});
}

TEST_CASE("a NUL before the line end hides it, as strchr does in Redis") {
  // redis-server 7.0 does not answer these at all: it waits for a terminator it never sees...
  ExpectTrace("*1\0\r\n$4\r\nPING\r\n"s, {{}, 15});
  ExpectTrace("*1\r\n\0$4\r\nPING\r\n"s, {{}, 15});
  ExpectTrace("PING\0x\r\n"s, {{}, 8});
  // ...until more than 64 KiB are buffered.
  std::string filler(kInlineMaxSize, 'x');
  CHECK(Whole("*1\0"s + filler).outcomes ==
        std::vector<Outcome>{Error("ERR Protocol error: too big mbulk count string")});
  CHECK(Whole("*2\r\n$4\r\nECHO\r\n$\0"s + filler).outcomes ==
        std::vector<Outcome>{Error("ERR Protocol error: too big bulk count string")});
  CHECK(Whole("PING\0"s + filler).outcomes ==
        std::vector<Outcome>{Error("ERR Protocol error: too big inline request")});
  // A NUL after the CR is harmless: the CR was found.
  ExpectTrace("*1\r\0$4\r\nPING\r\n"s, {{Command({"PING"})}, 0});
}

TEST_CASE("unauthenticated clients are limited to 10 arguments and 16 KiB bulks") {
  const Configure guest = [](RequestParser* p) { p->set_authenticated(false); };
  ExpectTrace("*10\r\n", {{}, 5}, guest);
  ExpectTrace("*11\r\n", {{Error("ERR Protocol error: unauthenticated multibulk length")}},
              guest);
  ExpectTrace("*1\r\n$16384\r\n", {{}, 12}, guest);
  ExpectTrace("*1\r\n$16385\r\n",
              {{Error("ERR Protocol error: unauthenticated bulk length")}}, guest);
  // Invalid lengths are reported as invalid first, as Redis checks them first.
  ExpectTrace("*1\r\n$-5\r\n", {{Error("ERR Protocol error: invalid bulk length")}}, guest);
  // Once authenticated, the limits go away.
  RequestParser parser;
  parser.set_authenticated(false);
  parser.set_authenticated(true);
  std::string big = "*11\r\n";
  CHECK(parser.Parse(big.data(), big.size()) == ParseStatus::kIncomplete);
}

TEST_CASE("after an error the parser starts clean") {
  RequestParser parser;
  std::string bad = "*1\r\n$x\r\n";
  REQUIRE(parser.Parse(bad.data(), bad.size()) == ParseStatus::kError);
  std::string good = "*1\r\n$4\r\nPING\r\n";
  REQUIRE(parser.Parse(good.data(), good.size()) == ParseStatus::kCommand);
  CHECK(parser.args() == std::vector<std::string_view>{"PING"});
}

// ---------------------------------------------------------------------------------------------
// Pipelines and split-invariance.

TEST_CASE("every corpus input parses the same whole, byte by byte and in chunks") {
  const std::string corpus[] = {
      "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n",
      "PING\r\nPING\nECHO \"a b\"\r\n*2\r\n$4\r\nECHO\r\n$1\r\nx\r\n",
      "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n",
      "*0\r\n*-1\r\n\r\n\n*1\r\n$4\r\nPING\r\n",
      "*1\r\n$3\r\nabc\r\n*1\r\n$-1\r\n",
      "ECHO 'x\r\n",
      "*2\r\n$3\r\nGET\r\n$3\r\n\r\n\r\r\n",
      "*2\r\n$3\r\nGET\r\n$3\r\n\0\0\0\r\nGET x\r\n"s,
      "*1\r\n$0\r\n\r\n*1\r\n@",
  };
  for (const std::string& input : corpus) {
    CAPTURE(input);
    Trace whole = Whole(input);
    for (size_t chunk = 1; chunk <= input.size(); ++chunk) {
      CAPTURE(chunk);
      CHECK(Feed(input, chunk) == whole);
    }
  }
}

// A random request in either framing, with arguments that stress the framing: CR, LF, NUL,
// quotes, and lengths crossing typical boundaries.
std::string RandomArg(std::mt19937_64& rng, bool inline_safe) {
  static const char kAlphabet[] = "abcXYZ019 \r\n\0\"'\\$*:+-";
  size_t len = rng() % 4 == 0 ? rng() % 300 : rng() % 12;
  std::string s;
  for (size_t i = 0; i < len; ++i) {
    char c = inline_safe ? "abcdefXYZ0123456789-_:.{}"[rng() % 25]
                         : kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
    s.push_back(c);
  }
  if (inline_safe && s.empty()) s = "e";
  return s;
}

TEST_CASE("a pipeline of thousands of mixed commands parses identically byte by byte") {
  std::mt19937_64 rng(20240601);
  std::string input;
  std::vector<Outcome> expected;
  for (int i = 0; i < 4000; ++i) {
    int kind = static_cast<int>(rng() % 10);
    if (kind == 0) {
      input += "*0\r\n";
      expected.push_back(Empty());
      continue;
    }
    bool inline_cmd = kind <= 2;
    std::vector<std::string> args = {i % 2 ? "SET" : "GET"};
    size_t extra = 1 + rng() % 4;
    for (size_t j = 0; j < extra; ++j) args.push_back(RandomArg(rng, inline_cmd));
    if (inline_cmd) {
      for (size_t j = 0; j < args.size(); ++j) input += (j ? " " : "") + args[j];
      input += rng() % 2 ? "\r\n" : "\n";
    } else {
      input += Multibulk(args);
    }
    expected.push_back(Command(args));
  }
  Trace whole = Whole(input);
  CHECK(whole.pending == 0);
  CHECK(whole.outcomes.size() == expected.size());
  CHECK(whole.outcomes == expected);
  CHECK(Feed(input, 1) == whole);
  CHECK(Feed(input, 4096) == whole);  // a typical read size, cutting commands anywhere
}

TEST_CASE("a pipeline of 10000 GETs in one buffer parses with zero-copy arguments") {
  std::string input;
  for (int i = 0; i < 10000; ++i) input += Multibulk({"GET", "key:" + std::to_string(i)});
  RequestParser parser;
  size_t offset = 0;
  int commands = 0;
  while (offset < input.size()) {
    REQUIRE(parser.Parse(input.data() + offset, input.size() - offset) == ParseStatus::kCommand);
    REQUIRE(parser.args().size() == 2);
    CHECK(parser.args()[1] == "key:" + std::to_string(commands));
    CHECK(parser.args()[1].data() > input.data() + offset);
    offset += parser.consumed();
    ++commands;
  }
  CHECK(commands == 10000);
  CHECK(offset == input.size());
}

}  // namespace
}  // namespace stash::protocol
