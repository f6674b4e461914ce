// One server for one test case: stash-server on a chosen number of worker threads (the tests of
// busy scripts need one thread, those of atomicity several), or redis-server, which has one and
// takes no such flag; plus clients connected to it with a generous reply timeout.
#ifndef STASH_TESTS_HARNESS_SERVER_FIXTURE_H_
#define STASH_TESTS_HARNESS_SERVER_FIXTURE_H_

#include <doctest/doctest.h>

#include <chrono>
#include <string>
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

}  // namespace stash::test

#endif  // STASH_TESTS_HARNESS_SERVER_FIXTURE_H_
