// maxmemory through the protocol: the OOM error under noeviction, eviction after CONFIG SET
// lowers the limit (with no command to trigger it), volatile policies with no TTL keys, OBJECT
// FREQ/IDLETIME by policy family, allkeys-tinylfu admission, and the bound on used_memory while
// eight clients write as fast as they can. Waits are polls of INFO with a deadline, not sleeps.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "resp_client.h"
#include "server_process.h"

namespace stash::test {
namespace {

constexpr char kOom[] = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";

class Fixture {
 public:
  Fixture() : server_(ServerKind::kStash, {"--threads", "4"}) {
    std::string error;
    REQUIRE_MESSAGE(server_.Start(&error), error);
    client_ = Connect();
  }
  RespClient Connect() {
    RespClient c;
    REQUIRE_MESSAGE(c.Connect(server_.port()), c.last_error());
    return c;
  }
  RespClient& c() { return client_; }
  int port() const { return server_.port(); }

  // An INFO field as a number.
  int64_t Info(RespClient& c, const std::string& section, const std::string& field) {
    std::string reply = c.Call({"INFO", section});
    size_t at = reply.find("\r\n" + field + ":");
    REQUIRE_MESSAGE(at != std::string::npos, field);
    return std::stoll(reply.substr(at + field.size() + 3));
  }
  int64_t Info(const std::string& section, const std::string& field) {
    return Info(client_, section, field);
  }
  void Fill(int keys, size_t value_size, bool ttl = false) {
    std::string value(value_size, 'v');
    std::string batch;
    for (int i = 0; i < keys; ++i) {
      std::string key = "key:" + std::to_string(i);
      std::vector<std::string> argv = {"SET", key, value};
      if (ttl) argv.insert(argv.end(), {"EX", "100000"});
      REQUIRE(client_.SendCommand(argv));
    }
    for (int i = 0; i < keys; ++i) REQUIRE(client_.ReadReply() == "+OK\r\n");
  }

 private:
  ServerProcess server_;
  RespClient client_;
};

TEST_CASE("noeviction refuses denyoom commands with Redis's OOM error, reads still work") {
  Fixture f;
  REQUIRE(f.c().Call({"SET", "a", "1"}) == "+OK\r\n");
  REQUIRE(f.c().Call({"CONFIG", "SET", "maxmemory", "1"}) == "+OK\r\n");
  CHECK(f.c().Call({"SET", "b", "2"}) == kOom);
  CHECK(f.c().Call({"LPUSH", "l", "x"}) == kOom);
  CHECK(f.c().Call({"GET", "a"}) == "$1\r\n1\r\n");
  CHECK(f.c().Call({"DEL", "a"}) == ":1\r\n");  // DEL is not denyoom
  // Inside MULTI every queued command is refused and EXEC discards the transaction.
  CHECK(f.c().Call({"MULTI"}) == "+OK\r\n");
  CHECK(f.c().Call({"GET", "a"}) == kOom);
  CHECK(f.c().Call({"EXEC"}) ==
        "-EXECABORT Transaction discarded because of previous errors.\r\n");
}

TEST_CASE("EXEC of a transaction holding a denyoom command is aborted with the OOM reason") {
  Fixture f;
  RespClient admin = f.Connect();
  REQUIRE(f.c().Call({"MULTI"}) == "+OK\r\n");
  REQUIRE(f.c().Call({"SET", "x", "1"}) == "+QUEUED\r\n");
  REQUIRE(admin.Call({"CONFIG", "SET", "maxmemory", "1"}) == "+OK\r\n");
  CHECK(f.c().Call({"EXEC"}) ==
        "-EXECABORT Transaction discarded because of: OOM command not allowed when used memory "
        "> 'maxmemory'.\r\n");
  // A transaction of reads runs.
  REQUIRE(f.c().Call({"MULTI"}) == "+OK\r\n");
  REQUIRE(admin.Call({"CONFIG", "SET", "maxmemory", "0"}) == "+OK\r\n");
  REQUIRE(f.c().Call({"GET", "x"}) == "+QUEUED\r\n");
  REQUIRE(admin.Call({"CONFIG", "SET", "maxmemory", "1"}) == "+OK\r\n");
  CHECK(f.c().Call({"EXEC"}) == "*1\r\n$-1\r\n");
}

TEST_CASE("lowering maxmemory evicts down to it without any further command") {
  Fixture f;
  REQUIRE(f.c().Call({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}) == "+OK\r\n");
  int64_t base = f.Info("memory", "used_memory");
  f.Fill(4000, 1000);
  int64_t full = f.Info("memory", "used_memory");
  REQUIRE(full - base > 4000 * 1000);
  int64_t limit = base + (full - base) / 2;
  REQUIRE(f.c().Call({"CONFIG", "SET", "maxmemory", std::to_string(limit)}) == "+OK\r\n");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int64_t used = full;
  while (std::chrono::steady_clock::now() < deadline) {
    used = f.Info("memory", "used_memory");
    if (used <= limit) break;
  }
  CHECK(used <= limit);
  CHECK(f.Info("stats", "evicted_keys") > 0);
  std::string dbsize = f.c().Call({"DBSIZE"});
  int64_t keys = std::stoll(dbsize.substr(1));
  CHECK(keys < 4000);
  CHECK(keys > 1000);  // about half of them stay
  // The writes go on, evicting as they need.
  CHECK(f.c().Call({"SET", "new", std::string(1000, 'n')}) == "+OK\r\n");
  CHECK(f.c().Call({"EXISTS", "new"}) == ":1\r\n");
}

TEST_CASE("eviction removes hashes, lists, sets and sorted sets and reclaims their memory") {
  Fixture f;
  REQUIRE(f.c().Call({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}) == "+OK\r\n");
  int64_t base = f.Info("memory", "used_memory");
  // 400 keys of each type, each holding 200 elements (past the compact encodings).
  const char* kinds[] = {"hash", "list", "set", "zset"};
  for (int i = 0; i < 400; ++i) {
    for (const char* kind : kinds) {
      std::string key = std::string(kind) + ":" + std::to_string(i);
      std::vector<std::string> argv;
      if (std::string(kind) == "hash") argv = {"HSET", key};
      if (std::string(kind) == "list") argv = {"RPUSH", key};
      if (std::string(kind) == "set") argv = {"SADD", key};
      if (std::string(kind) == "zset") argv = {"ZADD", key};
      for (int j = 0; j < 200; ++j) {
        if (std::string(kind) == "hash" || std::string(kind) == "zset") {
          argv.push_back(std::to_string(j));
        }
        argv.push_back("element-" + std::to_string(j));
      }
      REQUIRE(f.c().SendCommand(argv));
    }
  }
  for (int i = 0; i < 1600; ++i) REQUIRE(f.c().ReadReply() == ":200\r\n");
  int64_t full = f.Info("memory", "used_memory");
  REQUIRE(full - base > 1600 * 200 * 8);
  int64_t limit = base + (full - base) / 4;
  REQUIRE(f.c().Call({"CONFIG", "SET", "maxmemory", std::to_string(limit)}) == "+OK\r\n");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int64_t used = full;
  while (std::chrono::steady_clock::now() < deadline) {
    used = f.Info("memory", "used_memory");
    if (used <= limit) break;
  }
  // used_memory counts the collections' own allocations, so evicting them brings it down.
  CHECK(used <= limit);
  int64_t evicted = f.Info("stats", "evicted_keys");
  CHECK(evicted > 800);
  std::string dbsize = f.c().Call({"DBSIZE"});
  CHECK(std::stoll(dbsize.substr(1)) == 1600 - evicted);
  // Every type lost keys (the sampling does not care about types).
  for (const char* kind : kinds) {
    std::string pattern = std::string(kind) + ":*";
    std::string keys = f.c().Call({"KEYS", pattern});
    CHECK(std::stoll(keys.substr(1)) < 400);
  }
}

TEST_CASE("volatile policies without keys with a TTL answer OOM, with them they evict those") {
  Fixture f;
  int64_t base = f.Info("memory", "used_memory");
  f.Fill(2000, 1000);
  for (const char* policy : {"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"}) {
    CAPTURE(policy);
    REQUIRE(f.c().Call({"CONFIG", "SET", "maxmemory-policy", policy}) == "+OK\r\n");
    REQUIRE(f.c().Call({"CONFIG", "SET", "maxmemory", std::to_string(base + 1000 * 1000)}) ==
            "+OK\r\n");
    CHECK(f.c().Call({"SET", "x", "y"}) == kOom);
    CHECK(f.c().Call({"DBSIZE"}) == ":2000\r\n");
    REQUIRE(f.c().Call({"CONFIG", "SET", "maxmemory", "0"}) == "+OK\r\n");
  }
  // Now some keys have a TTL: volatile-ttl evicts them (soonest first) and only them.
  REQUIRE(f.c().Call({"CONFIG", "SET", "maxmemory-policy", "volatile-ttl"}) == "+OK\r\n");
  for (int i = 0; i < 500; ++i) {
    REQUIRE(f.c().Call({"SET", "ttl:" + std::to_string(i), std::string(1000, 't'), "EX",
                        std::to_string(1000 + i)}) == "+OK\r\n");
  }
  int64_t used = f.Info("memory", "used_memory");
  REQUIRE(f.c().Call({"CONFIG", "SET", "maxmemory", std::to_string(used - 200 * 1000)}) ==
          "+OK\r\n");
  CHECK(f.c().Call({"SET", "x", "y"}) == "+OK\r\n");
  CHECK(f.c().Call({"EXISTS", "key:0", "key:1999"}) == ":2\r\n");
  CHECK(f.c().Call({"EXISTS", "ttl:0"}) == ":0\r\n");    // expires first: evicted
  CHECK(f.c().Call({"EXISTS", "ttl:499"}) == ":1\r\n");  // expires last: kept
}

TEST_CASE("OBJECT FREQ and IDLETIME answer by policy family, with Redis's errors") {
  Fixture f;
  REQUIRE(f.c().Call({"SET", "k", "v"}) == "+OK\r\n");
  CHECK(f.c().Call({"OBJECT", "IDLETIME", "k"}) == ":0\r\n");
  CHECK(f.c().Call({"OBJECT", "FREQ", "k"}) ==
        "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
        "note that when switching between policies at runtime LRU and LFU data will take some "
        "time to adjust.\r\n");
  REQUIRE(f.c().Call({"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}) == "+OK\r\n");
  CHECK(f.c().Call({"OBJECT", "IDLETIME", "k"}) ==
        "-ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
        "switching between policies at runtime LRU and LFU data will take some time to "
        "adjust.\r\n");
  REQUIRE(f.c().Call({"SET", "n", "v"}) == "+OK\r\n");
  CHECK(f.c().Call({"OBJECT", "FREQ", "n"}) == ":5\r\n");  // LFU_INIT_VAL
  CHECK(f.c().Call({"GET", "n"}) == "$1\r\nv\r\n");
  CHECK(f.c().Call({"OBJECT", "FREQ", "n"}) == ":6\r\n");  // the first increment is certain
  // allkeys-tinylfu keeps LRU clocks in the entries.
  REQUIRE(f.c().Call({"CONFIG", "SET", "maxmemory-policy", "allkeys-tinylfu"}) == "+OK\r\n");
  CHECK(f.c().Call({"SET", "t", "v"}) == "+OK\r\n");
  CHECK(f.c().Call({"OBJECT", "IDLETIME", "t"}) == ":0\r\n");
}

TEST_CASE("allkeys-tinylfu keeps frequently used keys through a scan of new ones") {
  Fixture f;
  REQUIRE(f.c().Call({"CONFIG", "SET", "maxmemory-policy", "allkeys-tinylfu"}) == "+OK\r\n");
  int64_t base = f.Info("memory", "used_memory");
  REQUIRE(f.c().Call({"CONFIG", "SET", "maxmemory", std::to_string(base + 3 * 1024 * 1024)}) ==
          "+OK\r\n");
  std::string value(1000, 'h');
  // A hot set, read many times (the sketch records every access).
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(f.c().Call({"SET", "hot:" + std::to_string(i), value}) == "+OK\r\n");
  }
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 1000; ++i) f.c().SendCommand({"GET", "hot:" + std::to_string(i)});
    for (int i = 0; i < 1000; ++i) REQUIRE(f.c().ReadReply().has_value());
  }
  // Five times the limit's worth of keys seen once.
  for (int i = 0; i < 15000; ++i) f.c().SendCommand({"SET", "scan:" + std::to_string(i), value});
  for (int i = 0; i < 15000; ++i) REQUIRE(f.c().ReadReply() == "+OK\r\n");
  int hot_left = 0;
  for (int i = 0; i < 1000; ++i) {
    hot_left += f.c().Call({"EXISTS", "hot:" + std::to_string(i)}) == ":1\r\n";
  }
  CHECK(hot_left > 900);
  CHECK(f.Info("stats", "evicted_keys") >= 12000);
  CHECK(f.Info("memory", "used_memory") <= base + 3 * 1024 * 1024 + 64 * 1024);
}

// The documented margin (README, "Memory and eviction"): each worker may run one command past
// the limit while others evict, so used_memory may exceed maxmemory by about one command's
// growth per concurrent writer plus connection buffers; 64 KiB covers eight 1 KiB writers with
// room to spare.
TEST_CASE("with eight clients writing 1 KiB values, used_memory stays within the margin") {
  constexpr int64_t kMargin = 64 * 1024;
  Fixture f;
  REQUIRE(f.c().Call({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}) == "+OK\r\n");
  int64_t base = f.Info("memory", "used_memory");
  int64_t limit = base + 4 * 1024 * 1024;
  REQUIRE(f.c().Call({"CONFIG", "SET", "maxmemory", std::to_string(limit)}) == "+OK\r\n");
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 8; ++w) {
    writers.emplace_back([&, w]() {
      RespClient c;
      if (!c.Connect(f.port())) {
        ++failures;
        return;
      }
      std::string value(1024, 'w');
      for (int i = 0; i < 3000; ++i) {
        if (c.Call({"SET", "w" + std::to_string(w) + ":" + std::to_string(i), value}) !=
            "+OK\r\n") {
          ++failures;
        }
      }
    });
  }
  RespClient watcher = f.Connect();
  int64_t worst = 0;
  int samples = 0;
  std::thread joiner([&]() {
    for (auto& t : writers) t.join();
    done = true;
  });
  while (!done) {
    worst = std::max(worst, f.Info(watcher, "memory", "used_memory") - limit);
    ++samples;
  }
  joiner.join();
  worst = std::max(worst, f.Info(watcher, "memory", "used_memory") - limit);
  MESSAGE("worst excess over maxmemory: ", worst, " bytes in ", samples, " samples");
  CHECK(failures == 0);
  CHECK(worst <= kMargin);
  CHECK(f.Info("stats", "evicted_keys") > 0);
}

// INFO memory and INFO stats carry exactly Redis's field names (values differ, so the diff
// scripts compare only the reply type).
TEST_CASE("INFO memory and stats have redis-server's field names") {
  auto names = [](ServerKind kind, const std::string& section) {
    ServerProcess server(kind);
    std::string error;
    REQUIRE_MESSAGE(server.Start(&error), error);
    RespClient c;
    REQUIRE(c.Connect(server.port()));
    std::string reply = c.Call({"INFO", section});
    std::vector<std::string> out;
    size_t pos = reply.find("\r\n") + 2;  // past the bulk length
    while (pos < reply.size()) {
      size_t end = reply.find("\r\n", pos);
      if (end == std::string::npos) break;
      std::string line = reply.substr(pos, end - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) out.push_back(line.substr(0, colon));
      pos = end + 2;
    }
    return out;
  };
  for (const char* section : {"memory", "stats"}) {
    CAPTURE(section);
    CHECK(names(ServerKind::kStash, section) == names(ServerKind::kRedis, section));
  }
}

}  // namespace
}  // namespace stash::test
