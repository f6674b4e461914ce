// What the tests of busy scripts share: the BUSY replies, waiting until a script is busy, a
// library whose function spins for ever, and a fixture with a client to run the script and
// another to talk to the server meanwhile.
#ifndef STASH_TESTS_HARNESS_BUSY_SCRIPT_H_
#define STASH_TESTS_HARNESS_BUSY_SCRIPT_H_

#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "resp_client.h"
#include "server_fixture.h"
#include "server_process.h"

namespace stash::test {

inline constexpr const char* kBusyEval =
    "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";
inline constexpr const char* kBusyFunction =
    "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN "
    "NOSAVE.\r\n";

// For FUNCTION LOAD: library "busy", whose function spin() never returns.
inline constexpr const char* kSpinLibrary =
    "#!lua name=busy\nredis.register_function('spin', function() while true do end end)";

// Polls PING on c until it answers BUSY; any other answer than PONG meanwhile fails the test,
// and so does a server that is not busy within a generous deadline.
inline void WaitBusy(RespClient& c) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string reply = c.Call({"PING"});
    if (reply.rfind("-BUSY", 0) == 0) return;
    REQUIRE(reply == "+PONG\r\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  FAIL("the server never answered BUSY");
}

// A server on `threads` worker threads whose busy-reply-threshold (set with CONFIG SET under
// the name given, so aliases can be tested too) is `threshold_ms`; `runner` runs the busy
// script and `other` talks to the server meanwhile. With several threads, consecutive
// connections land on different workers.
class BusyScriptFixture : public ServerFixture {
 public:
  BusyScriptFixture(ServerKind kind, int threads, const char* threshold_ms = "100",
                    const char* threshold_directive = "busy-reply-threshold")
      : ServerFixture(kind, threads), runner(Connect()), other(Connect()) {
    REQUIRE(other.Call({"CONFIG", "SET", threshold_directive, threshold_ms}) == "+OK\r\n");
  }

  // Sends `command` on runner, and waits until the script it runs makes other get BUSY.
  void RunBusy(const std::vector<std::string>& command) {
    REQUIRE(runner.SendCommand(command));
    WaitBusy(other);
  }

  // The reply runner gets at last (to the command of RunBusy, once it is killed).
  std::string RunnerReply() {
    std::optional<std::string> reply = runner.ReadReply();
    REQUIRE_MESSAGE(reply.has_value(), runner.last_error());
    return *reply;
  }

  RespClient runner;
  RespClient other;
};

}  // namespace stash::test

#endif  // STASH_TESTS_HARNESS_BUSY_SCRIPT_H_
