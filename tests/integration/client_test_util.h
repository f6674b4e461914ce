// Shared by the cache client's integration tests (client_test.cc, client_tracking_test.cc).
#ifndef STASH_TESTS_INTEGRATION_CLIENT_TEST_UTIL_H_
#define STASH_TESTS_INTEGRATION_CLIENT_TEST_UTIL_H_

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/cache.h"
#include "resp_client.h"
#include "server_process.h"

namespace stash::test {

// ---- Capabilities of stash-server. Both arrived with branch `pubsub` (issue 5's server side);
// setting one to false runs the cases needing it against redis-server only.
constexpr bool kStashHasPubSub = true;
constexpr bool kStashHasClientTracking = true;

enum Needs : int { kNeedsNothing = 0, kNeedsPubSub = 1, kNeedsTracking = 2 };

inline bool StashHas(int needs) {
  return (!(needs & kNeedsPubSub) || kStashHasPubSub) &&
         (!(needs & kNeedsTracking) || kStashHasClientTracking);
}

// Runs the enclosing test case once per server that has what it needs.
#define CLIENT_FOR_EACH_SERVER(kind, needs)                 \
  ServerKind kind = ServerKind::kRedis;                     \
  if (StashHas(needs)) {                                    \
    SUBCASE("stash-server") { kind = ServerKind::kStash; }  \
  }                                                         \
  SUBCASE("redis-server") { kind = ServerKind::kRedis; }

using std::chrono::milliseconds;

struct Server {
  explicit Server(ServerKind kind) : process(kind) {
    std::string error;
    REQUIRE_MESSAGE(process.Start(&error), error);
  }
  ServerProcess process;
};

// Log lines a Cache wrote, for "logged once per state change" checks.
struct LogCapture {
  std::mutex mu;
  std::vector<std::string> lines;
  Logger logger() {
    return [this](LogLevel, const std::string& m) {
      std::lock_guard<std::mutex> lock(mu);
      lines.push_back(m);
    };
  }
  size_t Count(const std::string& needle) {
    std::lock_guard<std::mutex> lock(mu);
    size_t n = 0;
    for (const std::string& l : lines) n += l.find(needle) != std::string::npos ? 1 : 0;
    return n;
  }
};

inline CacheConfig ConfigFor(int port, LogCapture* log = nullptr) {
  CacheConfig c;
  c.port = port;
  c.pool_max_connections = 4;
  c.pool_timeout = milliseconds(5000);
  c.connect_timeout = milliseconds(2000);
  c.socket_timeout = milliseconds(5000);
  c.logger = log ? log->logger() : [](LogLevel, const std::string&) {};
  return c;
}

inline RespClient Connected(int port) {
  RespClient c;
  REQUIRE(c.Connect(port));
  return c;
}

// Polls a condition with a generous deadline (a condition wait, not a sleep as sync).
inline bool Eventually(const std::function<bool()>& condition) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return condition();
}

}  // namespace stash::test

#endif  // STASH_TESTS_INTEGRATION_CLIENT_TEST_UTIL_H_
