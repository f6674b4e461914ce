// The cache client against live servers: the same suite against stash-server and against
// redis-server, plus fault tests (restart, a server that never answers, an exhausted pool).
//
// Cases that need Pub/Sub or client tracking are in client_tracking_test.cc; the capability
// flags in client_test_util.h say which servers run them.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/cache.h"
#include "client/pool.h"
#include "client_test_util.h"

namespace stash::test {
namespace {

TEST_CASE("client: operations, TTLs, compression and plain bytes on the wire") {
  CLIENT_FOR_EACH_SERVER(kind, kNeedsNothing);
  Server server(kind);
  int port = server.process.port();
  CacheConfig config = ConfigFor(port);
  config.compression = true;
  config.compression_threshold = 256;
  Cache cache(config);
  RespClient other = Connected(port);

  std::string user = cache.Key("user", "7");
  CHECK_FALSE(cache.Get(user));
  CHECK(cache.Set(user, "alice"));
  CHECK(cache.Get(user) == "alice");
  CHECK(other.Call({"GET", user}) == "$5\r\nalice\r\n");  // other clients read plain bytes
  CHECK(other.Call({"TTL", user}) == ":3600\r\n");         // the user namespace's TTL
  std::string misc = cache.Key("misc", "1");
  cache.Set(misc, "x");
  CHECK(other.Call({"TTL", misc}) == ":300\r\n");  // the default
  cache.Set(misc, "x", milliseconds(42000));
  CHECK(other.Call({"TTL", misc}) == ":42\r\n");  // the call's
  CHECK(cache.TtlOf(misc) > milliseconds(40000));
  CHECK(cache.TtlOf(cache.Key("misc", "none")) == milliseconds(-2));
  CHECK_FALSE(cache.SetIfAbsent(user, "bob"));
  CHECK(cache.SetIfAbsent(cache.Key("user", "8"), "bob"));
  CHECK(cache.Exists(cache.Key("user", "8")));
  CHECK(cache.Delete(cache.Key("user", "8")));
  CHECK_FALSE(cache.Delete(cache.Key("user", "8")));

  std::vector<std::pair<std::string, std::string>> items;
  std::vector<std::string> keys;
  for (int i = 0; i < 50; ++i) {
    items.emplace_back(cache.Key("pickup", std::to_string(i)), "p" + std::to_string(i));
    keys.push_back(items.back().first);
  }
  keys.push_back(cache.Key("pickup", "missing"));
  CHECK(cache.SetMany(items));
  std::vector<std::optional<std::string>> got = cache.GetMany(keys);
  REQUIRE(got.size() == 51);
  CHECK(got[0] == "p0");
  CHECK(got[49] == "p49");
  CHECK_FALSE(got[50]);
  CHECK(other.Call({"TTL", keys[3]}) == ":300\r\n");  // pickup's TTL
  CHECK(cache.Delete(std::vector<std::string>(keys.begin(), keys.begin() + 10)) == 10);

  std::string big(5000, 'z');
  std::string doc = cache.Key("general", "doc");
  cache.Set(doc, big);
  std::string raw = other.Call({"GET", doc});
  CHECK(raw.size() < 200);                                 // compressed on the server
  CHECK(raw.find(std::string("\0\x01zs", 4)) != std::string::npos);  // and marked
  CHECK(cache.Get(doc) == big);
  CHECK(cache.Stats().errors == 0);
}

TEST_CASE("client: delete_pattern, invalidate_namespace and clear use SCAN + UNLINK") {
  CLIENT_FOR_EACH_SERVER(kind, kNeedsNothing);
  Server server(kind);
  int port = server.process.port();
  Cache cache(ConfigFor(port));
  RespClient other = Connected(port);
  std::vector<std::pair<std::string, std::string>> items;
  for (int i = 0; i < 1200; ++i) items.emplace_back(cache.Key("user", std::to_string(i)), "u");
  for (int i = 0; i < 10; ++i) items.emplace_back(cache.Key("pickup", std::to_string(i)), "p");
  for (int i = 0; i < 5; ++i) items.emplace_back(cache.Key("company", "c" + std::to_string(i)), "c");
  REQUIRE(cache.SetMany(items));
  CHECK(other.Call({"SET", "other:1", "kept"}) == "+OK\r\n");

  CHECK(cache.CountNamespaceKeys("user") == 1200);
  CHECK(cache.InvalidateNamespace("user") == 1200);
  CHECK(cache.CountNamespaceKeys("user") == 0);
  CHECK(cache.DeletePattern("cache:company:c[0-2]") == 3);
  CHECK(cache.InvalidateNamespaces({"pickup", "company"}) == 12);
  cache.Set(cache.Key("general", "x"), "1");
  CHECK(cache.Clear() == 1);
  CHECK(other.Call({"GET", "other:1"}) == "$4\r\nkept\r\n");  // not ours: kept
  CHECK(cache.Clear(/*flush_database=*/true) == 1);
  CHECK(other.Call({"DBSIZE"}) == ":0\r\n");

  std::string stats = other.Call({"INFO", "commandstats"});
  CHECK(stats.find("cmdstat_scan:") != std::string::npos);
  CHECK(stats.find("cmdstat_unlink:") != std::string::npos);
  CHECK(stats.find("cmdstat_keys:") == std::string::npos);  // never KEYS
}

TEST_CASE("client: cached() single flight across threads, early refresh, invalidating()") {
  CLIENT_FOR_EACH_SERVER(kind, kNeedsNothing);
  Server server(kind);
  int port = server.process.port();
  CacheConfig config = ConfigFor(port);
  config.pool_max_connections = 8;
  Cache cache(config);
  RespClient other = Connected(port);

  std::atomic<int> calls{0};
  auto lookup = cache.Cached("company", std::nullopt, [&](int64_t id, const std::string& lang) {
    ++calls;
    return "company " + std::to_string(id) + " (" + lang + ")";
  }, {.name = "lookup"});
  constexpr int kThreads = 16;
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  std::vector<std::string> results(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (ready.load() < kThreads) std::this_thread::yield();
      results[i] = lookup(int64_t{9}, std::string("en"));
    });
  }
  for (auto& t : threads) t.join();
  for (const std::string& r : results) CHECK(r == "company 9 (en)");
  CHECK(calls == 1);
  std::string key = cache.Key("company", "lookup", {{"0", "9"}, {"1", "en"}});
  CHECK(other.Call({"TTL", key}) == ":7200\r\n");

  // Early refresh: a hit with less TTL left than refresh_ahead is recomputed once.
  std::atomic<int> refreshes{0};
  auto hot = cache.Cached("general", milliseconds(60000), [&](int64_t x) {
    ++refreshes;
    return x * 2;
  }, {.name = "hot", .refresh_ahead = milliseconds(10000)});
  CHECK(hot(int64_t{5}) == 10);
  CHECK(hot(int64_t{5}) == 10);
  CHECK(refreshes == 1);
  std::string hot_key = cache.Key("general", "hot", {{"0", "5"}});
  CHECK(other.Call({"PEXPIRE", hot_key, "5000"}) == ":1\r\n");  // now close to expiring
  CHECK(hot(int64_t{5}) == 10);
  CHECK(refreshes == 2);
  CHECK(other.Call({"TTL", hot_key}) == ":60\r\n");  // refreshed for a full TTL

  auto rename = cache.Invalidating({"company"}, [](int64_t) { return true; });
  CHECK(rename(int64_t{9}));
  CHECK(other.Call({"EXISTS", key}) == ":0\r\n");
  CHECK(lookup(int64_t{9}, std::string("en")) == "company 9 (en)");
  CHECK(calls == 2);
}

TEST_CASE("client: statistics, INFO figures and keys per namespace") {
  CLIENT_FOR_EACH_SERVER(kind, kNeedsNothing);
  Server server(kind);
  Cache cache(ConfigFor(server.process.port()));
  for (int i = 0; i < 3; ++i) cache.Set(cache.Key("user", std::to_string(i)), "v");
  cache.Set(cache.Key("pickup", "1"), "v");
  ServerStats before = cache.ServerInfo();
  CHECK(cache.Get(cache.Key("user", "1")) == "v");
  CHECK_FALSE(cache.Get(cache.Key("user", "99")));
  ServerStats after = cache.ServerInfo();
  CHECK(after.keyspace_hits == before.keyspace_hits + 1);
  CHECK(after.keyspace_misses == before.keyspace_misses + 1);
  CHECK(after.used_memory > 0);
  CHECK(after.connected_clients >= 1);
  CHECK(after.keys_per_db[0] == 4);
  CHECK(cache.CountNamespaceKeys("user") == 3);
  CHECK(cache.CountNamespaceKeys("pickup") == 1);
  CacheStats s = cache.Stats();
  CHECK(s.hits == 1);
  CHECK(s.misses == 1);
  CHECK(s.hit_rate == doctest::Approx(0.5));
  CHECK(s.errors == 0);
  CHECK(s.fallbacks == 0);
  CHECK(s.latency.at("set").count == 4);
  CHECK(s.latency.at("get").count == 2);
  CHECK(s.latency.at("get").p99_us > 0);
}

TEST_CASE("client: stash-cachestat and the examples run against a live server") {
  CLIENT_FOR_EACH_SERVER(kind, kNeedsNothing);
  Server server(kind);
  int port = server.process.port();
  std::string url = "redis://127.0.0.1:" + std::to_string(port) + "/0";
  {
    Cache cache(ConfigFor(port));
    cache.Set(cache.Key("user", "1"), "a");
    cache.Set(cache.Key("user", "2"), "b");
  }
  ProgramResult stat = RunProgram({STASH_CACHESTAT_PATH, "--url", url, "-n", "user", "-n",
                                   "pickup"}, "", std::chrono::seconds(30));
  CHECK(stat.exit_code == 0);
  CHECK(stat.output.find("used_memory") != std::string::npos);
  CHECK(stat.output.find("db0               2 keys") != std::string::npos);
  CHECK(stat.output.find("user             2") != std::string::npos);
  CHECK(stat.output.find("pickup           0") != std::string::npos);
  ProgramResult bad = RunProgram({STASH_CACHESTAT_PATH, "--url", "rediss://x:1"}, "",
                                 std::chrono::seconds(30));
  CHECK(bad.exit_code == 1);
  CHECK(bad.output.find("TLS") != std::string::npos);

  ::setenv("REDIS_URL", url.c_str(), 1);
  for (const char* example : {STASH_EXAMPLE_EXPENSIVE_LOOKUP, STASH_EXAMPLE_PER_USER_KEYS,
                              STASH_EXAMPLE_INVALIDATE_NAMESPACE}) {
    ProgramResult r = RunProgram({example}, "", std::chrono::seconds(30));
    CHECK_MESSAGE(r.exit_code == 0, example, "\n", r.output);
  }
  ::unsetenv("REDIS_URL");
}

TEST_CASE("client fault: server stopped and restarted mid-run") {
  CLIENT_FOR_EACH_SERVER(kind, kNeedsNothing);
  Server server(kind);
  int port = server.process.port();
  LogCapture log;
  CacheConfig config = ConfigFor(port, &log);
  config.breaker_failure_threshold = 2;
  config.breaker_recovery = milliseconds(30000);
  auto now = std::chrono::steady_clock::time_point{};
  CacheHooks hooks;
  hooks.breaker_clock = [&] { return now; };
  Cache cache(config, hooks);
  std::string k1 = cache.Key("user", "1"), k2 = cache.Key("user", "2");

  REQUIRE(cache.Set(k1, "before"));
  REQUIRE(cache.Get(k1) == "before");
  server.process.Stop();

  // The application sees no exception: misses and the fallback.
  std::optional<std::string> v;
  CHECK_NOTHROW(v = cache.Get(k1));
  CHECK_FALSE(v);  // not in the fallback; nothing stale
  CHECK_NOTHROW(cache.Set(k2, "during-outage"));
  CHECK(cache.breaker_state() == CircuitBreaker::State::kOpen);
  CHECK(cache.health() == Cache::Health::kFailing);
  CHECK(cache.Get(k2) == "during-outage");  // served by the fallback meanwhile
  CHECK_NOTHROW(cache.InvalidateNamespace("pickup"));
  for (int i = 0; i < 20; ++i) CHECK_NOTHROW(cache.Get(k1));
  CHECK(log.Count("call failed") == 1);  // once per state change, not per call
  CHECK(log.Count("circuit breaker open") == 1);
  CacheStats s = cache.Stats();
  CHECK(s.errors == 2);  // the two calls that reached for the server before the breaker opened
  CHECK(s.fallbacks >= 24);

  std::string error;
  REQUIRE_MESSAGE(server.process.Restart(&error), error);
  RespClient other = Connected(port);
  CHECK(other.Call({"SET", k1, "after-restart"}) == "+OK\r\n");

  now += milliseconds(30000);  // recovery time passes: the next call is the probe
  CHECK(cache.Get(k1) == "after-restart");
  CHECK(cache.breaker_state() == CircuitBreaker::State::kClosed);
  CHECK(cache.health() == Cache::Health::kHealthy);
  CHECK_FALSE(cache.Get(k2));  // the fallback's value is not served as the shared cache's
  CHECK(cache.fallback_size() == 0);
  CHECK(log.Count("reachable again") == 1);
  CHECK(cache.Set(k2, "shared"));
  CHECK(other.Call({"GET", k2}) == "$6\r\nshared\r\n");
}

TEST_CASE("client: password authentication, and a wrong password said once, not thrown") {
  CLIENT_FOR_EACH_SERVER(kind, kNeedsNothing);
  Server server(kind);
  int port = server.process.port();
  {
    RespClient admin = Connected(port);
    REQUIRE(admin.Call({"CONFIG", "SET", "requirepass", "s3cret"}) == "+OK\r\n");
  }
  {
    CacheConfig config = CacheConfig::FromEnvironment([&](const char* name) -> const char* {
      static std::string url;
      url = "redis://:s3cret@127.0.0.1:" + std::to_string(port) + "/2";
      return std::string(name) == "REDIS_URL" ? url.c_str() : nullptr;
    });
    config.logger = [](LogLevel, const std::string&) {};
    Cache cache(config);
    CHECK(cache.Set(cache.Key("user", "1"), "in-db-2"));
    CHECK(cache.Get(cache.Key("user", "1")) == "in-db-2");
    CHECK(cache.ServerInfo().keys_per_db[2] == 1);
    CHECK(cache.Stats().errors == 0);
  }
  LogCapture log;
  CacheConfig config = ConfigFor(port, &log);
  config.password = "wrong";
  Cache cache(config);
  for (int i = 0; i < 5; ++i) CHECK_NOTHROW(CHECK_FALSE(cache.Get(cache.Key("user", "1"))));
  CHECK(cache.Stats().errors == 5);
  CHECK(log.Count("refused") == 1);
  config.strict = true;
  Cache strict(config);
  CHECK_THROWS_AS(strict.Get(cache.Key("user", "1")), ServerError);
}

// A server that accepts connections (the kernel completes the handshake) and never answers.
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(::listen(fd_, 64) == 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_CASE("client fault: a server that never answers times out and trips the breaker") {
  SilentServer silent;
  LogCapture log;
  CacheConfig config = ConfigFor(silent.port(), &log);
  config.socket_timeout = milliseconds(100);
  config.breaker_failure_threshold = 3;
  auto now = std::chrono::steady_clock::time_point{};
  CacheHooks hooks;
  hooks.breaker_clock = [&] { return now; };

  SUBCASE("lenient: misses, then the fallback without touching the server") {
    Cache cache(config, hooks);
    for (int i = 0; i < 3; ++i) CHECK_FALSE(cache.Get("cache:user:1"));
    CHECK(cache.breaker_state() == CircuitBreaker::State::kOpen);
    CHECK(cache.Stats().errors == 3);
    for (int i = 0; i < 10; ++i) CHECK_FALSE(cache.Get("cache:user:1"));
    CHECK(cache.Stats().errors == 3);  // open: the server was not tried again
    CHECK(cache.Stats().misses == 13);
    now += config.breaker_recovery;
    CHECK_FALSE(cache.Get("cache:user:1"));  // the half-open probe, which times out too
    CHECK(cache.Stats().errors == 4);
    CHECK(cache.breaker_state() == CircuitBreaker::State::kOpen);
    CHECK(log.Count("timed out") == 1);
  }
  SUBCASE("strict: the timeout and then the open breaker reach the caller") {
    config.strict = true;
    Cache cache(config, hooks);
    for (int i = 0; i < 3; ++i) {
      CHECK_THROWS_WITH_AS(cache.Get("cache:user:1"), doctest::Contains("timed out"),
                           ConnectionError);
    }
    CHECK_THROWS_AS(cache.Get("cache:user:1"), CircuitOpenError);
  }
}

TEST_CASE("client fault: an exhausted pool waits, then fails with a clear error") {
  CLIENT_FOR_EACH_SERVER(kind, kNeedsNothing);
  Server server(kind);
  ConnectionOptions options;
  options.port = server.process.port();
  ConnectionPool pool(options, 1, milliseconds(200));
  {
    ConnectionPool::Lease held = pool.Acquire();
    CHECK_THROWS_WITH_AS(pool.Acquire(), doctest::Contains("connection pool exhausted"),
                         PoolTimeoutError);
    // A waiter gets the connection once it comes back.
    ConnectionPool patient(options, 1, milliseconds(10000));
    auto first = std::make_unique<ConnectionPool::Lease>(patient.Acquire());
    std::atomic<bool> got{false};
    std::thread waiter([&] {
      ConnectionPool::Lease l = patient.Acquire();
      got = l->Call({"PING"}).str == "PONG";
    });
    first.reset();
    waiter.join();
    CHECK(got);
  }
  CHECK(pool.Acquire()->Call({"PING"}).str == "PONG");
  CHECK(pool.open_connections() == 1);
}

}  // namespace
}  // namespace stash::test
