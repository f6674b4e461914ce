// MONITOR against stash-server and redis-server: which commands are shown, in which order and
// with which database and origin, how arguments are quoted and secrets redacted, and what a
// monitoring client may still do. Lines are compared with their time and client port masked.
#include <doctest/doctest.h>

#include <regex>
#include <string>
#include <vector>

#include "for_each_server.h"
#include "resp_client.h"
#include "server_fixture.h"

namespace stash::test {
namespace {

// "+1795413082.775672 [0 127.0.0.1:46280] ..." -> "+T [0 ADDR] ...".
std::string Mask(const std::string& line) {
  std::string s = std::regex_replace(line, std::regex(R"(^\+\d+\.\d{6} )"), "+T ");
  return std::regex_replace(s, std::regex(R"(127\.0\.0\.1:\d+)"), "ADDR");
}

// The next monitor line on m, masked.
std::string NextLine(RespClient& m) {
  std::optional<std::string> line = m.ReadReply();
  REQUIRE_MESSAGE(line.has_value(), m.last_error());
  return Mask(*line);
}

TEST_CASE("MONITOR shows commands once they ran, scripts' commands after them, secrets redacted") {
  STASH_FOR_EACH_SERVER(kind);
  ServerFixture f(kind, 2);
  RespClient m = f.Connect();
  RespClient o = f.Connect();
  CHECK(m.Call({"MONITOR"}) == "+OK\r\n");
  struct Step {
    std::vector<std::string> argv;
    std::vector<std::string> lines;  // what the monitor shows for it, in order
  };
  const std::vector<Step> steps = {
      {{"SET", std::string("k\0", 2), "\"\\\n\xff\t"},
       {"+T [0 ADDR] \"SET\" \"k\\x00\" \"\\\"\\\\\\n\\xff\\t\"\r\n"}},
      {{"SELECT", "3"}, {"+T [3 ADDR] \"SELECT\" \"3\"\r\n"}},  // the database after it
      {{"CONFIG", "GET", "maxmemory"}, {}},                       // admin: not shown
      {{"EVAL", "return redis.call('get', KEYS[1])", "1", "k"},
       {"+T [3 ADDR] \"EVAL\" \"return redis.call('get', KEYS[1])\" \"1\" \"k\"\r\n",
        "+T [3 lua] \"get\" \"k\"\r\n"}},
      {{"AUTH", "secret"}, {"+T [3 ADDR] \"AUTH\" \"(redacted)\"\r\n"}},
      {{"HELLO", "2", "AUTH", "default", "secret", "SETNAME", "n"},
       {"+T [3 ADDR] \"HELLO\" \"2\" \"AUTH\" \"(redacted)\" \"(redacted)\" \"SETNAME\" \"n\"\r\n"}},
      {{"MULTI"}, {"+T [3 ADDR] \"MULTI\"\r\n"}},
      {{"INCR", "n"}, {}},  // queued: shown when EXEC runs it
      {{"EXEC"}, {"+T [3 ADDR] \"INCR\" \"n\"\r\n", "+T [3 ADDR] \"EXEC\"\r\n"}},
      {{"NOSUCHCOMMAND"}, {}},  // rejected commands are not shown
      {{"GET"}, {}},
      {{"SELECT", "0"}, {"+T [0 ADDR] \"SELECT\" \"0\"\r\n"}},
      {{"FLUSHALL"}, {"+T [0 ADDR] \"FLUSHALL\"\r\n"}},
  };
  for (const Step& step : steps) {
    CAPTURE(step.argv[0]);
    o.Call(step.argv);
    for (const std::string& want : step.lines) CHECK(NextLine(m) == want);
  }
  // Nothing was left out or added: the next line is the next command's.
  o.Call({"PING"});
  CHECK(NextLine(m) == "+T [0 ADDR] \"PING\"\r\n");
}

TEST_CASE("a MONITOR client may not touch the keyspace, sees its own commands, and RESET ends it") {
  STASH_FOR_EACH_SERVER(kind);
  ServerFixture f(kind, 2);
  RespClient m = f.Connect();
  CHECK(m.Call({"MONITOR"}) == "+OK\r\n");
  RespClient o = f.Connect();
  std::string list = o.Call({"CLIENT", "LIST"});
  CHECK(list.find(" flags=O ") != std::string::npos);
  CHECK(o.Call({"PING"}) == "+PONG\r\n");
  CHECK(NextLine(m) == "+T [0 ADDR] \"PING\"\r\n");  // CLIENT LIST is admin: not shown
  CHECK(m.Call({"GET", "a"}) == "-ERR Replica can't interact with the keyspace\r\n");
  // Its own command's line follows the reply.
  CHECK(m.Call({"ECHO", "x"}) == "$1\r\nx\r\n");
  CHECK(NextLine(m) == "+T [0 ADDR] \"ECHO\" \"x\"\r\n");
  CHECK(m.Call({"RESET"}) == "+RESET\r\n");
  CHECK(m.Call({"GET", "a"}) == "$-1\r\n");
  // No longer monitoring: another client's command reaches it no more.
  CHECK(o.Call({"SET", "a", "1"}) == "+OK\r\n");
  CHECK(m.Call({"GET", "a"}) == "$1\r\n1\r\n");
}

}  // namespace
}  // namespace stash::test
