// Active expiry through the protocol: keys with a TTL leave the keyspace (DBSIZE, INFO
// keyspace) without anyone reading them, including after their TTL was changed, moved or
// swapped; keys whose TTL was removed or extended stay. Runs against redis-server too: the
// expectations are Redis's behaviour. Waiting is polling with a generous deadline.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "for_each_server.h"
#include "resp_client.h"
#include "server_process.h"

namespace stash::test {
namespace {

// Sends every command at once (a pipeline), then reads every reply.
std::vector<std::string> Pipeline(RespClient& c,
                                  const std::vector<std::vector<std::string>>& cmds) {
  for (const auto& cmd : cmds) REQUIRE(c.SendCommand(cmd));
  std::vector<std::string> replies;
  for (size_t i = 0; i < cmds.size(); ++i) {
    auto r = c.ReadReply();
    REQUIRE_MESSAGE(r.has_value(), c.last_error());
    replies.push_back(*r);
  }
  return replies;
}

// Polls until `c` answers `command` with `want`, for up to 20 s; returns the last reply.
std::string WaitFor(RespClient& c, const std::vector<std::string>& command,
                    const std::string& want) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::string reply;
  while (std::chrono::steady_clock::now() < deadline) {
    reply = c.Call(command);
    if (reply == want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return reply;
}

std::string InfoField(RespClient& c, const std::string& section, const std::string& field) {
  std::string info = c.Call({"INFO", section});
  size_t at = info.find("\r\n" + field + ":");
  if (at == std::string::npos) return "<missing " + field + ">";
  at += field.size() + 3;
  return info.substr(at, info.find("\r\n", at) - at);
}

struct Started {
  explicit Started(ServerKind kind) : server(kind) {
    std::string error;
    REQUIRE_MESSAGE(server.Start(&error), error);
    REQUIRE_MESSAGE(client.Connect(server.port()), client.last_error());
  }
  ServerProcess server;
  RespClient client;
};

TEST_CASE("keys with a short TTL vanish without being accessed") {
  STASH_FOR_EACH_SERVER(kind);
  Started s(kind);
  RespClient& c = s.client;
  std::vector<std::vector<std::string>> cmds;
  for (int i = 0; i < 3000; ++i) {
    cmds.push_back({"SET", "k" + std::to_string(i), "value", "PX", std::to_string(50 + i % 400)});
  }
  cmds.push_back({"SET", "stays", "v"});
  cmds.push_back({"SET", "stays-long", "v", "EX", "1000"});
  Pipeline(c, cmds);
  CHECK(WaitFor(c, {"DBSIZE"}, ":2\r\n") == ":2\r\n");
  CHECK(InfoField(c, "stats", "expired_keys") == "3000");
  CHECK(InfoField(c, "stats", "expired_time_cap_reached_count").rfind("<missing", 0) != 0);
  std::string keyspace = InfoField(c, "keyspace", "db0");
  CHECK(keyspace.rfind("keys=2,expires=1,avg_ttl=", 0) == 0);
  if (kind == ServerKind::kStash) {
    // Redis estimates these from samples, with decay; Stash knows them exactly.
    CHECK(InfoField(c, "stats", "expired_stale_perc") == "0.00");
    long avg_ttl = std::stol(keyspace.substr(keyspace.rfind('=') + 1));
    CHECK(avg_ttl > 900'000);
    CHECK(avg_ttl <= 1'000'000);
  }
}

TEST_CASE("changed, moved and swapped TTLs are reclaimed by the new rule") {
  STASH_FOR_EACH_SERVER(kind);
  Started s(kind);
  RespClient& c = s.client;
  Pipeline(c, {
                  {"SET", "persisted", "v", "PX", "100"},
                  {"PERSIST", "persisted"},
                  {"SET", "extended", "v", "PX", "100"},
                  {"PEXPIRE", "extended", "1000000"},
                  {"SET", "shortened", "v", "EX", "1000"},
                  {"PEXPIRE", "shortened", "100"},
                  {"SET", "overwritten", "v", "PX", "100"},
                  {"SET", "overwritten", "w"},
                  {"SET", "appended", "v", "PX", "200"},
                  {"APPEND", "appended", "more bytes that relocate the entry"},
                  {"SET", "renamed-from", "v", "PX", "150"},
                  {"RENAME", "renamed-from", "renamed-to"},
                  {"RPUSH", "list", "a", "b"},
                  {"PEXPIRE", "list", "120"},
                  {"SET", "moved", "v", "PX", "150"},
                  {"MOVE", "moved", "2"},
                  {"SELECT", "1"},
                  {"SET", "swapped", "v", "PX", "150"},
                  {"SET", "huge", "v"},
                  {"PEXPIREAT", "huge", "9000000000000000000"},
                  {"SELECT", "0"},
                  {"SWAPDB", "0", "1"},
              });
  // db0 (was db1): "swapped" goes, "huge" stays with its exact expiry.
  CHECK(WaitFor(c, {"DBSIZE"}, ":1\r\n") == ":1\r\n");
  CHECK(c.Call({"PEXPIRETIME", "huge"}) == ":9000000000000000000\r\n");
  // db1 (was db0): the keys whose TTL was removed or extended stay.
  c.Call({"SELECT", "1"});
  CHECK(WaitFor(c, {"DBSIZE"}, ":3\r\n") == ":3\r\n");
  std::vector<std::string> keys = Pipeline(c, {{"EXISTS", "persisted"},
                                               {"EXISTS", "extended"},
                                               {"EXISTS", "overwritten"}});
  CHECK(keys == std::vector<std::string>{":1\r\n", ":1\r\n", ":1\r\n"});
  c.Call({"SELECT", "2"});
  CHECK(WaitFor(c, {"DBSIZE"}, ":0\r\n") == ":0\r\n");
}

TEST_CASE("FLUSHALL drops keys with a TTL, and new ones expire afterwards") {
  STASH_FOR_EACH_SERVER(kind);
  Started s(kind);
  RespClient& c = s.client;
  Pipeline(c, {{"SET", "a", "v", "EX", "1000"}, {"SET", "b", "v", "PX", "5000"}});
  CHECK(c.Call({"FLUSHALL"}) == "+OK\r\n");
  Pipeline(c, {{"SET", "c", "v", "PX", "100"}, {"SET", "d", "v"}});
  CHECK(WaitFor(c, {"DBSIZE"}, ":1\r\n") == ":1\r\n");
  CHECK(c.Call({"EXISTS", "d"}) == ":1\r\n");
}

// The expiry-related field names of INFO stats, in order, and the shape of a keyspace line.
std::vector<std::string> ExpiryInfoShape(ServerKind kind) {
  Started s(kind);
  RespClient& c = s.client;
  Pipeline(c, {{"SET", "a", "v", "EX", "100"}, {"SET", "b", "v"}});
  std::vector<std::string> shape;
  std::string stats = c.Call({"INFO", "stats"});
  size_t at = 0;
  while ((at = stats.find("\r\n", at)) != std::string::npos) {
    at += 2;
    std::string name = stats.substr(at, stats.find(':', at) - at);
    if (name.find("expire") != std::string::npos) shape.push_back(name);
  }
  std::string db0 = InfoField(c, "keyspace", "db0");
  shape.push_back(db0.substr(0, db0.rfind('=') + 1));  // the avg_ttl value is an estimate
  return shape;
}

TEST_CASE("INFO names the expiry fields as Redis does") {
  std::vector<std::string> stash = ExpiryInfoShape(ServerKind::kStash);
  std::vector<std::string> redis = ExpiryInfoShape(ServerKind::kRedis);
  CHECK(stash == redis);
  CHECK(stash.back() == "keys=2,expires=1,avg_ttl=");
  CHECK(stash.size() > 4);  // expired_keys, expired_stale_perc, ... were found
}

}  // namespace
}  // namespace stash::test
