// Blocking list pops across clients on different worker threads: wake-up by pushes from other
// clients and from MULTI/EXEC, first-come first-served order, timeouts, CLIENT UNBLOCK,
// disconnects while blocked, and BLMOVE. Every case runs against stash-server (four workers,
// so the clients land on different threads) and against redis-server as the reference.
//
// "Is the client blocked yet?" is answered by polling INFO's blocked_clients: a condition,
// not a sleep.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "for_each_server.h"
#include "resp_client.h"
#include "server_fixture.h"
#include "server_process.h"

namespace stash::test {
namespace {

std::string Bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

std::string Pair(const std::string& key, const std::string& value) {
  return "*2\r\n" + Bulk(key) + Bulk(value);
}

TEST_CASE("BLPOP is woken by LPUSH from another client") {
  STASH_FOR_EACH_SERVER(kind);
  ControlledServerFixture f(kind, 4);
  RespClient waiter = f.ConnectBlocked({"BLPOP", "queue", "0"});
  CHECK(f.control().Call({"LPUSH", "queue", "job"}) == ":1\r\n");
  CHECK(waiter.ReadReply() == Pair("queue", "job"));
  CHECK(f.control().Call({"EXISTS", "queue"}) == ":0\r\n");
  f.WaitBlocked(0);
}

TEST_CASE("blocked clients are served in the order they blocked") {
  STASH_FOR_EACH_SERVER(kind);
  ControlledServerFixture f(kind, 4);
  std::vector<RespClient> waiters;
  for (int i = 0; i < 4; ++i) {
    waiters.push_back(f.ConnectBlocked({"BLPOP", "q", "0"}, i + 1));
  }
  CHECK(f.control().Call({"RPUSH", "q", "a", "b", "c", "d"}) == ":4\r\n");
  const char* expected[] = {"a", "b", "c", "d"};
  for (int i = 0; i < 4; ++i) CHECK(waiters[i].ReadReply() == Pair("q", expected[i]));
}

TEST_CASE("BLPOP waits on several keys and takes the first that gets data") {
  STASH_FOR_EACH_SERVER(kind);
  ControlledServerFixture f(kind, 4);
  RespClient waiter = f.ConnectBlocked({"BRPOP", "k1", "k2", "k3", "0"});
  CHECK(f.control().Call({"RPUSH", "k3", "x", "y"}) == ":2\r\n");
  CHECK(waiter.ReadReply() == Pair("k3", "y"));
  CHECK(f.control().Call({"LRANGE", "k3", "0", "-1"}) == "*1\r\n" + Bulk("x"));
}

TEST_CASE("BLPOP and BLMOVE time out with a null array") {
  STASH_FOR_EACH_SERVER(kind);
  ControlledServerFixture f(kind, 4);
  RespClient waiter = f.Connect();
  CHECK(waiter.Call({"BLPOP", "nothing", "0.01"}) == "*-1\r\n");
  CHECK(waiter.Call({"BLMOVE", "nothing", "dst", "LEFT", "RIGHT", "0.01"}) == "*-1\r\n");
  CHECK(waiter.Call({"HELLO", "3"}).substr(0, 1) == "%");
  CHECK(waiter.Call({"BLPOP", "nothing", "0.01"}) == "_\r\n");
}

TEST_CASE("a push inside MULTI/EXEC wakes a blocked client") {
  STASH_FOR_EACH_SERVER(kind);
  ControlledServerFixture f(kind, 4);
  RespClient waiter = f.ConnectBlocked({"BLPOP", "q", "0"});
  RespClient& c = f.control();
  CHECK(c.Call({"MULTI"}) == "+OK\r\n");
  CHECK(c.Call({"LPUSH", "q", "from-exec"}) == "+QUEUED\r\n");
  CHECK(c.Call({"EXEC"}) == "*1\r\n:1\r\n");
  CHECK(waiter.ReadReply() == Pair("q", "from-exec"));
}

TEST_CASE("BLPOP inside MULTI/EXEC does not block") {
  STASH_FOR_EACH_SERVER(kind);
  ControlledServerFixture f(kind, 4);
  RespClient& c = f.control();
  CHECK(c.Call({"MULTI"}) == "+OK\r\n");
  CHECK(c.Call({"BLPOP", "q", "0"}) == "+QUEUED\r\n");
  CHECK(c.Call({"EXEC"}) == "*1\r\n*-1\r\n");
  // BLMOVE in a transaction answers a null bulk instead.
  CHECK(c.Call({"MULTI"}) == "+OK\r\n");
  CHECK(c.Call({"BLMOVE", "q", "d", "LEFT", "LEFT", "0"}) == "+QUEUED\r\n");
  CHECK(c.Call({"EXEC"}) == "*1\r\n$-1\r\n");
}

TEST_CASE("CLIENT UNBLOCK wakes a blocked client with a timeout or an error") {
  STASH_FOR_EACH_SERVER(kind);
  ControlledServerFixture f(kind, 4);
  RespClient waiter = f.Connect();
  std::string id = ClientId(waiter);
  REQUIRE(waiter.SendCommand({"BLPOP", "q", "0"}));
  f.WaitBlocked(1);
  CHECK(f.control().Call({"CLIENT", "UNBLOCK", id}) == ":1\r\n");
  CHECK(waiter.ReadReply() == "*-1\r\n");
  REQUIRE(waiter.SendCommand({"BLPOP", "q", "0"}));
  f.WaitBlocked(1);
  CHECK(f.control().Call({"CLIENT", "UNBLOCK", id, "ERROR"}) == ":1\r\n");
  CHECK(waiter.ReadReply() == "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
  CHECK(f.control().Call({"CLIENT", "UNBLOCK", id}) == ":0\r\n");
}

TEST_CASE("a client that disconnects while blocked is never served") {
  STASH_FOR_EACH_SERVER(kind);
  ControlledServerFixture f(kind, 4);
  RespClient gone = f.ConnectBlocked({"BLPOP", "q", "0"});
  RespClient stays = f.ConnectBlocked({"BLPOP", "q", "0"}, 2);
  gone.Close();
  f.WaitBlocked(1);
  CHECK(f.control().Call({"RPUSH", "q", "only"}) == ":1\r\n");
  CHECK(stays.ReadReply() == Pair("q", "only"));
}

TEST_CASE("BLMOVE moves the element once the source gets one") {
  STASH_FOR_EACH_SERVER(kind);
  ControlledServerFixture f(kind, 4);
  RespClient waiter = f.ConnectBlocked({"BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"});
  CHECK(f.control().Call({"RPUSH", "src", "v1", "v2"}) == ":2\r\n");
  CHECK(waiter.ReadReply() == Bulk("v1"));
  CHECK(f.control().Call({"LRANGE", "dst", "0", "-1"}) == "*1\r\n" + Bulk("v1"));
  CHECK(f.control().Call({"LRANGE", "src", "0", "-1"}) == "*1\r\n" + Bulk("v2"));
}

TEST_CASE("many blocked clients on several threads each get exactly one element") {
  STASH_FOR_EACH_SERVER(kind);
  ControlledServerFixture f(kind, 4);
  constexpr int kClients = 12;
  std::vector<RespClient> waiters;
  for (int i = 0; i < kClients; ++i) {
    waiters.push_back(f.Connect());
    REQUIRE(waiters.back().SendCommand({"BLPOP", "jobs", "0"}));
  }
  f.WaitBlocked(kClients);
  // Pushes from several connections at once, so wake-ups race on different threads.
  std::vector<std::thread> pushers;
  for (int p = 0; p < 3; ++p) {
    pushers.emplace_back([&f, p]() {
      RespClient c = f.Connect();
      for (int i = 0; i < kClients / 3; ++i) c.Call({"RPUSH", "jobs", std::to_string(p * 100 + i)});
    });
  }
  for (auto& t : pushers) t.join();
  std::set<std::string> got;
  for (auto& w : waiters) {
    auto reply = w.ReadReply();
    REQUIRE(reply.has_value());
    got.insert(*reply);
  }
  CHECK(got.size() == kClients);
  CHECK(f.control().Call({"LLEN", "jobs"}) == ":0\r\n");
}

TEST_CASE("BZPOPMIN is woken by ZADD from another client") {
  STASH_FOR_EACH_SERVER(kind);
  ControlledServerFixture f(kind, 4);
  RespClient waiter = f.ConnectBlocked({"BZPOPMIN", "board", "0"});
  CHECK(f.control().Call({"ZADD", "board", "5", "five", "2", "two"}) == ":2\r\n");
  CHECK(waiter.ReadReply() == "*3\r\n" + Bulk("board") + Bulk("two") + Bulk("2"));
  CHECK(f.control().Call({"ZCARD", "board"}) == ":1\r\n");
}

}  // namespace
}  // namespace stash::test
