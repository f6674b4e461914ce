// Differential tests: the same traffic goes to a fresh redis-server (the reference) and a fresh
// stash-server, and the raw replies must match byte for byte.
//
// Most cases live in tests/diff/*.txt scripts (format documented in harness/diff_runner.h).
// Cases that need several connections, raw protocol bytes or computed expectations are here.

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "diff_runner.h"
#include "resp_client.h"
#include "server_process.h"

namespace stash::test {
namespace {

// Scripts with their own test case below; any other tests/diff/*.txt runs in a catch-all case.
const std::vector<std::string> kScripts = {"strings.txt",      "keys.txt",
                                           "server.txt",       "transactions.txt",
                                           "protocol.txt",     "scripting.txt",
                                           "scripting_functions.txt"};

void RunDiffScript(const std::string& name) {
  DiffResult result = RunScriptFile(std::string(STASH_DIFF_DIR) + "/" + name, "tests/diff/" + name);
  INFO(result.Report());
  CHECK(result.fatal.empty());
  CHECK(result.mismatches.empty());
}

// A running reference server and stash-server, each with `clients` connections.
class ServerPair {
 public:
  explicit ServerPair(int clients = 1) {
    std::string error;
    REQUIRE_MESSAGE(redis_.Start(&error), error);
    REQUIRE_MESSAGE(stash_.Start(&error), error);
    for (ServerProcess* s : {&redis_, &stash_}) {
      auto& conns = s == &redis_ ? redis_clients_ : stash_clients_;
      for (int i = 0; i < clients; ++i) conns.push_back(Connect(*s));
    }
  }

  static RespClient Connect(ServerProcess& server) {
    RespClient c;
    REQUIRE_MESSAGE(c.Connect(server.port()), server.name(), ": ", c.last_error());
    return c;
  }

  ~ServerPair() {
    // Both shut down concurrently; the members' destructors then reap them.
    redis_.Terminate();
    stash_.Terminate();
  }

  ServerProcess& redis() { return redis_; }
  ServerProcess& stash() { return stash_; }
  RespClient& redis_client(int i = 0) { return redis_clients_.at(i); }
  RespClient& stash_client(int i = 0) { return stash_clients_.at(i); }

 private:
  // Declared before the clients so the servers outlive the connections during destruction.
  ServerProcess redis_{ServerKind::kRedis};
  ServerProcess stash_{ServerKind::kStash};
  std::vector<RespClient> redis_clients_;
  std::vector<RespClient> stash_clients_;
};

// One step of a multi-connection scenario: which connection sends which command.
struct ClientStep {
  int client;
  std::vector<std::string> argv;
};

std::string Join(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) out += (out.empty() ? "" : " ") + Escape(a);
  return out;
}

// Runs the steps on both servers (client i of redis mirrors client i of stash) and checks every
// reply matches. All mismatches are reported, not just the first.
void RunScenario(const std::string& name, int clients, const std::vector<ClientStep>& steps) {
  ServerPair pair(clients);
  std::vector<Mismatch> mismatches;
  for (size_t i = 0; i < steps.size(); ++i) {
    const ClientStep& step = steps[i];
    Mismatch m;
    m.location = name + " step " + std::to_string(i + 1);
    m.command = "[client " + std::to_string(step.client) + "] " + Join(step.argv);
    m.redis = pair.redis_client(step.client).Call(step.argv);
    m.stash = pair.stash_client(step.client).Call(step.argv);
    if (m.redis != m.stash) mismatches.push_back(m);
  }
  std::string report;
  for (const Mismatch& m : mismatches) report += m.ToString();
  INFO(name, ": ", mismatches.size(), " mismatch(es)\n", report);
  CHECK(mismatches.empty());
}

// Sends `bytes` on a fresh connection to each server, reads `replies` replies (or, if replies is
// negative, everything until the server closes) and checks both servers sent the same bytes.
void CheckRawExchange(ServerPair& pair, const std::string& bytes, int replies) {
  std::string got[2];
  ServerProcess* servers[2] = {&pair.redis(), &pair.stash()};
  for (int i = 0; i < 2; ++i) {
    RespClient c = ServerPair::Connect(*servers[i]);
    c.set_timeout(std::chrono::milliseconds(5000));
    REQUIRE(c.SendRaw(bytes));
    if (replies < 0) {
      std::string partial;
      std::optional<std::string> all = c.ReadUntilClose(&partial);
      got[i] = all ? *all : partial + "<did not close the connection: " + c.last_error() + ">";
    } else {
      for (int r = 0; r < replies; ++r) {
        std::optional<std::string> reply = c.ReadReply();
        got[i] += reply ? *reply : "<" + c.last_error() + ">";
      }
      // The connection must still be usable after the exchange.
      got[i] += c.Call({"PING"});
    }
    INFO(servers[i]->name(), " ", servers[i]->ExitDescription());
    CHECK(servers[i]->IsRunning());
  }
  INFO("request: \"", Escape(bytes), "\"\n    redis: \"", Escape(got[0]), "\"\n    stash: \"",
       Escape(got[1]), "\"");
  CHECK(got[0] == got[1]);
}

// Full SCAN iteration (following the cursor to 0). SCAN may return duplicates, so a set is used.
std::set<std::string> ScanAll(RespClient& c, const std::vector<std::string>& options) {
  std::set<std::string> keys;
  std::string cursor = "0";
  // Each call must make progress; the bound only turns a cursor loop into a failure.
  for (int calls = 0; calls < 10000; ++calls) {
    std::vector<std::string> argv = {"SCAN", cursor};
    argv.insert(argv.end(), options.begin(), options.end());
    std::string raw = c.Call(argv);
    std::optional<RespValue> v = ParseReply(raw);
    REQUIRE_MESSAGE(v.has_value(), "SCAN reply: ", Escape(raw));
    REQUIRE_MESSAGE((v->type == '*' && v->elems.size() == 2 && v->elems[1].type == '*'),
                    "SCAN reply: ", Escape(raw));
    for (const RespValue& k : v->elems[1].elems) keys.insert(k.str);
    cursor = v->elems[0].str;
    if (cursor == "0") return keys;
  }
  FAIL("SCAN did not return cursor 0 within 10000 calls");
  return keys;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Script-driven differential tests (one test case per script so failures are specific).

TEST_CASE("diff script strings.txt") { RunDiffScript("strings.txt"); }
TEST_CASE("diff script keys.txt") { RunDiffScript("keys.txt"); }
TEST_CASE("diff script server.txt") { RunDiffScript("server.txt"); }
TEST_CASE("diff script transactions.txt") { RunDiffScript("transactions.txt"); }
TEST_CASE("diff script protocol.txt") { RunDiffScript("protocol.txt"); }
TEST_CASE("diff script scripting.txt") { RunDiffScript("scripting.txt"); }
TEST_CASE("diff script scripting_functions.txt") { RunDiffScript("scripting_functions.txt"); }

// Scripts added to tests/diff later run here, each as its own subcase, so a new script is never
// silently skipped. Give a script its own TEST_CASE above (and add it to kScripts) once it is
// stable, so it runs in parallel with the others under ctest.
TEST_CASE("diff scripts without their own test case") {
  std::vector<std::string> extra;
  for (const auto& entry : std::filesystem::directory_iterator(STASH_DIFF_DIR)) {
    std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".txt" &&
        std::find(kScripts.begin(), kScripts.end(), name) == kScripts.end()) {
      extra.push_back(name);
    }
  }
  std::sort(extra.begin(), extra.end());
  for (const std::string& name : extra) {
    SUBCASE(name.c_str()) { RunDiffScript(name); }
  }
  for (const std::string& name : kScripts) {
    INFO("tests/diff/", name, " is missing");
    CHECK(std::filesystem::exists(std::string(STASH_DIFF_DIR) + "/" + name));
  }
}

// ---------------------------------------------------------------------------------------------
// WATCH across connections: client 0 watches, client 1 interferes.

TEST_CASE("diff WATCH key modified by another connection aborts EXEC") {
  RunScenario("watch-other-set", 2,
              {{1, {"SET", "k", "1"}},
               {0, {"WATCH", "k"}},
               {1, {"SET", "k", "2"}},
               {0, {"MULTI"}},
               {0, {"SET", "k", "3"}},
               {0, {"EXEC"}},
               {0, {"GET", "k"}},
               // The failed EXEC also unwatched everything: the next transaction succeeds.
               {0, {"MULTI"}},
               {0, {"INCR", "k"}},
               {0, {"EXEC"}}});
}

TEST_CASE("diff WATCH variants with two connections") {
  RunScenario("watch-unrelated-key", 2,
              {{0, {"WATCH", "k"}},
               {1, {"SET", "other", "x"}},
               {0, {"MULTI"}},
               {0, {"INCR", "k"}},
               {0, {"EXEC"}}});
  RunScenario("watch-missing-key-created", 2,
              {{0, {"WATCH", "k"}},
               {1, {"SET", "k", "v"}},
               {0, {"MULTI"}},
               {0, {"GET", "k"}},
               {0, {"EXEC"}}});
  RunScenario("watch-created-and-deleted", 2,
              {{0, {"WATCH", "k"}},
               {1, {"SET", "k", "v"}},
               {1, {"DEL", "k"}},
               {0, {"MULTI"}},
               {0, {"PING"}},
               {0, {"EXEC"}}});
  RunScenario(
      "watch-del-of-missing-key", 2,
      {{0, {"WATCH", "k"}}, {1, {"DEL", "k"}}, {0, {"MULTI"}}, {0, {"PING"}}, {0, {"EXEC"}}});
  RunScenario("watch-expire", 2,
              {{1, {"SET", "k", "v"}},
               {0, {"WATCH", "k"}},
               {1, {"EXPIRE", "k", "100"}},
               {0, {"MULTI"}},
               {0, {"PING"}},
               {0, {"EXEC"}}});
  RunScenario("watch-flushall", 2,
              {{1, {"SET", "k", "v"}},
               {0, {"WATCH", "k"}},
               {1, {"FLUSHALL"}},
               {0, {"MULTI"}},
               {0, {"PING"}},
               {0, {"EXEC"}}});
  RunScenario("watch-then-unwatch", 2,
              {{0, {"WATCH", "k"}},
               {0, {"UNWATCH"}},
               {1, {"SET", "k", "v"}},
               {0, {"MULTI"}},
               {0, {"PING"}},
               {0, {"EXEC"}}});
  RunScenario("watch-then-discard", 2,
              {{0, {"WATCH", "k"}},
               {1, {"SET", "k", "v"}},
               {0, {"MULTI"}},
               {0, {"DISCARD"}},
               {0, {"MULTI"}},
               {0, {"PING"}},
               {0, {"EXEC"}}});
  RunScenario("watch-other-db", 2,
              {{0, {"SELECT", "1"}},
               {0, {"WATCH", "k"}},
               {1, {"SET", "k", "v"}},  // Client 1 is in db 0: a different key.
               {0, {"MULTI"}},
               {0, {"PING"}},
               {0, {"EXEC"}}});
  RunScenario("watch-multiple-keys", 2,
              {{0, {"WATCH", "a", "b", "c"}},
               {1, {"SET", "c", "v"}},
               {0, {"MULTI"}},
               {0, {"PING"}},
               {0, {"EXEC"}}});
  RunScenario("watch-rename", 2,
              {{1, {"SET", "src", "v"}},
               {0, {"WATCH", "dst"}},
               {1, {"RENAME", "src", "dst"}},
               {0, {"MULTI"}},
               {0, {"PING"}},
               {0, {"EXEC"}}});
  RunScenario("watch-swapdb", 2,
              {{1, {"SELECT", "1"}},
               {1, {"SET", "k", "v"}},
               {0, {"WATCH", "k"}},
               {1, {"SWAPDB", "0", "1"}},
               {0, {"MULTI"}},
               {0, {"PING"}},
               {0, {"EXEC"}}});
}

TEST_CASE("diff MULTI state is per connection") {
  RunScenario("multi-isolation", 2,
              {{0, {"MULTI"}},
               {0, {"SET", "k", "from-tx"}},
               {1, {"GET", "k"}},  // Not visible before EXEC.
               {1, {"SET", "k", "from-1"}},
               {1, {"EXEC"}},  // Client 1 is not in MULTI.
               {0, {"EXEC"}},
               {1, {"GET", "k"}}});
}

// ---------------------------------------------------------------------------------------------
// SCAN: cursors are implementation-defined, so compare the complete result sets instead.

TEST_CASE("diff SCAN full iteration returns exactly the matching keys") {
  ServerPair pair;
  std::set<std::string> all;
  std::set<std::string> users;
  std::vector<std::string> mset = {"MSET"};
  for (int i = 0; i < 300; ++i) {
    std::string user = "user:" + std::to_string(i);
    std::string other = "other:" + std::to_string(i);
    mset.insert(mset.end(), {user, "v", other, "v"});
    all.insert(user);
    all.insert(other);
    users.insert(user);
  }
  for (RespClient* c : {&pair.redis_client(), &pair.stash_client()}) {
    REQUIRE(c->Call(mset) == "+OK\r\n");
  }
  std::set<std::string> other2xx;
  for (int i = 200; i < 300; ++i) other2xx.insert("other:" + std::to_string(i));
  struct Case {
    std::vector<std::string> options;
    std::set<std::string> expected;
  };
  const std::vector<Case> cases = {
      {{}, all},
      {{"COUNT", "7"}, all},
      {{"COUNT", "1000"}, all},
      {{"MATCH", "user:*"}, users},
      {{"MATCH", "user:*", "COUNT", "3"}, users},
      {{"MATCH", "user:1?"},
       {"user:10", "user:11", "user:12", "user:13", "user:14", "user:15", "user:16", "user:17",
        "user:18", "user:19"}},
      {{"MATCH", "nothing*"}, {}},
      {{"TYPE", "string"}, all},
      {{"TYPE", "hash"}, {}},
      {{"MATCH", "other:2??", "TYPE", "string", "COUNT", "50"}, other2xx},
  };
  for (const Case& c : cases) {
    INFO("SCAN options: ", Join(c.options));
    CHECK(ScanAll(pair.redis_client(), c.options) == c.expected);
    CHECK(ScanAll(pair.stash_client(), c.options) == c.expected);
  }
}

// ---------------------------------------------------------------------------------------------
// Raw protocol: inline commands, pipelining and protocol errors. For errors the servers close
// the connection; everything they sent before closing must match.

TEST_CASE("diff protocol inline commands and pipelining") {
  ServerPair pair;
  CheckRawExchange(pair, "PING\r\n", 1);
  CheckRawExchange(pair, "PING\n", 1);
  CheckRawExchange(pair, "ECHO hello\r\n", 1);
  CheckRawExchange(pair, "   PING   \r\n", 1);
  CheckRawExchange(pair, "\r\n\r\nPING\r\n", 1);  // Empty inline lines are ignored.
  CheckRawExchange(pair, "SET k \"a b\\x41\\n\"\r\nGET k\r\n", 2);
  CheckRawExchange(pair, "ECHO 'it\\'s'\r\n", 1);
  CheckRawExchange(pair, "ECHO \"\"\r\n", 1);
  CheckRawExchange(pair, "FOO bar baz\r\n", 1);
  CheckRawExchange(pair, "GET\r\n", 1);
  CheckRawExchange(pair, "set k v\r\nget k\r\nstrlen k\r\n", 3);
  // Several multibulk commands in one write, then mixed with inline ones.
  CheckRawExchange(pair,
                   EncodeCommand({"SET", "p", "1"}) + EncodeCommand({"INCR", "p"}) +
                       EncodeCommand({"INCRBY", "p", "10"}) + EncodeCommand({"GET", "p"}),
                   4);
  CheckRawExchange(pair, "PING\r\n" + EncodeCommand({"ECHO", "x"}) + "ECHO y\r\n", 3);
  // Binary-safe arguments through multibulk.
  CheckRawExchange(pair,
                   EncodeCommand({"SET", std::string("b\0k", 3), std::string("\r\n\0\xff", 4)}) +
                       EncodeCommand({"GET", std::string("b\0k", 3)}),
                   2);
}

TEST_CASE("diff protocol command split across writes") {
  ServerPair pair;
  ServerProcess* servers[2] = {&pair.redis(), &pair.stash()};
  std::string got[2];
  const std::string cmd =
      EncodeCommand({"SET", "split", "value"}) + EncodeCommand({"GET", "split"});
  for (int i = 0; i < 2; ++i) {
    RespClient c = ServerPair::Connect(*servers[i]);
    // One byte per write: the server must reassemble the commands from fragments.
    for (char ch : cmd) REQUIRE(c.SendRaw(std::string_view(&ch, 1)));
    for (int r = 0; r < 2; ++r) {
      std::optional<std::string> reply = c.ReadReply();
      got[i] += reply ? *reply : "<" + c.last_error() + ">";
    }
  }
  CHECK(got[0] == "+OK\r\n$5\r\nvalue\r\n");
  CHECK(got[1] == got[0]);
}

TEST_CASE("diff protocol errors close the connection with the same error") {
  ServerPair pair;
  const std::vector<std::string> cases = {
      "*1\r\n$9223372036854775807\r\n",
      "*1\r\n$-5\r\n",
      "*1\r\n$536870913\r\n",  // One more than proto-max-bulk-len.
      "*1\r\n$abc\r\n",
      "*2147483648\r\n",
      "*abc\r\n",
      "*1\r\nfoo\r\n",
      "*3\r\n$3\r\nSET\r\n$1\r\na\r\n:1\r\n",
      "SET \"a\r\n",                            // Unbalanced double quote.
      "ECHO 'a\r\n",                            // Unbalanced single quote.
      "ECHO \"a\"b\r\n",                        // Closing quote followed by a character.
      "PING\r\n*1\r\n$-5\r\n",                  // The reply to the valid command comes first.
      std::string(70 * 1024, 'a'),              // Too big inline request.
      "*" + std::string(70 * 1024, '1'),        // Too big multibulk count.
      "*1\r\n$" + std::string(70 * 1024, '1'),  // Too big bulk count.
      "QUIT\r\n",
  };
  for (const std::string& bytes : cases) CheckRawExchange(pair, bytes, -1);
}

// ---------------------------------------------------------------------------------------------
// Large values: sizes that do not fit in one socket read.

TEST_CASE("diff large values round-trip") {
  ServerPair pair;
  for (size_t size : {size_t{16 * 1024}, size_t{1 << 20}, size_t{5 << 20}}) {
    std::string value(size, '\0');
    for (size_t i = 0; i < size; ++i) value[i] = static_cast<char>('a' + i % 26);
    const std::string expected = "$" + std::to_string(size) + "\r\n" + value + "\r\n";
    for (RespClient* c : {&pair.redis_client(), &pair.stash_client()}) {
      CHECK(c->Call({"SET", "big", value}) == "+OK\r\n");
      std::string got = c->Call({"GET", "big"});
      CHECK_MESSAGE(got == expected, "GET of a ", size, "-byte value returned ", got.size(),
                    " bytes starting \"", Escape(got.substr(0, 64)), "\"");
      CHECK(c->Call({"STRLEN", "big"}) == ":" + std::to_string(size) + "\r\n");
      CHECK(c->Call({"APPEND", "big", "xyz"}) == ":" + std::to_string(size + 3) + "\r\n");
      CHECK(c->Call({"GETRANGE", "big", "-3", "-1"}) == "$3\r\nxyz\r\n");
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Self-tests of the harness pieces that the comparisons rely on.

TEST_CASE("harness SplitArgs matches redis-cli tokenization") {
  std::vector<std::string> out;
  std::string err;
  REQUIRE(SplitArgs("SET  k \"a\\x41\\n\\\"\" 'it\\'s' \"\"", &out, &err));
  CHECK(out == std::vector<std::string>{"SET", "k", "aA\n\"", "it's", ""});
  REQUIRE(SplitArgs("a\"b c\"d", &out, &err) == false);  // Quote must end the argument.
  CHECK_FALSE(SplitArgs("GET \"abc", &out, &err));
  CHECK_FALSE(SplitArgs("GET 'abc", &out, &err));
  REQUIRE(SplitArgs("a\"b c\"", &out, &err));  // A quote may start mid-argument.
  CHECK(out == std::vector<std::string>{"ab c"});
  REQUIRE(SplitArgs("\"\\x00\\xff\\xzz\"", &out, &err));
  CHECK(out == std::vector<std::string>{std::string("\0\xffxzz", 5)});
}

TEST_CASE("harness RESP framing") {
  // Frame length if complete, -1 if incomplete, -2 if malformed.
  auto frame = [](std::string_view s) -> long {
    size_t len = 0;
    switch (FindFrame(s, &len)) {
      case FrameStatus::kComplete:
        return static_cast<long>(len);
      case FrameStatus::kIncomplete:
        return -1;
      case FrameStatus::kMalformed:
        return -2;
    }
    return -3;
  };
  CHECK(frame("+OK\r\n+PONG\r\n") == 5);
  CHECK(frame("$-1\r\n") == 5);
  CHECK(frame("*-1\r\n") == 5);
  CHECK(frame("_\r\n") == 3);
  CHECK(frame("$3\r\na\r\n\r\n") == 9);  // Blob content may contain CRLF.
  CHECK(frame("$3\r\nab") == -1);
  CHECK(frame("*2\r\n:1\r\n*1\r\n$1\r\nx\r\n") == 19);
  CHECK(frame("*2\r\n:1\r\n") == -1);
  CHECK(frame("%1\r\n+a\r\n,1.5\r\n") == 14);
  CHECK(frame("|1\r\n+k\r\n+v\r\n:5\r\n") == 16);  // Attribute plus the reply it annotates.
  CHECK(frame(">2\r\n+a\r\n#t\r\n") == 12);
  CHECK(frame("=7\r\ntxt:abc\r\n") == 13);
  CHECK(frame("!3\r\nERR\r\n") == 9);
  CHECK(frame("(123\r\n") == 6);
  CHECK(frame("~0\r\n") == 4);
  CHECK(frame("x\r\n") == -2);
  CHECK(frame("$3\r\nabcd\r\n") == -2);
  CHECK(frame("$x\r\n") == -2);
  CHECK(SortedReply("*3\r\n$1\r\nc\r\n$1\r\na\r\n*2\r\n:2\r\n:1\r\n") ==
        "*3\r\n$1\r\na\r\n$1\r\nc\r\n*2\r\n:1\r\n:2\r\n");
  CHECK(MaskHelloReply("%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n") ==
        "%2\r\n$6\r\nserver\r\n+<masked>\r\n$5\r\nproto\r\n:3\r\n");
}

TEST_CASE("harness script parsing") {
  std::vector<ScriptStep> steps;
  std::string err;
  REQUIRE(
      ParseScript("# comment\n\nSET a b\n~ KEYS *\n? TTL a\n! SCAN 0\n@resp3\n"
                  "@wait-expired a\r\n",
                  &steps, &err));
  REQUIRE(steps.size() == 6);
  CHECK(steps[0].line == 3);
  CHECK(steps[1].mode == CompareMode::kSorted);
  CHECK(steps[2].mode == CompareMode::kTypeOnly);
  CHECK(steps[3].mode == CompareMode::kNone);
  CHECK(steps[4].kind == ScriptStep::Kind::kHello);
  CHECK(steps[5].kind == ScriptStep::Kind::kWaitExpired);
  CHECK(steps[5].argv == std::vector<std::string>{"a"});
  CHECK_FALSE(ParseScript("@sleep-ms 10\n", &steps, &err));
  CHECK(err.find("line 1") != std::string::npos);
  CHECK_FALSE(ParseScript("GET \"a\n", &steps, &err));
}

}  // namespace stash::test
