// Latency and throughput of the cache client against one running server:
//   raw      GET through one Connection (the wire, no cache layers): the baseline
//   remote   Cache::Get hit, near cache off (pool, breaker, stats, value decoding)
//   miss     Cache::Get of an absent key
//   near     Cache::Get served by the near cache (needs CLIENT TRACKING; skipped without)
//   cached   Cache::Cached() calls from T threads over a small hot key set, ops/s
// Output: one "name value unit" line per figure, for bench/scripts/client_bench.py.
//
//   client_bench --port 6379 [--iterations 20000] [--threads 8]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "client/cache.h"
#include "client/connection.h"

namespace {

using Clock = std::chrono::steady_clock;

double MicrosPerOp(Clock::time_point start, int n) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count() / n;
}

stash::CacheConfig Config(int port, bool near) {
  stash::CacheConfig c;
  c.port = port;
  c.near_cache = near;
  c.pool_max_connections = 16;
  c.logger = [](stash::LogLevel, const std::string&) {};
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 6379, iterations = 20000, threads = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--port")) port = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--iterations")) iterations = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
  }
  std::string value(100, 'v');

  {
    stash::ConnectionOptions o;
    o.port = port;
    auto c = stash::Connection::Open(o);
    c->Call({"SET", "bench:raw", value});
    auto start = Clock::now();
    for (int i = 0; i < iterations; ++i) c->Call({"GET", "bench:raw"});
    std::printf("raw_get_us %.2f us\n", MicrosPerOp(start, iterations));
  }
  {
    stash::Cache cache(Config(port, false));
    std::string key = cache.Key("general", "bench");
    cache.Set(key, value);
    auto start = Clock::now();
    for (int i = 0; i < iterations; ++i) cache.Get(key);
    std::printf("remote_hit_us %.2f us\n", MicrosPerOp(start, iterations));
    std::string absent = cache.Key("general", "absent");
    start = Clock::now();
    for (int i = 0; i < iterations; ++i) cache.Get(absent);
    std::printf("miss_us %.2f us\n", MicrosPerOp(start, iterations));
  }
  {
    stash::Cache cache(Config(port, true));
    auto deadline = Clock::now() + std::chrono::seconds(3);
    while (!cache.near_cache_active() && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::string key = cache.Key("general", "bench-near");
    cache.Set(key, value);
    cache.Get(key);
    if (cache.near_cache_active() && cache.near_cache_size() == 1) {
      int n = iterations * 50;
      auto start = Clock::now();
      for (int i = 0; i < n; ++i) cache.Get(key);
      std::printf("near_hit_us %.3f us\n", MicrosPerOp(start, n));
    } else {
      std::printf("near_hit_us n/a (server has no CLIENT TRACKING)\n");
    }
  }
  for (bool near : {false, true}) {
    stash::Cache cache(Config(port, near));
    auto deadline = Clock::now() + std::chrono::seconds(3);
    while (near && !cache.near_cache_active() && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (near && !cache.near_cache_active()) {
      std::printf("cached_near_ops n/a (server has no CLIENT TRACKING)\n");
      continue;
    }
    std::atomic<int64_t> computed{0};
    auto f = cache.Cached("general", std::nullopt, [&](int64_t k) {
      ++computed;
      return k * 3;
    }, {.name = near ? "bench-near" : "bench"});
    cache.InvalidateNamespace("general");
    std::atomic<int> ready{0};
    std::vector<std::thread> pool;
    int per_thread = iterations / threads;
    auto start = Clock::now();
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        ++ready;
        while (ready.load() < threads) std::this_thread::yield();
        for (int i = 0; i < per_thread; ++i) f(int64_t{(i + t) % 16});
      });
    }
    for (auto& th : pool) th.join();
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("%s %.0f ops/s (computed %lld times for 16 keys, %d threads)\n",
                near ? "cached_near_ops" : "cached_ops", per_thread * threads / secs,
                static_cast<long long>(computed.load()), threads);
  }
  return 0;
}
