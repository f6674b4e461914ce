// Pub/Sub, client tracking and keyspace notifications across connections: publishers and
// subscribers on different worker threads (stash-server runs four workers and hands connections
// out round robin), invalidations seen by the tracking client within one round trip, keyspace
// events of other connections' writes and of expiry, and the pubsub output buffer limit cutting
// off a subscriber that does not read. Every case runs against stash-server and against
// redis-server with the same expected bytes, so the two are byte-identical on the wire.
//
// Waiting is done by polling a condition with a deadline (PTTL, PUBSUB NUMSUB), never by sleeping.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "for_each_server.h"
#include "resp_client.h"
#include "server_fixture.h"
#include "server_process.h"

namespace stash::test {
namespace {

std::string Bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

// A Pub/Sub frame: "*N" in RESP2, ">N" in RESP3, then bulk strings (and a trailing integer for
// subscribe confirmations).
std::string Frame(bool resp3, const std::vector<std::string>& parts) {
  std::string out = (resp3 ? ">" : "*") + std::to_string(parts.size()) + "\r\n";
  for (const std::string& p : parts) out += Bulk(p);
  return out;
}

std::string Confirm(bool resp3, const std::string& kind, const std::string& name, int count) {
  return (resp3 ? ">3\r\n" : "*3\r\n") + Bulk(kind) + Bulk(name) + ":" + std::to_string(count) +
         "\r\n";
}

class Fixture : public ControlledServerFixture {
 public:
  explicit Fixture(ServerKind kind) : ControlledServerFixture(kind, 4) {}

  // Polls until `call` answers `want` (bounded); returns the last answer.
  std::string WaitFor(const std::vector<std::string>& call, const std::string& want) {
    std::string last;
    for (int i = 0; i < 2000; ++i) {
      last = control().Call(call);
      if (last == want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return last;
  }
};

TEST_CASE("PUBLISH reaches subscribers on every worker, channel subscribers before patterns") {
  STASH_FOR_EACH_SERVER(kind);
  Fixture f(kind);
  // Six subscribers: with four workers they land on different threads than the publisher.
  std::vector<RespClient> subs;
  for (int i = 0; i < 6; ++i) {
    subs.push_back(f.Connect());
    bool resp3 = i % 2 == 1;
    if (resp3) REQUIRE(subs.back().Call({"HELLO", "3"}).substr(0, 1) == "%");
    CHECK(subs.back().Call({"SUBSCRIBE", "news"}) == Confirm(resp3, "subscribe", "news", 1));
    CHECK(subs.back().Call({"PSUBSCRIBE", "n*"}) == Confirm(resp3, "psubscribe", "n*", 2));
  }
  RespClient publisher = f.Connect();
  CHECK(publisher.Call({"PUBSUB", "NUMSUB", "news"}) == "*2\r\n" + Bulk("news") + ":6\r\n");
  CHECK(publisher.Call({"PUBSUB", "NUMPAT"}) == ":1\r\n");
  CHECK(publisher.Call({"PUBLISH", "news", "hello"}) == ":12\r\n");
  CHECK(publisher.Call({"PUBLISH", "nope", "x"}) == ":6\r\n");
  CHECK(publisher.Call({"PUBLISH", "other", "x"}) == ":0\r\n");
  for (int i = 0; i < 6; ++i) {
    bool resp3 = i % 2 == 1;
    CHECK(subs[i].ReadReply() == Frame(resp3, {"message", "news", "hello"}));
    CHECK(subs[i].ReadReply() == Frame(resp3, {"pmessage", "n*", "news", "hello"}));
    CHECK(subs[i].ReadReply() == Frame(resp3, {"pmessage", "n*", "nope", "x"}));
  }
  // Many messages keep their order per subscriber.
  for (int m = 0; m < 200; ++m) {
    CHECK(publisher.Call({"PUBLISH", "news", std::to_string(m)}) == ":12\r\n");
  }
  for (int i = 0; i < 6; ++i) {
    bool resp3 = i % 2 == 1;
    for (int m = 0; m < 200; ++m) {
      CHECK(subs[i].ReadReply() == Frame(resp3, {"message", "news", std::to_string(m)}));
      CHECK(subs[i].ReadReply() == Frame(resp3, {"pmessage", "n*", "news", std::to_string(m)}));
    }
  }
  // A closed subscriber is forgotten.
  subs[0].Close();
  CHECK(f.WaitFor({"PUBSUB", "NUMSUB", "news"}, "*2\r\n" + Bulk("news") + ":5\r\n") ==
        "*2\r\n" + Bulk("news") + ":5\r\n");
}

TEST_CASE("CLIENT LIST and INFO show subscriptions") {
  STASH_FOR_EACH_SERVER(kind);
  Fixture f(kind);
  RespClient sub = f.Connect();
  CHECK(sub.Call({"SUBSCRIBE", "a"}) == Confirm(false, "subscribe", "a", 1));
  CHECK(sub.Call({"SUBSCRIBE", "b"}) == Confirm(false, "subscribe", "b", 2));
  CHECK(sub.Call({"PSUBSCRIBE", "p*"}) == Confirm(false, "psubscribe", "p*", 3));
  CHECK(sub.Call({"SSUBSCRIBE", "s"}) == Confirm(false, "ssubscribe", "s", 1));
  std::string list = f.control().Call({"CLIENT", "LIST", "TYPE", "pubsub"});
  CHECK(list.find(" flags=P ") != std::string::npos);
  CHECK(list.find(" sub=2 psub=1 ssub=1 ") != std::string::npos);
  CHECK(list.find(" cmd=ssubscribe ") != std::string::npos);
  std::string info = f.control().Call({"INFO", "stats"});
  CHECK(info.find("pubsub_channels:2\r\n") != std::string::npos);
  CHECK(info.find("pubsub_patterns:1\r\n") != std::string::npos);
  CHECK(info.find("pubsubshard_channels:1\r\n") != std::string::npos);
  // A killed subscriber is gone at once for the commands that follow.
  CHECK(f.control().Call({"CLIENT", "KILL", "TYPE", "pubsub"}) == ":1\r\n");
  CHECK(f.control().Call({"PUBSUB", "NUMSUB", "a"}) == "*2\r\n" + Bulk("a") + ":0\r\n");
  CHECK(f.control().Call({"PUBSUB", "NUMPAT"}) == ":0\r\n");
  CHECK(f.control().Call({"PUBLISH", "a", "m"}) == ":0\r\n");
  CHECK(f.control().Call({"PUBSUB", "CHANNELS"}) == "*0\r\n");
}

TEST_CASE("RESP3 tracking: another client's write invalidates within one round trip") {
  STASH_FOR_EACH_SERVER(kind);
  Fixture f(kind);
  RespClient reader = f.Connect();
  RespClient writer = f.Connect();
  REQUIRE(reader.Call({"HELLO", "3"}).substr(0, 1) == "%");
  CHECK(reader.Call({"CLIENT", "TRACKING", "on"}) == "+OK\r\n");
  CHECK(writer.Call({"SET", "k", "v1"}) == "+OK\r\n");
  CHECK(reader.Call({"GET", "k"}) == Bulk("v1"));
  CHECK(writer.Call({"SET", "k", "v2"}) == "+OK\r\n");
  // The next round trip of the reader sees the invalidation before its own reply.
  CHECK(reader.Call({"PING"}) == ">2\r\n" + Bulk("invalidate") + "*1\r\n" + Bulk("k"));
  CHECK(reader.ReadReply() == "+PONG\r\n");
  // Not tracked any more until read again.
  CHECK(writer.Call({"SET", "k", "v3"}) == "+OK\r\n");
  CHECK(reader.Call({"PING"}) == "+PONG\r\n");
  // Expiry invalidates too (whichever of lazy or active expiry deletes it).
  CHECK(writer.Call({"SET", "e", "v", "PX", "20"}) == "+OK\r\n");
  CHECK(reader.Call({"GET", "e"}) == Bulk("v"));
  CHECK(f.WaitFor({"PTTL", "e"}, ":-2\r\n") == ":-2\r\n");
  CHECK(reader.Call({"PING"}) == ">2\r\n" + Bulk("invalidate") + "*1\r\n" + Bulk("e"));
  CHECK(reader.ReadReply() == "+PONG\r\n");
  // A flush invalidates everything with a null.
  CHECK(reader.Call({"GET", "k"}) == Bulk("v3"));
  CHECK(writer.Call({"FLUSHALL"}) == "+OK\r\n");
  CHECK(reader.Call({"PING"}) == ">2\r\n" + Bulk("invalidate") + "_\r\n");
  CHECK(reader.ReadReply() == "+PONG\r\n");
  std::string info = f.control().Call({"INFO", "clients"});
  CHECK(info.find("tracking_clients:1\r\n") != std::string::npos);
}

TEST_CASE("RESP2 tracking redirects invalidations to a __redis__:invalidate subscriber") {
  STASH_FOR_EACH_SERVER(kind);
  Fixture f(kind);
  RespClient listener = f.Connect();
  RespClient reader = f.Connect();
  RespClient writer = f.Connect();
  std::string listener_id = ClientId(listener);
  CHECK(listener.Call({"SUBSCRIBE", "__redis__:invalidate"}) ==
        Confirm(false, "subscribe", "__redis__:invalidate", 1));
  CHECK(reader.Call({"CLIENT", "TRACKING", "on", "REDIRECT", listener_id}) == "+OK\r\n");
  CHECK(reader.Call({"CLIENT", "GETREDIR"}) == ":" + listener_id + "\r\n");
  CHECK(reader.Call({"MGET", "a", "b"}) == "*2\r\n$-1\r\n$-1\r\n");
  CHECK(writer.Call({"MSET", "a", "1", "b", "2"}) == "+OK\r\n");
  std::string prefix = "*3\r\n" + Bulk("message") + Bulk("__redis__:invalidate");
  CHECK(listener.ReadReply() == prefix + "*1\r\n" + Bulk("a"));
  CHECK(listener.ReadReply() == prefix + "*1\r\n" + Bulk("b"));
  // The reader's own write is reported too (no NOLOOP).
  CHECK(reader.Call({"GET", "c"}) == "$-1\r\n");
  CHECK(reader.Call({"SET", "c", "x"}) == "+OK\r\n");
  CHECK(listener.ReadReply() == prefix + "*1\r\n" + Bulk("c"));
  CHECK(writer.Call({"FLUSHDB"}) == "+OK\r\n");
  CHECK(listener.ReadReply() == prefix + "$-1\r\n");
  // BCAST with a prefix: every matching key, batched per command.
  CHECK(reader.Call({"CLIENT", "TRACKING", "off"}) == "+OK\r\n");
  CHECK(reader.Call({"CLIENT", "TRACKING", "on", "REDIRECT", listener_id, "BCAST", "PREFIX",
                     "user:"}) == "+OK\r\n");
  CHECK(writer.Call({"MSET", "user:2", "x", "user:1", "y", "item:1", "z"}) == "+OK\r\n");
  CHECK(listener.ReadReply() == prefix + "*2\r\n" + Bulk("user:1") + Bulk("user:2"));
  // When the listener goes away the redirect is broken.
  listener.Close();
  CHECK(f.WaitFor({"PUBSUB", "NUMSUB", "__redis__:invalidate"},
                  "*2\r\n" + Bulk("__redis__:invalidate") + ":0\r\n") ==
        "*2\r\n" + Bulk("__redis__:invalidate") + ":0\r\n");
  CHECK(writer.Call({"SET", "user:3", "x"}) == "+OK\r\n");
  std::string tracking = reader.Call({"CLIENT", "TRACKINGINFO"});
  CHECK(tracking.find(Bulk("broken_redirect")) != std::string::npos);
}

TEST_CASE("keyspace notifications of other clients' writes and of expiry") {
  STASH_FOR_EACH_SERVER(kind);
  Fixture f(kind);
  RespClient sub = f.Connect();
  RespClient writer = f.Connect();
  CHECK(writer.Call({"CONFIG", "SET", "notify-keyspace-events", "KEA"}) == "+OK\r\n");
  CHECK(sub.Call({"PSUBSCRIBE", "__keyspace@0__:*"}) ==
        Confirm(false, "psubscribe", "__keyspace@0__:*", 1));
  CHECK(sub.Call({"SUBSCRIBE", "__keyevent@0__:del"}) ==
        Confirm(false, "subscribe", "__keyevent@0__:del", 2));
  auto space = [](const std::string& key, const std::string& event) {
    return Frame(false, {"pmessage", "__keyspace@0__:*", "__keyspace@0__:" + key, event});
  };
  auto del = [](const std::string& key) {
    return Frame(false, {"message", "__keyevent@0__:del", key});
  };
  CHECK(writer.Call({"SET", "k", "v"}) == "+OK\r\n");
  CHECK(sub.ReadReply() == space("k", "set"));
  CHECK(writer.Call({"DEL", "k"}) == ":1\r\n");
  CHECK(sub.ReadReply() == space("k", "del"));
  CHECK(sub.ReadReply() == del("k"));
  CHECK(writer.Call({"ZADD", "z", "1", "a", "2", "b"}) == ":2\r\n");
  CHECK(sub.ReadReply() == space("z", "zadd"));
  CHECK(writer.Call({"ZPOPMIN", "z"}).substr(0, 2) == "*2");
  CHECK(sub.ReadReply() == space("z", "zpopmin"));
  CHECK(writer.Call({"ZPOPMAX", "z", "5"}).substr(0, 2) == "*2");
  CHECK(sub.ReadReply() == space("z", "zpopmax"));
  CHECK(sub.ReadReply() == space("z", "del"));
  CHECK(sub.ReadReply() == del("z"));
  // A blocked pop served by another client's push: the push, then the pop and the deletion.
  RespClient waiter = f.ConnectBlocked({"BLPOP", "q", "0"});
  CHECK(writer.Call({"RPUSH", "q", "job"}) == ":1\r\n");
  CHECK(waiter.ReadReply() == "*2\r\n" + Bulk("q") + Bulk("job"));
  CHECK(sub.ReadReply() == space("q", "rpush"));
  CHECK(sub.ReadReply() == space("q", "lpop"));
  CHECK(sub.ReadReply() == space("q", "del"));
  CHECK(sub.ReadReply() == del("q"));
  // Another database has its own channels.
  CHECK(writer.Call({"SELECT", "3"}) == "+OK\r\n");
  CHECK(writer.Call({"SET", "k3", "v"}) == "+OK\r\n");
  CHECK(writer.Call({"SELECT", "0"}) == "+OK\r\n");
  // Expiry: "expired", whether a read or the active cycle deletes the key.
  CHECK(writer.Call({"SET", "e", "v", "PX", "20"}) == "+OK\r\n");
  CHECK(sub.ReadReply() == space("e", "set"));
  CHECK(sub.ReadReply() == space("e", "expire"));
  CHECK(f.WaitFor({"PTTL", "e"}, ":-2\r\n") == ":-2\r\n");
  CHECK(sub.ReadReply() == space("e", "expired"));
  // Nothing was published for database 3 on these channels, and nothing else is pending.
  CHECK(writer.Call({"PUBLISH", "__keyevent@0__:del", "marker"}) == ":1\r\n");
  CHECK(sub.ReadReply() == del("marker"));
}

TEST_CASE("expired and evicted events come from active expiry and eviction, no read needed") {
  STASH_FOR_EACH_SERVER(kind);
  Fixture f(kind);
  RespClient sub = f.Connect();
  RespClient writer = f.Connect();
  CHECK(writer.Call({"CONFIG", "SET", "notify-keyspace-events", "Exe"}) == "+OK\r\n");
  CHECK(sub.Call({"SUBSCRIBE", "__keyevent@0__:expired"}) ==
        Confirm(false, "subscribe", "__keyevent@0__:expired", 1));
  CHECK(sub.Call({"SUBSCRIBE", "__keyevent@0__:evicted"}) ==
        Confirm(false, "subscribe", "__keyevent@0__:evicted", 2));
  // Nobody reads "short": the server's own expiry cycle must find it and announce it.
  CHECK(writer.Call({"SET", "short", "v", "PX", "30"}) == "+OK\r\n");
  CHECK(sub.ReadReply() == Frame(false, {"message", "__keyevent@0__:expired", "short"}));
  // Under allkeys-lru with no room, writing evicts: the first eviction is announced.
  CHECK(writer.Call({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}) == "+OK\r\n");
  for (int i = 0; i < 50; ++i) {
    CHECK(writer.Call({"SET", "fill:" + std::to_string(i), std::string(1000, 'x')}) ==
          "+OK\r\n");
  }
  CHECK(writer.Call({"CONFIG", "SET", "maxmemory", "1"}) == "+OK\r\n");
  // Everything is evicted and memory still exceeds 1 byte: the write itself is refused.
  CHECK(writer.Call({"SET", "trigger", "v"}) ==
        "-OOM command not allowed when used memory > 'maxmemory'.\r\n");
  std::string evicted = sub.ReadReply().value_or("");
  CHECK(evicted.find("__keyevent@0__:evicted") != std::string::npos);
  CHECK(evicted.find("fill:") != std::string::npos);
  CHECK(writer.Call({"CONFIG", "SET", "maxmemory", "0"}) == "+OK\r\n");
}

TEST_CASE("the idle timeout closes normal clients but not subscribers") {
  STASH_FOR_EACH_SERVER(kind);
  Fixture f(kind);
  RespClient sub = f.Connect();
  RespClient idle = f.Connect();
  CHECK(sub.Call({"SUBSCRIBE", "quiet"}) == Confirm(false, "subscribe", "quiet", 1));
  CHECK(idle.Call({"PING"}) == "+PONG\r\n");
  CHECK(f.control().Call({"CONFIG", "SET", "timeout", "1"}) == "+OK\r\n");
  // The idle client (and the idle control connection) are closed; the subscriber stays.
  std::string partial;
  CHECK(idle.ReadUntilClose(&partial).has_value());
  CHECK(sub.Call({"PING"}) == "*2\r\n" + Bulk("pong") + Bulk(""));
  RespClient fresh = f.Connect();
  CHECK(fresh.Call({"CONFIG", "SET", "timeout", "0"}) == "+OK\r\n");
}

TEST_CASE("a subscriber that does not read is cut off at the pubsub output buffer hard limit") {
  STASH_FOR_EACH_SERVER(kind);
  Fixture f(kind);
  CHECK(f.control().Call({"CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 0 0"}) ==
        "+OK\r\n");
  RespClient slow = f.Connect();
  CHECK(slow.Call({"SUBSCRIBE", "flood"}) == Confirm(false, "subscribe", "flood", 1));
  RespClient publisher = f.Connect();
  std::string payload(64 * 1024, 'x');
  // The socket buffers absorb some megabytes first; the publisher never waits for the
  // subscriber, and at some point the server drops it.
  bool dropped = false;
  for (int i = 0; i < 4000 && !dropped; ++i) {
    std::string reply = publisher.Call({"PUBLISH", "flood", payload});
    REQUIRE((reply == ":1\r\n" || reply == ":0\r\n"));
    dropped = reply == ":0\r\n";
  }
  CHECK(dropped);
  // The subscriber sees its connection closed after whatever had reached its socket.
  std::string partial;
  CHECK(slow.ReadUntilClose(&partial).has_value());
}

TEST_CASE("a subscriber above the soft limit for longer than its seconds is cut off") {
  STASH_FOR_EACH_SERVER(kind);
  Fixture f(kind);
  CHECK(f.control().Call({"CONFIG", "SET", "client-output-buffer-limit", "pubsub 0 256kb 1"}) ==
        "+OK\r\n");
  RespClient slow = f.Connect();
  CHECK(slow.Call({"SUBSCRIBE", "flood"}) == Confirm(false, "subscribe", "flood", 1));
  RespClient publisher = f.Connect();
  std::string payload(16 * 1024, 'x');
  // Keep publishing (the limit is checked as output is added) until the server drops the
  // subscriber: at least a second after the output first passed the soft limit.
  auto start = std::chrono::steady_clock::now();
  bool dropped = false;
  while (!dropped && std::chrono::steady_clock::now() - start < std::chrono::seconds(30)) {
    dropped = publisher.Call({"PUBLISH", "flood", payload}) == ":0\r\n";
    if (!dropped) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  CHECK(dropped);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::seconds(1));
}

TEST_CASE("a normal client whose replies pass the normal class's hard limit is closed without them") {
  STASH_FOR_EACH_SERVER(kind);
  Fixture f(kind);
  CHECK(f.control().Call({"SET", "big", std::string(200 * 1024, 'x')}) == "+OK\r\n");
  CHECK(f.control().Call({"SET", "small", "v"}) == "+OK\r\n");
  CHECK(f.control().Call({"CONFIG", "SET", "client-output-buffer-limit", "normal 100kb 0 0"}) ==
        "+OK\r\n");
  // Below the limit a client is served as before.
  RespClient modest = f.Connect();
  CHECK(modest.Call({"GET", "small"}) == "$1\r\nv\r\n");
  // A round of commands whose replies pass it: the client is closed, and none of its pending
  // replies is sent.
  RespClient greedy = f.Connect();
  REQUIRE(greedy.SendRaw("GET big\r\nPING\r\n"));
  std::string partial;
  std::optional<std::string> got = greedy.ReadUntilClose(&partial);
  REQUIRE_MESSAGE(got.has_value(), "not closed; read ", partial.size(), " bytes");
  CHECK(got->empty());
  // Other clients go on.
  CHECK(modest.Call({"GET", "small"}) == "$1\r\nv\r\n");
  CHECK(f.control().Call({"CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0"}) ==
        "+OK\r\n");
  CHECK(modest.Call({"STRLEN", "big"}) == ":204800\r\n");
}

}  // namespace
}  // namespace stash::test
