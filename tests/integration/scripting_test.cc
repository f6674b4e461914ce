// Scripts under concurrency: atomicity against clients on other worker threads, the lock
// scripts redis-py's Lock sends under contention, and BUSY / SCRIPT KILL / FUNCTION KILL while
// a script runs (busy_script_test.cc has the rest of busy scripts). Each case runs against
// stash-server (with several worker threads, so the clients land on different threads) and
// against redis-server as the reference.
#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "busy_script.h"
#include "for_each_server.h"
#include "resp_client.h"
#include "server_fixture.h"
#include "server_process.h"

namespace stash::test {
namespace {

std::string Bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

// Redis's "*N" reply of N equal bulk values, or "" when they differ.
bool AllEqualBulks(const std::string& reply, int n) {
  std::vector<std::string> values;
  size_t pos = reply.find("\r\n") + 2;
  for (int i = 0; i < n; ++i) {
    size_t end = reply.find("\r\n", pos);
    std::string header = reply.substr(pos, end - pos);
    pos = end + 2;
    if (header == "$-1") {
      values.push_back("nil");
      continue;
    }
    size_t len = std::stoul(header.substr(1));
    values.push_back(reply.substr(pos, len));
    pos += len + 2;
  }
  for (const std::string& v : values) {
    if (v != values[0]) return false;
  }
  return true;
}

TEST_CASE("a script over keys of many shards is never interleaved with other clients") {
  STASH_FOR_EACH_SERVER(kind);
  ServerFixture f(kind, 4);
  constexpr int kKeys = 8, kScripters = 3, kReaders = 3, kRuns = 150;
  // Touches keys it did not declare (numkeys 0), on different shards, with work in between.
  const std::string script =
      "for i = 0, 7 do redis.call('incr', 'atom:' .. i) "
      "local spin = 0 for j = 1, 300 do spin = spin + j end end return 1";
  std::vector<std::string> mget = {"MGET"};
  for (int i = 0; i < kKeys; ++i) mget.push_back("atom:" + std::to_string(i));

  std::atomic<int> scripters_left{kScripters};
  std::atomic<int> torn{0}, reads{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kScripters; ++t) {
    threads.emplace_back([&, c = f.Connect()]() mutable {
      for (int i = 0; i < kRuns; ++i) {
        if (c.Call({"EVAL", script, "0"}) != ":1\r\n") torn++;
      }
      scripters_left--;
    });
  }
  for (int t = 0; t < kReaders; ++t) {
    threads.emplace_back([&, c = f.Connect()]() mutable {
      while (scripters_left.load() > 0) {
        if (!AllEqualBulks(c.Call(mget), kKeys)) torn++;
        // A plain write to one of the keys' neighbours keeps the shards busy too.
        c.Call({"INCR", "atom:other"});
        reads++;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(torn.load() == 0);
  CHECK(reads.load() > 0);
  RespClient c = f.Connect();
  std::string expected = std::to_string(kScripters * kRuns);
  std::string all = c.Call(mget);
  CHECK(AllEqualBulks(all, kKeys));
  CHECK(all.find("$" + std::to_string(expected.size()) + "\r\n" + expected + "\r\n") !=
        std::string::npos);
}

// redis-py's Lock (redis/lock.py): SET NX PX to acquire, these scripts (by EVALSHA) to
// release, extend and reacquire.
const char* kRelease =
    "\n        local token = redis.call('get', KEYS[1])\n"
    "        if not token or token ~= ARGV[1] then\n            return 0\n        end\n"
    "        redis.call('del', KEYS[1])\n        return 1\n    ";
const char* kExtend =
    "\n        local token = redis.call('get', KEYS[1])\n"
    "        if not token or token ~= ARGV[1] then\n            return 0\n        end\n"
    "        local expiration = redis.call('pttl', KEYS[1])\n"
    "        if not expiration then\n            expiration = 0\n        end\n"
    "        if expiration < 0 then\n            return 0\n        end\n\n"
    "        local newttl = ARGV[2]\n        if ARGV[3] == \"0\" then\n"
    "            newttl = ARGV[2] + expiration\n        end\n"
    "        redis.call('pexpire', KEYS[1], newttl)\n        return 1\n    ";
const char* kReacquire =
    "\n        local token = redis.call('get', KEYS[1])\n"
    "        if not token or token ~= ARGV[1] then\n            return 0\n        end\n"
    "        redis.call('pexpire', KEYS[1], ARGV[2])\n        return 1\n    ";

std::string ShaOf(const std::string& bulk_reply) {
  size_t start = bulk_reply.find("\r\n") + 2;
  return bulk_reply.substr(start, 40);
}

TEST_CASE("redis-py Lock scripts keep a critical section exclusive under contention") {
  STASH_FOR_EACH_SERVER(kind);
  ServerFixture f(kind, 4);
  RespClient setup = f.Connect();
  std::string release = ShaOf(setup.Call({"SCRIPT", "LOAD", kRelease}));
  std::string extend = ShaOf(setup.Call({"SCRIPT", "LOAD", kExtend}));
  std::string reacquire = ShaOf(setup.Call({"SCRIPT", "LOAD", kReacquire}));
  REQUIRE(release.size() == 40);

  constexpr int kThreads = 4, kRounds = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t, c = f.Connect()]() mutable {
      for (int i = 0; i < kRounds; ++i) {
        std::string token = "token-" + std::to_string(t) + "-" + std::to_string(i);
        // Acquire: spin on SET NX PX as Lock.acquire does (blocking=True).
        while (c.Call({"SET", "lock:res", token, "NX", "PX", "10000"}) != "+OK\r\n") {
          std::this_thread::yield();
        }
        // The critical section: a read-modify-write that only the lock makes safe.
        std::string value = c.Call({"GET", "counter"});
        int n = value == "$-1\r\n" ? 0 : std::stoi(value.substr(value.find("\r\n") + 2));
        if (c.Call({"EVALSHA", extend, "1", "lock:res", token, "1000", "0"}) != ":1\r\n") {
          failures++;
        }
        if (c.Call({"EVALSHA", reacquire, "1", "lock:res", token, "10000"}) != ":1\r\n") {
          failures++;
        }
        // Someone else's token never releases it.
        if (c.Call({"EVALSHA", release, "1", "lock:res", "not-" + token}) != ":0\r\n") {
          failures++;
        }
        c.Call({"SET", "counter", std::to_string(n + 1)});
        if (c.Call({"EVALSHA", release, "1", "lock:res", token}) != ":1\r\n") failures++;
        // Released: extending it now fails, as for an expired lock.
        if (c.Call({"EVALSHA", extend, "1", "lock:res", token, "1000", "0"}) != ":0\r\n") {
          failures++;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures.load() == 0);
  std::string total = std::to_string(kThreads * kRounds);
  CHECK(setup.Call({"GET", "counter"}) == Bulk(total));
  // Scripts show in INFO: the cache, and EVALSHA and the commands it ran in commandstats.
  std::string memory = setup.Call({"INFO", "memory"});
  CHECK(memory.find("number_of_cached_scripts:3\r\n") != std::string::npos);
  std::string stats = setup.Call({"INFO", "commandstats"});
  CHECK(stats.find("cmdstat_evalsha:calls=" + std::to_string(kThreads * kRounds * 5) + ",") !=
        std::string::npos);
  CHECK(stats.find("cmdstat_pexpire:calls=" + std::to_string(kThreads * kRounds * 2) + ",") !=
        std::string::npos);
  CHECK(stats.find("cmdstat_del:calls=" + std::to_string(kThreads * kRounds) + ",") !=
        std::string::npos);
}

TEST_CASE("a push from a script wakes a client blocked on another worker") {
  STASH_FOR_EACH_SERVER(kind);
  ServerFixture f(kind, 4);
  RespClient blocked = f.Connect();
  RespClient pusher = f.Connect();
  REQUIRE(blocked.SendCommand({"BLPOP", "queue", "10"}));
  WaitBlockedClients(pusher, 1);
  CHECK(pusher.Call({"EVAL", "return redis.call('rpush', KEYS[1], 'job')", "1", "queue"}) ==
        ":1\r\n");
  auto reply = blocked.ReadReply();
  REQUIRE(reply.has_value());
  CHECK(*reply == "*2\r\n$5\r\nqueue\r\n$3\r\njob\r\n");
}

// Stash only: redis-server 7.0.15 itself crashes on these (it reads the error table's fields
// with metamethods, outside any protected call).
TEST_CASE("error objects with metamethods do not bring the server down") {
  ServerFixture f(ServerKind::kStash, 4);
  RespClient c = f.Connect();
  std::string reply =
      c.Call({"EVAL", "error(setmetatable({}, {__index = function() error('x') end}))", "0"});
  CHECK(reply.rfind("-", 0) == 0);
  reply = c.Call({"EVAL",
                  "error(setmetatable({err = 'E raw'}, {__newindex = function() error('y') end}))",
                  "0"});
  CHECK(reply.rfind("-ERR user_script:1: y script: ", 0) == 0);
  CHECK(c.Call({"PING"}) == "+PONG\r\n");
}

TEST_CASE("a busy script makes others get BUSY until SCRIPT KILL stops it") {
  STASH_FOR_EACH_SERVER(kind);
  ServerFixture f(kind, 4, {"--busy-reply-threshold", "50"});
  // Consecutive connections land on different worker threads.
  RespClient runner = f.Connect();
  RespClient other = f.Connect();
  REQUIRE(other.Call({"SCRIPT", "KILL"}) == "-NOTBUSY No scripts in execution right now.\r\n");
  REQUIRE(runner.SendCommand({"EVAL", "local i = 0 while true do i = i + 1 end", "0"}));
  WaitBusy(other);
  CHECK(other.Call({"GET", "x"}) == kBusyEval);
  CHECK(other.Call({"FUNCTION", "KILL"}) == kBusyEval);
  CHECK(other.Call({"SCRIPT", "KILL"}) == "+OK\r\n");
  auto killed = runner.ReadReply();
  REQUIRE(killed.has_value());
  CHECK(killed->rfind("-ERR Script killed by user with SCRIPT KILL... script: ", 0) == 0);
  CHECK(other.Call({"PING"}) == "+PONG\r\n");
  CHECK(runner.Call({"PING"}) == "+PONG\r\n");

  // FCALL of a busy function: FUNCTION KILL.
  REQUIRE(other.Call({"FUNCTION", "LOAD", kSpinLibrary}) == "$4\r\nbusy\r\n");
  REQUIRE(runner.SendCommand({"FCALL", "spin", "0"}));
  WaitBusy(other);
  CHECK(other.Call({"PING"}) == kBusyFunction);
  std::string stats = other.Call({"FUNCTION", "STATS"});
  CHECK(stats.find("running_script\r\n*6\r\n$4\r\nname\r\n$4\r\nspin\r\n$7\r\ncommand\r\n*3\r\n"
                   "$5\r\nFCALL\r\n$4\r\nspin\r\n$1\r\n0\r\n$11\r\nduration_ms\r\n:") !=
        std::string::npos);
  CHECK(other.Call({"FUNCTION", "KILL"}) == "+OK\r\n");
  killed = runner.ReadReply();
  REQUIRE(killed.has_value());
  CHECK(killed->rfind("-ERR Script killed by user with SCRIPT KILL... script: spin", 0) == 0);
  CHECK(other.Call({"PING"}) == "+PONG\r\n");
}

}  // namespace
}  // namespace stash::test
