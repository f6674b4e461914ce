// Compatibility with the real Redis tools: redis-cli and redis-benchmark (Debian's redis-tools)
// talk to stash-server exactly as they talk to redis-server.
//
// Every case runs against stash-server and, as a check of the test itself, against the reference
// redis-server: if a case fails only for stash-server, the server is at fault.

#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "for_each_server.h"
#include "resp_client.h"
#include "server_process.h"

namespace stash::test {
namespace {

// Generous: redis-benchmark with -n 2000 takes well under a second; this only turns a hung tool
// into a failure.
constexpr std::chrono::seconds kToolTimeout{120};

// Picks the server for the current doctest subcase; each test case runs once per server.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) lines.push_back(line);
  return lines;
}

// Runs redis-cli against `server` with extra arguments and stdin; fails the test on a harness
// problem (missing binary, timeout).
ProgramResult Cli(ServerProcess& server, std::vector<std::string> args,
                  const std::string& input = "") {
  std::vector<std::string> argv = {"redis-cli", "-h", "127.0.0.1", "-p",
                                   std::to_string(server.port())};
  argv.insert(argv.end(), args.begin(), args.end());
  ProgramResult r = RunProgram(argv, input, kToolTimeout);
  REQUIRE_MESSAGE(r.started, r.error);
  REQUIRE_MESSAGE(!r.timed_out, "redis-cli timed out; output so far:\n", r.output);
  return r;
}

void StartServer(ServerProcess& server) {
  std::string error;
  REQUIRE_MESSAGE(server.Start(&error), error);
}

// Creates user:1..user:50 and other:1..other:50 over the wire protocol.
std::set<std::string> CreateUsersAndOthers(ServerProcess& server) {
  RespClient c;
  REQUIRE_MESSAGE(c.Connect(server.port()), c.last_error());
  std::vector<std::string> mset = {"MSET"};
  std::set<std::string> users;
  for (int i = 1; i <= 50; ++i) {
    users.insert("user:" + std::to_string(i));
    mset.insert(mset.end(), {"user:" + std::to_string(i), "u", "other:" + std::to_string(i), "o"});
  }
  REQUIRE(c.Call(mset) == "+OK\r\n");
  REQUIRE(c.Call({"DBSIZE"}) == ":100\r\n");
  return users;
}

}  // namespace

TEST_CASE("redis-cli SET and GET") {
  STASH_FOR_EACH_SERVER(kind);
  ServerProcess server(kind);
  StartServer(server);
  INFO("server: ", server.name());

  // Command given as arguments. Output to a pipe is redis-cli's raw format.
  ProgramResult set = Cli(server, {"SET", "greeting", "hello world"});
  CHECK(set.exit_code == 0);
  CHECK(set.output == "OK\n");
  ProgramResult get = Cli(server, {"GET", "greeting"});
  CHECK(get.output == "hello world\n");
  ProgramResult missing = Cli(server, {"GET", "missing"});
  CHECK(missing.output == "\n");  // A nil prints as an empty line in raw mode.

  // Commands read from stdin, one per line, in one session.
  ProgramResult piped = Cli(server, {}, "SET n 41\nINCR n\nGET n\nSTRLEN greeting\n");
  CHECK(piped.exit_code == 0);
  CHECK(piped.output == "OK\n42\n42\n11\n");

  // An error reply is printed and does not end the session.
  ProgramResult err = Cli(server, {}, "INCR greeting\nGET n\n");
  // redis-cli prints an empty line after an error in raw mode.
  CHECK(err.output == "ERR value is not an integer or out of range\n\n42\n");
}

TEST_CASE("redis-cli SCAN with MATCH follows the cursor to the matching keys") {
  STASH_FOR_EACH_SERVER(kind);
  ServerProcess server(kind);
  StartServer(server);
  INFO("server: ", server.name());
  const std::set<std::string> users = CreateUsersAndOthers(server);

  std::set<std::string> found;
  std::string cursor = "0";
  // SCAN guarantees no minimum batch size, so the loop is bounded by a call count instead.
  for (int calls = 0; calls < 1000; ++calls) {
    ProgramResult r = Cli(server, {"SCAN", cursor, "MATCH", "user:*", "COUNT", "20"});
    REQUIRE(r.exit_code == 0);
    std::vector<std::string> lines = Lines(r.output);
    REQUIRE_MESSAGE(!lines.empty(), "empty SCAN output");
    cursor = lines[0];
    // An empty batch prints as one empty line; no key here is empty.
    for (size_t i = 1; i < lines.size(); ++i) {
      if (!lines[i].empty()) found.insert(lines[i]);
    }
    if (cursor == "0") break;
  }
  CHECK(cursor == "0");
  std::string listed;
  for (const std::string& k : found) listed += k + " ";
  INFO("found ", found.size(), " keys: ", listed);
  CHECK(found == users);
}

TEST_CASE("redis-cli --scan --pattern lists exactly the matching keys") {
  STASH_FOR_EACH_SERVER(kind);
  ServerProcess server(kind);
  StartServer(server);
  INFO("server: ", server.name());
  const std::set<std::string> users = CreateUsersAndOthers(server);

  ProgramResult r = Cli(server, {"--scan", "--pattern", "user:*"});
  CHECK(r.exit_code == 0);
  std::vector<std::string> lines = Lines(r.output);
  std::sort(lines.begin(), lines.end());
  std::vector<std::string> expected(users.begin(), users.end());
  INFO("output:\n", r.output);
  CHECK(lines == expected);  // Every user key once, nothing else.

  ProgramResult other = Cli(server, {"--scan", "--pattern", "other:1*"});
  std::vector<std::string> other_lines = Lines(other.output);
  CHECK(other_lines.size() == 11);  // other:1, other:10..other:19.
}

TEST_CASE("redis-cli INFO and CONFIG GET") {
  STASH_FOR_EACH_SERVER(kind);
  ServerProcess server(kind);
  StartServer(server);
  INFO("server: ", server.name());

  ProgramResult info = Cli(server, {"INFO"});
  CHECK(info.exit_code == 0);
  INFO("INFO output:\n", info.output);
  CHECK(info.output.find("# Server") != std::string::npos);
  CHECK(info.output.find("redis_version:") != std::string::npos);

  ProgramResult keyspace = Cli(server, {}, "SET a 1\nINFO keyspace\n");
  INFO("INFO keyspace output:\n", keyspace.output);
  CHECK(keyspace.output.find("# Keyspace") != std::string::npos);
  CHECK(keyspace.output.find("db0:keys=1") != std::string::npos);

  ProgramResult all = Cli(server, {"CONFIG", "GET", "*"});
  CHECK(all.exit_code == 0);
  std::vector<std::string> lines = Lines(all.output);
  CHECK(lines.size() >= 2);
  // Name/value pairs, and the parameters clients commonly read are among them.
  CHECK(lines.size() % 2 == 0);
  for (const char* name : {"maxmemory", "databases", "port", "timeout"}) {
    INFO("CONFIG GET * lacks ", name);
    CHECK(std::find(lines.begin(), lines.end(), name) != lines.end());
  }
}

TEST_CASE("redis-cli MULTI and EXEC in one session") {
  STASH_FOR_EACH_SERVER(kind);
  ServerProcess server(kind);
  StartServer(server);
  INFO("server: ", server.name());

  ProgramResult r = Cli(server, {}, "MULTI\nSET counter 1\nINCR counter\nGET counter\nEXEC\n");
  CHECK(r.exit_code == 0);
  CHECK(r.output == "OK\nQUEUED\nQUEUED\nQUEUED\nOK\n2\n2\n");

  ProgramResult aborted = Cli(server, {}, "MULTI\nSET counter\nEXEC\nGET counter\n");
  CHECK(aborted.output ==
        "OK\nERR wrong number of arguments for 'set' command\n\n"
        "EXECABORT Transaction discarded because of previous errors.\n\n2\n");
}

// redis-benchmark exercises many concurrent connections and (with -P) deep pipelines. Errors are
// printed to the output, so any "ERR", "error" or "WARNING" fails the case.
void RunBenchmark(ServerKind kind, const std::vector<std::string>& extra) {
  ServerProcess server(kind);
  StartServer(server);
  std::vector<std::string> argv = {
      "redis-benchmark",        "-h", "127.0.0.1", "-p", std::to_string(server.port()), "-t",
      "ping,set,get,incr,mset", "-n", "2000",      "-q"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  ProgramResult r = RunProgram(argv, "", kToolTimeout);
  REQUIRE_MESSAGE(r.started, r.error);
  INFO(server.name(), " redis-benchmark output:\n", r.output);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 0);
  std::string lower = r.output;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  CHECK(r.output.find("ERR") == std::string::npos);
  CHECK(lower.find("error") == std::string::npos);
  CHECK(lower.find("warning") == std::string::npos);
  for (const char* test :
       {"PING_INLINE:", "PING_MBULK:", "SET:", "GET:", "INCR:", "MSET (10 keys):"}) {
    INFO("missing result line for ", test);
    CHECK(r.output.find(test) != std::string::npos);
  }
  CHECK(server.IsRunning());

  // The benchmark really wrote through the server: INCR left the counter at the request count.
  RespClient c;
  REQUIRE(c.Connect(server.port()));
  CHECK(c.Call({"GET", "counter:__rand_int__"}) == "$4\r\n2000\r\n");
}

TEST_CASE("redis-benchmark completes without errors") {
  STASH_FOR_EACH_SERVER(kind);
  RunBenchmark(kind, {});
}

TEST_CASE("redis-benchmark with 16-deep pipelining completes without errors") {
  STASH_FOR_EACH_SERVER(kind);
  RunBenchmark(kind, {"-P", "16"});
}

}  // namespace stash::test
