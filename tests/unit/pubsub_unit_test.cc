// The Pub/Sub registry and the tracking table without a network: deliveries are captured from
// ClientInfo::push, so the exact bytes each client would be sent can be checked.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "server/notify.h"
#include "server/pubsub.h"
#include "server/server_state.h"
#include "server/tracking.h"

namespace stash::server {
namespace {

struct FakeClient {
  std::shared_ptr<ClientInfo> info = std::make_shared<ClientInfo>();
  std::vector<std::string> received;

  FakeClient(ClientRegistry& registry, int resp) {
    info->id = registry.NextId();
    info->resp.store(resp);
    info->push = [this](std::shared_ptr<const std::string> bytes) { received.push_back(*bytes); };
    registry.Add(info);
  }
};

TEST_CASE("Publish counts channel and pattern deliveries and encodes per protocol") {
  ClientRegistry registry;
  PubSub pubsub;
  FakeClient resp2(registry, 2), resp3(registry, 3);
  CHECK(pubsub.Subscribe(ChannelScope::kGlobal, resp2.info, "news"));
  CHECK_FALSE(pubsub.Subscribe(ChannelScope::kGlobal, resp2.info, "news"));
  CHECK(pubsub.PSubscribe(resp3.info, "n*"));
  CHECK(pubsub.Subscribe(ChannelScope::kShard, resp3.info, "news"));
  CHECK(pubsub.Publish(ChannelScope::kGlobal, "news", "hi") == 2);
  CHECK(resp2.received == std::vector<std::string>{
                              "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n"});
  CHECK(resp3.received == std::vector<std::string>{
                              ">4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n"});
  // Shard channels are their own name space, without patterns.
  CHECK(pubsub.Publish(ChannelScope::kShard, "news", "s") == 1);
  CHECK(resp3.received.back() == ">3\r\n$8\r\nsmessage\r\n$4\r\nnews\r\n$1\r\ns\r\n");
  CHECK(pubsub.NumSub(ChannelScope::kGlobal, "news") == 1);
  CHECK(pubsub.NumPat() == 1);
  CHECK(pubsub.ChannelCount(ChannelScope::kShard) == 1);
  CHECK(pubsub.Unsubscribe(ChannelScope::kGlobal, resp2.info->id, "news"));
  CHECK_FALSE(pubsub.Unsubscribe(ChannelScope::kGlobal, resp2.info->id, "news"));
  CHECK(pubsub.ChannelCount(ChannelScope::kGlobal) == 0);
  CHECK(pubsub.Publish(ChannelScope::kGlobal, "nope", "x") == 1);  // the pattern only
}

TEST_CASE("a delivery to the client running a command goes into its reply") {
  ClientRegistry registry;
  PubSub pubsub;
  FakeClient self(registry, 3), other(registry, 3);
  pubsub.Subscribe(ChannelScope::kGlobal, self.info, "c");
  pubsub.Subscribe(ChannelScope::kGlobal, other.info, "c");
  std::string out;
  protocol::ReplyBuilder reply(&out);
  {
    CurrentClientScope scope(self.info->id, &reply);
    CHECK(pubsub.Publish(ChannelScope::kGlobal, "c", "m") == 2);
  }
  CHECK(out == ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n");
  CHECK(self.received.empty());
  CHECK(other.received.size() == 1);
}

TEST_CASE("a PushBatchScope hands each client its messages in one piece at its end") {
  ClientRegistry registry;
  PubSub pubsub;
  FakeClient a(registry, 2), b(registry, 2);
  pubsub.Subscribe(ChannelScope::kGlobal, a.info, "c");
  pubsub.Subscribe(ChannelScope::kGlobal, b.info, "c");
  {
    PushBatchScope batch;
    {
      PushBatchScope nested;  // only the outermost scope hands over
      pubsub.Publish(ChannelScope::kGlobal, "c", "1");
    }
    pubsub.Publish(ChannelScope::kGlobal, "c", "2");
    CHECK(a.received.empty());
  }
  std::string both = "*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\n1\r\n"
                     "*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\n2\r\n";
  CHECK(a.received == std::vector<std::string>{both});
  CHECK(b.received == std::vector<std::string>{both});
}

TEST_CASE("tracking: one invalidation per remembered key, NOLOOP, BCAST batching, flush") {
  ClientRegistry registry;
  Tracking tracking(registry);
  FakeClient reader(registry, 3), bcast(registry, 3), writer(registry, 2);
  tracking.Enable(reader.info, {});
  TrackingOptions b;
  b.bcast = true;
  b.noloop = true;
  b.prefixes = {"user:"};
  CHECK(tracking.Check(bcast.info->id, b).empty());
  tracking.Enable(bcast.info, b);
  CHECK(tracking.tracking_clients() == 2);
  tracking.RememberKeys(reader.info->id, {"k", "user:1"});
  CHECK(tracking.total_keys() == 2);
  tracking.KeyModified("k", writer.info->id);
  tracking.KeyModified("k", writer.info->id);  // forgotten after the first invalidation
  CHECK(reader.received ==
        std::vector<std::string>{">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n"});
  tracking.KeyModified("user:2", writer.info->id);
  tracking.KeyModified("user:1", bcast.info->id);  // NOLOOP: bcast's own write is left out
  CHECK(bcast.received.empty());
  tracking.FlushBroadcasts();
  CHECK(bcast.received == std::vector<std::string>{
                              ">2\r\n$10\r\ninvalidate\r\n*1\r\n$6\r\nuser:2\r\n"});
  tracking.InvalidateAll();
  CHECK(reader.received.back() == ">2\r\n$10\r\ninvalidate\r\n_\r\n");
  CHECK(tracking.total_keys() == 0);
  tracking.Disable(bcast.info->id);
  CHECK(tracking.total_prefixes() == 0);
  CHECK(tracking.InfoOf(bcast.info->id).on == false);
}

TEST_CASE("tracking-table-max-keys: remembering past the limit invalidates another key") {
  ClientRegistry registry;
  Tracking tracking(registry);
  FakeClient reader(registry, 3);
  tracking.Enable(reader.info, {});
  tracking.RememberKeys(reader.info->id, {"a"}, 2);
  tracking.RememberKeys(reader.info->id, {"b"}, 2);
  CHECK(reader.received.empty());
  tracking.RememberKeys(reader.info->id, {"c"}, 2);
  CHECK(tracking.total_keys() == 2);
  REQUIRE(reader.received.size() == 1);
  CHECK((reader.received[0] == ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n" ||
         reader.received[0] == ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nb\r\n"));
  // The key just read is never the one dropped.
  tracking.KeyModified("c", 0);
  CHECK(reader.received.size() == 2);
}

TEST_CASE("notify-keyspace-events letters") {
  CHECK(ParseKeyspaceEventFlags("") == 0);
  CHECK(ParseKeyspaceEventFlags("KEA") == (kNotifyKeyspace | kNotifyKeyevent | kNotifyAll));
  CHECK((ParseKeyspaceEventFlags("Kx") & kNotifyExpired) != 0);
  CHECK(ParseKeyspaceEventFlags("Kq") == -1);
}

}  // namespace
}  // namespace stash::server
