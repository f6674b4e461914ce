// Runs the rest of a doctest TEST_CASE once against stash-server and once against the reference
// redis-server: integration tests state behaviour Redis clients rely on, so the same
// expectations must hold for both.
#ifndef STASH_TESTS_HARNESS_FOR_EACH_SERVER_H_
#define STASH_TESTS_HARNESS_FOR_EACH_SERVER_H_

#include <doctest/doctest.h>

#include "server_process.h"

#define STASH_FOR_EACH_SERVER(kind)                      \
  ServerKind kind = ServerKind::kStash;                  \
  SUBCASE("stash-server") { kind = ServerKind::kStash; } \
  SUBCASE("redis-server (reference)") { kind = ServerKind::kRedis; }

#endif  // STASH_TESTS_HARNESS_FOR_EACH_SERVER_H_
