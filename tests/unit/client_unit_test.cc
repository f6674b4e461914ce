// Unit tests of the cache client's parts, and of the Cache itself on its embedded engine (the
// in-process fallback that serves while the cache is disabled or the server is away).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "client/cache.h"
#include "client/circuit_breaker.h"
#include "client/config.h"
#include "client/fallback_store.h"
#include "client/keys.h"
#include "client/near_cache.h"
#include "client/single_flight.h"
#include "client/stats.h"
#include "client/value_encoding.h"
#include "protocol/reply_parser.h"

namespace stash {
namespace {

using protocol::Reply;
using protocol::ReplyParser;
using protocol::ReplyStatus;
using std::chrono::milliseconds;

Reply ParseAll(std::string_view bytes) {
  ReplyParser p;
  Reply r;
  REQUIRE(p.Parse(bytes.data(), bytes.size(), &r) == ReplyStatus::kComplete);
  CHECK(p.consumed() == bytes.size());
  return r;
}

TEST_CASE("reply parser: RESP2 and RESP3 types, partial input, errors") {
  CHECK(ParseAll("+OK\r\n").str == "OK");
  CHECK(ParseAll("-ERR no\r\n").is_error());
  CHECK(ParseAll(":-42\r\n").integer == -42);
  CHECK(ParseAll("$3\r\na\r\n\r\n").str == "a\r\n");
  CHECK(ParseAll("$-1\r\n").is_null());
  CHECK(ParseAll("*-1\r\n").is_null());
  CHECK(ParseAll("_\r\n").is_null());
  CHECK(ParseAll(",1.5\r\n").number == 1.5);
  CHECK(ParseAll("#t\r\n").integer == 1);
  CHECK(ParseAll("=8\r\ntxt:abcd\r\n").str == "abcd");
  Reply push = ParseAll(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n");
  CHECK(push.type == Reply::Type::kPush);
  REQUIRE(push.elems.size() == 2);
  CHECK(push.elems[1].elems[0].str == "k");
  Reply map = ParseAll("%1\r\n+a\r\n:1\r\n");
  CHECK(map.elems.size() == 2);
  // An attribute is skipped: the value is the reply after it.
  CHECK(ParseAll("|1\r\n+ttl\r\n:3\r\n:7\r\n").integer == 7);

  std::string whole = "*2\r\n$5\r\nhello\r\n:9\r\n";
  for (size_t cut = 0; cut < whole.size(); ++cut) {
    ReplyParser p;
    Reply r;
    CHECK(p.Parse(whole.data(), cut, &r) == ReplyStatus::kIncomplete);
  }
  ReplyParser p;
  Reply r;
  CHECK(p.Parse("$100\r\nab", 8, &r) == ReplyStatus::kIncomplete);
  CHECK(p.bytes_wanted() == 6 + 100 + 2);
  CHECK(p.Parse("?x\r\n", 4, &r) == ReplyStatus::kError);
  CHECK(p.Parse("$3\r\nabcXY", 9, &r) == ReplyStatus::kError);
}

TEST_CASE("reply parser: pieces parse like the whole; mutated input never crashes") {
  const std::string replies =
      "+OK\r\n-ERR x\r\n:12\r\n$3\r\nabc\r\n$-1\r\n*2\r\n$1\r\na\r\n*1\r\n:1\r\n"
      "%1\r\n+k\r\n,2.5\r\n>3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\np\r\n_\r\n#f\r\n"
      "~1\r\n(123\r\n=7\r\ntxt:abc\r\n|1\r\n+a\r\n+b\r\n+c\r\n";
  auto parse_all = [](std::string_view in, size_t piece) {
    std::vector<std::string> out;
    std::string buf;
    size_t fed = 0;
    ReplyParser p;
    while (true) {
      Reply r;
      ReplyStatus st = p.Parse(buf.data(), buf.size(), &r);
      if (st == ReplyStatus::kComplete) {
        out.push_back(std::to_string(static_cast<int>(r.type)) + ":" + r.str + ":" +
                      std::to_string(r.integer) + ":" + std::to_string(r.elems.size()));
        buf.erase(0, p.consumed());
        continue;
      }
      if (st == ReplyStatus::kError) {
        out.push_back("error");
        break;
      }
      if (fed >= in.size()) break;
      size_t n = std::min(piece, in.size() - fed);
      buf.append(in.substr(fed, n));
      fed += n;
    }
    return out;
  };
  std::vector<std::string> whole = parse_all(replies, replies.size());
  CHECK(whole.size() == 13);
  for (size_t piece = 1; piece < 20; ++piece) CHECK(parse_all(replies, piece) == whole);

  uint64_t rng = 42;
  auto next = [&rng] {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
  };
  for (int i = 0; i < 3000; ++i) {
    std::string m = replies;
    for (int k = 0; k < 4; ++k) {
      m[next() % m.size()] = static_cast<char>(next() & 0xff);
    }
    std::string prefix = "*1\r\n";
    for (int d = 0; d < static_cast<int>(next() % 100); ++d) m.insert(0, prefix);
    parse_all(m, 1 + next() % 7);  // must terminate without crashing
  }
}

CacheConfig FromEnv(std::map<std::string, std::string> env) {
  return CacheConfig::FromEnvironment([&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

TEST_CASE("config: defaults, environment, URL, and clear errors for bad values") {
  CacheConfig d = FromEnv({});
  CHECK(d.host == "127.0.0.1");
  CHECK(d.port == 6379);
  CHECK(d.key_prefix == "cache");
  CHECK(d.default_ttl == std::chrono::seconds(300));
  CHECK(d.pool_max_connections == 10);
  CHECK(d.pool_timeout == milliseconds(20000));
  CHECK(d.enabled);
  CHECK(d.TtlFor("user") == std::chrono::seconds(3600));
  CHECK(d.TtlFor("locations") == std::chrono::seconds(86400));
  CHECK(d.TtlFor("unknown") == std::chrono::seconds(300));

  CacheConfig c = FromEnv({{"REDIS_HOST", "cache.internal"}, {"REDIS_PORT", "7000"},
                           {"REDIS_DB", "3"}, {"REDIS_PASSWORD", "pw"},
                           {"REDIS_CACHE_ENABLED", "false"}, {"REDIS_CACHE_KEY_PREFIX", "app"},
                           {"CACHE_DEFAULT_TTL", "60"}, {"REDIS_POOL_MAX_CONNECTIONS", "4"},
                           {"REDIS_POOL_TIMEOUT", "1.5"}});
  CHECK(c.host == "cache.internal");
  CHECK(c.port == 7000);
  CHECK(c.db == 3);
  CHECK(c.password == "pw");
  CHECK_FALSE(c.enabled);
  CHECK(c.key_prefix == "app");
  CHECK(c.default_ttl == std::chrono::seconds(60));
  CHECK(c.pool_max_connections == 4);
  CHECK(c.pool_timeout == milliseconds(1500));

  CacheConfig u = FromEnv({{"REDIS_URL", "redis://bob:s%40cret@10.0.0.2:6380/5"},
                           {"REDIS_HOST", "ignored"}});
  CHECK(u.host == "10.0.0.2");
  CHECK(u.port == 6380);
  CHECK(u.db == 5);
  CHECK(u.username == "bob");
  CHECK(u.password == "s@cret");
  CacheConfig v6 = FromEnv({{"REDIS_URL", "redis://[::1]:7001"}});
  CHECK(v6.host == "::1");
  CHECK(v6.port == 7001);

  auto error_of = [](std::map<std::string, std::string> env) -> std::string {
    try {
      FromEnv(std::move(env));
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  };
  CHECK(error_of({{"REDIS_URL", "rediss://h:1"}}).find("TLS") != std::string::npos);
  CHECK(error_of({{"REDIS_URL", "http://h"}}).find("redis://") != std::string::npos);
  CHECK(error_of({{"REDIS_PORT", "70000"}}).find("REDIS_PORT") != std::string::npos);
  CHECK(error_of({{"REDIS_PORT", "12ab"}}).find("not an integer") != std::string::npos);
  CHECK(error_of({{"REDIS_ENABLED", "maybe"}}).find("REDIS_ENABLED") != std::string::npos);
  CHECK(error_of({{"REDIS_ENABLED", "yes"}, {"REDIS_CACHE_ENABLED", "no"}}).find("disagree") !=
        std::string::npos);
  CHECK(error_of({{"CACHE_DEFAULT_TTL", "0"}}).find("CACHE_DEFAULT_TTL") != std::string::npos);
  CHECK(error_of({{"REDIS_POOL_MAX_CONNECTIONS", "0"}}).find("REDIS_POOL_MAX_CONNECTIONS") !=
        std::string::npos);
  CHECK(error_of({{"REDIS_POOL_TIMEOUT", "soon"}}).find("REDIS_POOL_TIMEOUT") !=
        std::string::npos);
  CHECK(error_of({{"REDIS_CACHE_KEY_PREFIX", "a*"}}).find("key_prefix") != std::string::npos);
}

TEST_CASE("keys: namespace layout and an order-insensitive parameter hash") {
  CHECK(BuildKey("cache", "user", "42") == "cache:user:42");
  std::string a = BuildKey("cache", "user", "42", {{"lang", "en"}, {"page", "2"}});
  std::string b = BuildKey("cache", "user", "42", {{"page", "2"}, {"lang", "en"}});
  CHECK(a == b);
  REQUIRE(a.size() == std::string("cache:user:42:").size() + 8);
  CHECK(a.find_first_not_of("0123456789abcdef", 14) == std::string::npos);
  CHECK(a != BuildKey("cache", "user", "42", {{"lang", "fr"}, {"page", "2"}}));
  // Length-prefixed hashing: moving a byte between name and value changes the key.
  CHECK(ParamsHash({{"a", "bc"}}) != ParamsHash({{"ab", "c"}}));
  CHECK(NamespaceOf("cache", a) == "user");
  CHECK(NamespaceOf("cache", "other:user:1").empty());
  CHECK(NamespacePattern("cache", "we*rd") == "cache:we\\*rd:*");
}

TEST_CASE("codecs and value encoding: numbers, compression marker, escaping") {
  CHECK(Codec<int64_t>::Decode(Codec<int64_t>::Encode(-12345)) == -12345);
  CHECK(Codec<double>::Decode(Codec<double>::Encode(0.1)) == 0.1);
  CHECK_FALSE(Codec<int>::Decode("12x"));
  CompressionOptions on{true, 64, 3};
  std::string big(10000, 'a');
  std::string stored = EncodeValue(big, on);
  CHECK(IsCompressed(stored));
  CHECK(stored.size() < big.size() / 10);
  CHECK(DecodeValue(stored) == big);
  CHECK(EncodeValue("short", on) == "short");  // below the threshold: stored as is
  CHECK(EncodeValue(big, {}) == big);          // compression off
  std::string tricky("\0\x01zsnot-a-frame", 15);
  std::string escaped = EncodeValue(tricky, {});
  CHECK(escaped != tricky);
  CHECK(DecodeValue(escaped) == tricky);
  CHECK_FALSE(DecodeValue(tricky));  // a marked value that is not a valid frame: corrupt
}

TEST_CASE("circuit breaker: threshold, recovery on an injected clock, one half-open probe") {
  auto now = std::chrono::steady_clock::time_point{};
  CircuitBreaker b(3, milliseconds(30000), [&] { return now; });
  CHECK(b.Allow());
  b.OnFailure();
  b.OnFailure();
  CHECK(b.state() == CircuitBreaker::State::kClosed);
  CHECK(b.OnFailure() == CircuitBreaker::State::kOpen);
  CHECK_FALSE(b.Allow());
  now += milliseconds(29999);
  CHECK_FALSE(b.Allow());
  now += milliseconds(1);
  CHECK(b.Allow());  // the probe
  CHECK(b.state() == CircuitBreaker::State::kHalfOpen);
  CHECK_FALSE(b.Allow());  // only one
  CHECK(b.OnFailure() == CircuitBreaker::State::kOpen);
  CHECK_FALSE(b.Allow());
  now += milliseconds(30000);
  CHECK(b.Allow());
  b.Abandon();      // the probe never reached the server
  CHECK(b.Allow());  // someone else may probe
  CHECK(b.OnSuccess() == CircuitBreaker::State::kClosed);
  CHECK(b.Allow());
  CHECK(b.consecutive_failures() == 0);
}

TEST_CASE("fallback store: TTLs on an injected clock, size bound with LRU-ish eviction") {
  int64_t now = 1'000'000;
  FallbackStore f(100, 1 << 20, [&] { return now; });
  f.Set("a", "1", 1000);
  f.Set("b", "2", 0);
  CHECK(f.Get("a") == "1");
  CHECK(f.TtlMs("a") == 1000);
  CHECK(f.TtlMs("b") == -1);
  CHECK(f.TtlMs("zz") == -2);
  now += 1000;
  CHECK_FALSE(f.Get("a"));
  CHECK_FALSE(f.SetIfAbsent("b", "3", 0));
  CHECK(f.SetIfAbsent("c", "3", 0));
  CHECK(f.DeleteMatching("[bc]") == 2);
  CHECK(f.size() == 0);

  // Keep touching "hot"; insert far more than fits. The store stays bounded and (sampled LRU)
  // the constantly used key survives.
  for (int i = 0; i < 1000; ++i) {
    f.Set("hot", "x", 0);
    f.Set("k" + std::to_string(i), "v", 0);
    CHECK(f.size() <= 100);
  }
  CHECK(f.evictions() >= 900);
  CHECK(f.Get("hot") == "x");

  FallbackStore small(1000000, 4096);
  for (int i = 0; i < 1000; ++i) small.Set("key" + std::to_string(i), std::string(100, 'v'), 0);
  CHECK(small.size() < 100);
}

TEST_CASE("near cache: fills raced by invalidations are dropped; inactive means unused") {
  NearCache n(10, std::chrono::minutes(1));
  CHECK(n.BeginFill("k") == 0);  // inactive: no fills
  n.Activate(7);
  uint64_t t = n.BeginFill("k");
  n.Invalidate("k");  // the server changed k while our GET was in flight
  n.EndFill("k", t, 7, "stale");
  CHECK_FALSE(n.Get("k"));
  t = n.BeginFill("k");
  n.EndFill("k", t, 6, "old-session");  // read on a connection of an earlier session
  CHECK_FALSE(n.Get("k"));
  t = n.BeginFill("k");
  n.EndFill("k", t, 7, "fresh");
  CHECK(n.Get("k") == "fresh");
  n.InvalidateMatching("k*");
  CHECK_FALSE(n.Get("k"));
  for (int i = 0; i < 50; ++i) {
    std::string k = "x" + std::to_string(i);
    n.EndFill(k, n.BeginFill(k), 7, "v");
  }
  CHECK(n.size() <= 10);
  n.Deactivate();
  CHECK(n.size() == 0);
  CHECK_FALSE(n.active());
}

TEST_CASE("single flight: concurrent callers of one key share one computation") {
  SingleFlight flight;
  std::atomic<int> calls{0};
  std::atomic<bool> release{false};
  constexpr int kFollowers = 7;
  std::vector<std::string> results(kFollowers + 1);
  std::thread leader([&] {
    results[0] = flight.Do("k", [&] {
      ++calls;
      while (!release) std::this_thread::yield();  // held open until everyone has joined
      return std::string("v");
    });
  });
  while (calls.load() == 0) std::this_thread::yield();
  std::vector<std::thread> followers;
  for (int i = 1; i <= kFollowers; ++i) {
    followers.emplace_back([&, i] {
      results[i] = flight.Do("k", [&] {
        ++calls;
        return std::string("follower computed");
      });
    });
  }
  while (flight.followers("k") < kFollowers) std::this_thread::yield();
  release = true;
  leader.join();
  for (auto& t : followers) t.join();
  for (const std::string& r : results) CHECK(r == "v");
  CHECK(calls.load() == 1);
  CHECK(flight.followers("k") == 0);

  // An exception reaches the leader and every follower.
  release = false;
  std::atomic<bool> started{false};
  std::thread failing([&] {
    CHECK_THROWS_AS(flight.Do("e",
                              [&]() -> std::string {
                                started = true;
                                while (!release) std::this_thread::yield();
                                throw std::runtime_error("backend down");
                              }),
                    std::runtime_error);
  });
  while (!started) std::this_thread::yield();
  std::thread follower([&] {
    CHECK_THROWS_AS(flight.Do("e", [] { return std::string("x"); }), std::runtime_error);
  });
  while (flight.followers("e") < 1) std::this_thread::yield();
  release = true;
  failing.join();
  follower.join();
}

TEST_CASE("latency histogram and INFO parsing") {
  LatencyHistogram h;
  for (int i = 0; i < 99; ++i) h.Record(1000);
  h.Record(1'000'000);
  LatencyHistogram::Summary s = h.Summarize();
  CHECK(s.count == 100);
  CHECK(s.mean_us == doctest::Approx(10.99));
  CHECK(s.p99_us >= 1.0);
  CHECK(s.p99_us < 1.2);
  h.Record(1'000'000);
  CHECK(h.Summarize().p99_us >= 1000.0);

  ServerStats st = ParseInfo(
      "# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:12\r\n# Clients\r\n"
      "connected_clients:3\r\n# Memory\r\nused_memory:1024\r\nused_memory_human:1.00K\r\n"
      "# Stats\r\nkeyspace_hits:5\r\nkeyspace_misses:7\r\n# Keyspace\r\n"
      "db0:keys=10,expires=2,avg_ttl=0\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n");
  CHECK(st.version == "7.0.15");
  CHECK(st.uptime_seconds == 12);
  CHECK(st.connected_clients == 3);
  CHECK(st.used_memory == 1024);
  CHECK(st.keyspace_hits == 5);
  CHECK(st.keyspace_misses == 7);
  CHECK(st.keys_per_db[0] == 10);
  CHECK(st.keys_per_db[3] == 1);
}

// ---- The Cache on its embedded engine (cache disabled: everything is served in-process). ----

CacheConfig Embedded(std::vector<std::string>* log = nullptr) {
  CacheConfig c;
  c.enabled = false;
  c.logger = [log](LogLevel, const std::string& m) {
    if (log != nullptr) log->push_back(m);
  };
  return c;
}

TEST_CASE("embedded cache: operations, namespace TTLs, patterns, typed values") {
  std::vector<std::string> log;
  Cache cache(Embedded(&log));
  CHECK(cache.health() == Cache::Health::kDisabled);
  CHECK(log.size() == 1);  // disabled, said once
  std::string user = cache.Key("user", "42");
  CHECK_FALSE(cache.Get(user));
  CHECK(cache.Set(user, "alice"));
  CHECK(cache.Get(user) == "alice");
  milliseconds ttl = cache.TtlOf(user);
  CHECK(ttl > std::chrono::seconds(3500));  // user's namespace TTL (3600 s)
  CHECK(ttl <= std::chrono::seconds(3600));
  CHECK(cache.TtlOf(cache.Key("nothere", "1")) == milliseconds(-2));
  cache.Set(cache.Key("misc", "1"), "x");
  CHECK(cache.TtlOf(cache.Key("misc", "1")) <= std::chrono::seconds(300));  // the default
  cache.Set(cache.Key("misc", "2"), "x", milliseconds(5000));
  CHECK(cache.TtlOf(cache.Key("misc", "2")) <= milliseconds(5000));
  CHECK_FALSE(cache.SetIfAbsent(user, "bob"));
  CHECK(cache.Exists(user));
  CHECK(cache.SetMany({{cache.Key("user", "1"), "a"}, {cache.Key("user", "2"), "b"}}));
  auto many = cache.GetMany({cache.Key("user", "1"), cache.Key("user", "404"),
                             cache.Key("user", "2")});
  CHECK(many[0] == "a");
  CHECK_FALSE(many[1]);
  CHECK(many[2] == "b");
  CHECK(cache.InvalidateNamespace("user") == 3);
  CHECK_FALSE(cache.Exists(user));
  CHECK(cache.SetAs<int64_t>(cache.Key("statistics", "count"), 17));
  CHECK(cache.GetAs<int64_t>(cache.Key("statistics", "count")) == 17);
  cache.Set(cache.Key("statistics", "bad"), "not-a-number");
  CHECK_FALSE(cache.GetAs<int64_t>(cache.Key("statistics", "bad")));
  CHECK(cache.Clear() == 4);  // misc:1, misc:2, statistics:count, statistics:bad
  CacheStats s = cache.Stats();
  CHECK(s.fallbacks > 0);
  CHECK(s.hits == 4);  // alice, user:1, user:2, the number
  CHECK(s.misses == 3);  // user:42 at first, user:404, the undecodable number
  CHECK(s.errors == 1);  // the undecodable number
  CHECK(s.latency.at("get").count >= 3);
}

TEST_CASE("embedded cache: with the fallback off too, calls are plain misses") {
  CacheConfig config = Embedded();
  config.fallback_enabled = false;
  Cache cache(config);
  CHECK_FALSE(cache.Set(cache.Key("user", "1"), "v"));
  CHECK_FALSE(cache.Get(cache.Key("user", "1")));
  CHECK(cache.Stats().fallbacks == 0);
  CHECK(cache.Stats().misses == 1);
  CHECK_THROWS_AS(cache.ServerInfo(), CacheError);
}

TEST_CASE("embedded cache: cached() memoizes by arguments; invalidating() clears after success") {
  Cache cache(Embedded());
  std::atomic<int> calls{0};
  auto square = cache.Cached("general", std::nullopt, [&](int64_t x) {
    ++calls;
    return x * x;
  });
  CHECK(square(7) == 49);
  CHECK(square(7) == 49);
  CHECK(calls == 1);
  CHECK(square(8) == 64);
  CHECK(calls == 2);

  auto greet = cache.Cached("user", milliseconds(60000),
                            [&](const std::string& name, int64_t n) {
                              ++calls;
                              return name + "#" + std::to_string(n);
                            },
                            {.name = "greet"});
  CHECK(greet(std::string("ann"), 1) == "ann#1");
  CHECK(greet(std::string("ann"), 1) == "ann#1");
  CHECK(calls == 3);

  bool fail = true;
  auto update = cache.Invalidating({"general"}, [&](int64_t) {
    if (fail) throw std::runtime_error("db write failed");
    return true;
  });
  CHECK_THROWS(update(1));
  CHECK(square(7) == 49);  // still cached: the mutation failed, nothing was invalidated
  CHECK(calls == 3);
  fail = false;
  CHECK(update(1));
  CHECK(square(7) == 49);
  CHECK(calls == 4);  // recomputed after the invalidation
}

TEST_CASE("embedded cache: N threads missing one key at once run the function once") {
  Cache cache(Embedded());
  std::atomic<int> calls{0};
  auto slow = cache.Cached("general", std::nullopt, [&](int64_t x) {
    ++calls;
    return x + 1;
  });
  constexpr int kThreads = 16;
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  std::vector<int64_t> results(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (ready.load() < kThreads) std::this_thread::yield();
      results[i] = slow(41);
    });
  }
  for (auto& t : threads) t.join();
  for (int64_t r : results) CHECK(r == 42);
  CHECK(calls == 1);
}

}  // namespace
}  // namespace stash
