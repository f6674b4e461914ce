// One server for one test case: stash-server on a chosen number of worker threads (the tests of
// busy scripts need one thread, those of atomicity several), or redis-server, which has one and
// takes no such flag; plus clients connected to it with a generous reply timeout. Also the
// fixture of tests where clients block or subscribe, with a control client of the test's own.
#ifndef STASH_TESTS_HARNESS_SERVER_FIXTURE_H_
#define STASH_TESTS_HARNESS_SERVER_FIXTURE_H_

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "resp_client.h"
#include "server_process.h"

namespace stash::test {

class ServerFixture {
 public:
  ServerFixture(ServerKind kind, int stash_threads, std::vector<std::string> extra = {})
      : server_(kind, WithThreads(kind, stash_threads, std::move(extra))) {
    std::string error;
    REQUIRE_MESSAGE(server_.Start(&error), error);
  }
  RespClient Connect() {
    RespClient c;
    REQUIRE_MESSAGE(c.Connect(server_.port()), c.last_error());
    c.set_timeout(std::chrono::seconds(20));
    return c;
  }
  ServerProcess& server() { return server_; }

 private:
  static std::vector<std::string> WithThreads(ServerKind kind, int threads,
                                              std::vector<std::string> extra) {
    if (kind == ServerKind::kStash) {
      extra.insert(extra.begin(), {"--threads", std::to_string(threads)});
    }
    return extra;
  }
  ServerProcess server_;
};

// Polls INFO clients on c until exactly n clients are blocked; fails the test if that does not
// happen within a generous deadline.
inline void WaitBlockedClients(RespClient& c, int n) {
  std::string want = "blocked_clients:" + std::to_string(n) + "\r\n";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (c.Call({"INFO", "clients"}).find(want) != std::string::npos) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  FAIL("never saw " << want);
}

// The client id of c, as CLIENT ID reports it.
inline std::string ClientId(RespClient& c) {
  std::string reply = c.Call({"CLIENT", "ID"});
  REQUIRE(reply.size() > 3);
  return reply.substr(1, reply.size() - 3);
}

// A ServerFixture with a client connected from the start, control(): for tests where other
// clients block or subscribe while the test drives and observes the server through a connection
// of its own.
class ControlledServerFixture : public ServerFixture {
 public:
  ControlledServerFixture(ServerKind kind, int stash_threads, std::vector<std::string> extra = {})
      : ServerFixture(kind, stash_threads, std::move(extra)), control_(Connect()) {}
  RespClient& control() { return control_; }
  // Waits until exactly n clients are blocked, as the control client sees it.
  void WaitBlocked(int n) { WaitBlockedClients(control_, n); }
  // Connects a client, sends it `command` (one that blocks) and waits until it is blocked, which
  // makes `blocked` clients blocked in all.
  RespClient ConnectBlocked(const std::vector<std::string>& command, int blocked = 1) {
    RespClient c = Connect();
    REQUIRE(c.SendCommand(command));
    WaitBlocked(blocked);
    return c;
  }

 private:
  RespClient control_;
};

}  // namespace stash::test

#endif  // STASH_TESTS_HARNESS_SERVER_FIXTURE_H_
