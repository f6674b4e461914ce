// The near cache's coherence through server-assisted invalidation (CLIENT TRACKING, RESP3 push
// messages and the RESP2 __redis__:invalidate redirect) and cross-process invalidation events
// (Pub/Sub), against both servers (see the capability flags in client_test_util.h).
//
// "Within one round trip": after another client's write returns, Cache::SyncInvalidations()
// sends one PING on the invalidation connection; the server queued the invalidation before
// the PONG, so when the PONG is read the invalidation has been applied. No sleeps.
#include <doctest/doctest.h>

#include <string>

#include "client/cache.h"
#include "client_test_util.h"

namespace stash::test {
namespace {

void CheckCoherence(ServerKind kind, TrackingMode mode) {
  Server server(kind);
  int port = server.process.port();
  CacheConfig config = ConfigFor(port);
  config.near_cache = true;
  config.tracking_mode = mode;
  Cache cache(config);
  REQUIRE(Eventually([&] { return cache.near_cache_active(); }));
  RespClient other = Connected(port);

  std::string k = cache.Key("user", "1");
  REQUIRE(cache.Set(k, "v0"));
  for (int round = 1; round <= 50; ++round) {
    std::string expected = "v" + std::to_string(round - 1);
    CHECK(cache.Get(k) == expected);  // from the server, fills the near cache
    uint64_t near_before = cache.Stats().near_hits;
    CHECK(cache.Get(k) == expected);  // from the near cache
    CHECK(cache.Stats().near_hits == near_before + 1);
    std::string next = "v" + std::to_string(round);
    REQUIRE(other.Call({"SET", k, next}) == "+OK\r\n");  // another client's write
    REQUIRE(cache.SyncInvalidations());
    CHECK(cache.near_cache_size() == 0);
    CHECK(cache.Get(k) == next);  // never the old value once the invalidation arrived
    REQUIRE(other.Call({"SET", k, "v" + std::to_string(round)}) == "+OK\r\n");
    REQUIRE(cache.SyncInvalidations());
  }

  // Deletion, expiry set by others, and a flush all invalidate too.
  CHECK(cache.Get(k) == "v50");
  CHECK(other.Call({"DEL", k}) == ":1\r\n");
  REQUIRE(cache.SyncInvalidations());
  CHECK_FALSE(cache.Get(k));
  std::string k2 = cache.Key("user", "2");
  cache.Set(k2, "x");
  CHECK(cache.Get(k2) == "x");
  CHECK(cache.Get(k2) == "x");
  CHECK(cache.near_cache_size() == 1);
  CHECK(other.Call({"FLUSHALL"}) == "+OK\r\n");
  REQUIRE(cache.SyncInvalidations());
  CHECK(cache.near_cache_size() == 0);
  CHECK_FALSE(cache.Get(k2));
}

TEST_CASE("near cache: RESP3 tracking, another client's write invalidates within one round trip") {
  CLIENT_FOR_EACH_SERVER(kind, kNeedsTracking);
  CheckCoherence(kind, TrackingMode::kResp3);
}

TEST_CASE("near cache: RESP2 REDIRECT to __redis__:invalidate, the same guarantees") {
  CLIENT_FOR_EACH_SERVER(kind, kNeedsTracking | kNeedsPubSub);
  CheckCoherence(kind, TrackingMode::kResp2Redirect);
}

TEST_CASE("near cache: a server restart serves nothing stale and tracking resumes") {
  CLIENT_FOR_EACH_SERVER(kind, kNeedsTracking);
  Server server(kind);
  int port = server.process.port();
  CacheConfig config = ConfigFor(port);
  config.near_cache = true;
  Cache cache(config);
  REQUIRE(Eventually([&] { return cache.near_cache_active(); }));
  std::string k = cache.Key("user", "1");
  cache.Set(k, "before");
  CHECK(cache.Get(k) == "before");
  CHECK(cache.Get(k) == "before");
  CHECK(cache.near_cache_size() == 1);

  server.process.Stop();
  // Invalidations can no longer arrive: the near cache switches off and forgets.
  REQUIRE(Eventually([&] { return !cache.near_cache_active(); }));
  CHECK(cache.near_cache_size() == 0);
  std::string error;
  REQUIRE_MESSAGE(server.process.Restart(&error), error);
  RespClient other = Connected(port);
  REQUIRE(other.Call({"SET", k, "after"}) == "+OK\r\n");
  CHECK(cache.Get(k) == "after");

  REQUIRE(Eventually([&] { return cache.near_cache_active(); }));
  CHECK(cache.Get(k) == "after");
  CHECK(cache.Get(k) == "after");
  CHECK(cache.near_cache_size() == 1);
  REQUIRE(other.Call({"SET", k, "newer"}) == "+OK\r\n");
  REQUIRE(cache.SyncInvalidations());
  CHECK(cache.Get(k) == "newer");
}

TEST_CASE("events: an invalidation published by one process drops entries in another") {
  CLIENT_FOR_EACH_SERVER(kind, kNeedsTracking | kNeedsPubSub);
  Server server(kind);
  int port = server.process.port();
  CacheConfig a_config = ConfigFor(port);
  a_config.near_cache = true;
  a_config.invalidation_events = true;
  Cache a(a_config);
  CacheConfig b_config = ConfigFor(port);
  b_config.invalidation_events = true;
  Cache b(b_config);
  REQUIRE(Eventually([&] { return a.near_cache_active(); }));

  std::string u1 = a.Key("user", "1"), u2 = a.Key("user", "2"), p1 = a.Key("pickup", "1");
  for (const std::string& k : {u1, u2, p1}) {
    a.Set(k, "v");
    CHECK(a.Get(k) == "v");
  }
  CHECK(a.near_cache_size() == 3);
  // The server's values do not change, so tracking stays silent: only the event can do this.
  CHECK(b.PublishInvalidation(Cache::EventKind::kNamespace, "user"));
  REQUIRE(a.SyncInvalidations());
  CHECK(a.near_cache_size() == 1);
  CHECK(b.PublishInvalidation(Cache::EventKind::kKey, p1));
  REQUIRE(a.SyncInvalidations());
  CHECK(a.near_cache_size() == 0);

  // invalidate_namespace publishes on its own when events are on.
  CHECK(a.Get(u1) == "v");
  CHECK(b.InvalidateNamespace("user") == 2);
  REQUIRE(a.SyncInvalidations());
  CHECK(a.near_cache_size() == 0);
  CHECK_FALSE(a.Get(u1));
}

TEST_CASE("near cache on a server that refuses CLIENT TRACKING stays off and says so once") {
  // An ACL rule makes redis-server refuse CLIENT TRACKING (as a server without tracking would):
  // the client must notice and keep working without a near cache, instead of serving values
  // nobody invalidates.
  Server server(ServerKind::kRedis);
  int port = server.process.port();
  RespClient other = Connected(port);
  REQUIRE(other.Call({"ACL", "SETUSER", "default", "-client|tracking"}) == "+OK\r\n");
  LogCapture log;
  CacheConfig config = ConfigFor(port, &log);
  config.near_cache = true;
  Cache cache(config);
  std::string k = cache.Key("user", "1");
  REQUIRE(Eventually([&] { return log.Count("refused CLIENT TRACKING") == 1; }));
  for (int i = 0; i < 5; ++i) {
    REQUIRE(other.Call({"SET", k, "v" + std::to_string(i)}) == "+OK\r\n");
    CHECK(cache.Get(k) == "v" + std::to_string(i));
    CHECK(cache.Get(k) == "v" + std::to_string(i));
  }
  CHECK_FALSE(cache.near_cache_active());
  CHECK(cache.Stats().near_hits == 0);
  CHECK(log.Count("refused CLIENT TRACKING") == 1);
}

}  // namespace
}  // namespace stash::test
