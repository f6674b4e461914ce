// Lazy freeing: UNLINK of a big collection and FLUSHALL/FLUSHDB ASYNC answer at once and the
// values are freed by a background thread, visible as INFO's lazyfreed_objects. The same
// expectations hold against the reference redis-server.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "for_each_server.h"
#include "resp_client.h"
#include "server_process.h"

namespace stash::test {
namespace {

int64_t InfoField(RespClient& c, const std::string& field) {
  std::string info = c.Call({"INFO", "memory"});
  size_t at = info.find(field + ":");
  REQUIRE_MESSAGE(at != std::string::npos, field, " missing from ", info);
  return std::stoll(info.substr(at + field.size() + 1));
}

// Polls until the background thread has freed `at_least` objects; a generous deadline only
// bounds a broken server, the condition is what the test waits for.
bool WaitFreed(RespClient& c, int64_t at_least) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (InfoField(c, "lazyfreed_objects") >= at_least) return true;
  }
  return false;
}

void FillSet(RespClient& c, const std::string& key, int members) {
  std::vector<std::string> cmd = {"SADD", key};
  for (int i = 0; i < members; ++i) cmd.push_back("member:" + std::to_string(i));
  REQUIRE(c.Call(cmd) == ":" + std::to_string(members) + "\r\n");
}

TEST_CASE("UNLINK frees a big collection in the background") {
  STASH_FOR_EACH_SERVER(kind);
  ServerProcess server(kind);
  std::string error;
  REQUIRE_MESSAGE(server.Start(&error), error);
  RespClient c;
  REQUIRE(c.Connect(server.port()));
  FillSet(c, "big", 5000);
  REQUIRE(c.Call({"SADD", "small", "1", "2"}) == ":2\r\n");
  int64_t before = InfoField(c, "lazyfreed_objects");
  CHECK(c.Call({"UNLINK", "big", "small", "missing"}) == ":2\r\n");
  CHECK(c.Call({"EXISTS", "big", "small"}) == ":0\r\n");
  CHECK(WaitFreed(c, before + 1));
  CHECK(InfoField(c, "lazyfree_pending_objects") == 0);
}

TEST_CASE("DEL frees lazily only with lazyfree-lazy-user-del") {
  STASH_FOR_EACH_SERVER(kind);
  ServerProcess server(kind);
  std::string error;
  REQUIRE_MESSAGE(server.Start(&error), error);
  RespClient c;
  REQUIRE(c.Connect(server.port()));
  FillSet(c, "big", 5000);
  CHECK(c.Call({"DEL", "big"}) == ":1\r\n");
  CHECK(InfoField(c, "lazyfreed_objects") == 0);
  REQUIRE(c.Call({"CONFIG", "SET", "lazyfree-lazy-user-del", "yes"}) == "+OK\r\n");
  FillSet(c, "big", 5000);
  CHECK(c.Call({"DEL", "big"}) == ":1\r\n");
  CHECK(WaitFreed(c, 1));
}

TEST_CASE("FLUSHALL ASYNC empties at once, frees in the background, aborts WATCH") {
  STASH_FOR_EACH_SERVER(kind);
  ServerProcess server(kind);
  std::string error;
  REQUIRE_MESSAGE(server.Start(&error), error);
  RespClient c, watcher;
  REQUIRE(c.Connect(server.port()));
  REQUIRE(watcher.Connect(server.port()));
  for (int i = 0; i < 200; ++i) {
    REQUIRE(c.Call({"SET", "key:" + std::to_string(i), "v"}) == "+OK\r\n");
  }
  FillSet(c, "big", 5000);
  REQUIRE(c.Call({"SELECT", "1"}) == "+OK\r\n");
  REQUIRE(c.Call({"SET", "other", "v"}) == "+OK\r\n");
  REQUIRE(watcher.Call({"WATCH", "key:7"}) == "+OK\r\n");
  CHECK(c.Call({"FLUSHALL", "ASYNC"}) == "+OK\r\n");
  CHECK(c.Call({"DBSIZE"}) == ":0\r\n");
  REQUIRE(c.Call({"SELECT", "0"}) == "+OK\r\n");
  CHECK(c.Call({"DBSIZE"}) == ":0\r\n");
  CHECK(c.Call({"GET", "key:7"}) == "$-1\r\n");
  CHECK(WaitFreed(c, 1));
  REQUIRE(watcher.Call({"MULTI"}) == "+OK\r\n");
  REQUIRE(watcher.Call({"SET", "key:7", "x"}) == "+QUEUED\r\n");
  CHECK(watcher.Call({"EXEC"}) == "*-1\r\n");
  // The emptied database works as usual afterwards.
  CHECK(c.Call({"SET", "key:7", "again"}) == "+OK\r\n");
  CHECK(c.Call({"FLUSHDB", "ASYNC"}) == "+OK\r\n");
  CHECK(c.Call({"DBSIZE"}) == ":0\r\n");
  CHECK(c.Call({"FLUSHDB", "SYNC"}) == "+OK\r\n");
  CHECK(c.Call({"FLUSHDB", "LAZY"}) == "-ERR syntax error\r\n");
}

}  // namespace
}  // namespace stash::test
