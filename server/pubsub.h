// Pub/Sub: who listens to which channel or pattern, and delivery of messages across worker
// threads. A subscriber is reached through its ClientInfo::push, which posts the bytes to the
// subscriber's own worker: a publisher never waits for a subscriber, however slow. A subscriber
// whose unsent output passes client-output-buffer-limit pubsub is closed by its connection.
//
// Messages for the client whose command is running on this thread (a RESP3 client publishing
// to itself, a keyspace event about its own write) go straight into its reply buffer, before
// the command's reply, as in Redis.
#ifndef STASH_SERVER_PUBSUB_H_
#define STASH_SERVER_PUBSUB_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocol/reply_builder.h"
#include "server/client_state.h"

namespace stash::server {

class Config;
struct ServerState;

// Unsubscribes the client from everything, without replies (RESET, disconnect).
void DropClientSubscriptions(ServerState& server, ClientState& client);

// Global channels (SUBSCRIBE/PUBLISH) or shard channels (SSUBSCRIBE/SPUBLISH): separate name
// spaces, as in Redis 7. Patterns apply to global channels only.
enum class ChannelScope { kGlobal = 0, kShard = 1 };

// The client whose command runs on this thread, so deliveries to it keep Redis's order: Pub/Sub
// messages before the reply, tracking invalidations after it. Set by the dispatcher.
class CurrentClientScope {
 public:
  CurrentClientScope(uint64_t id, protocol::ReplyBuilder* reply);
  ~CurrentClientScope();
  CurrentClientScope(const CurrentClientScope&) = delete;
  CurrentClientScope& operator=(const CurrentClientScope&) = delete;

  // Id of the client running a command on this thread, 0 outside commands.
  static uint64_t Id();
  // Output for the current client that must follow its reply; the dispatcher appends it.
  static std::string* Deferred();

 private:
  uint64_t saved_id_;
  protocol::ReplyBuilder* saved_reply_;
};

// While one is alive on a thread, what that thread sends to other clients is gathered and
// handed over at its end, one post per client: a pipeline of PUBLISH commands reaches each
// subscriber's worker as one batch. The connection holds one around each round of commands,
// so deliveries are posted before the publisher's replies are written.
class PushBatchScope {
 public:
  PushBatchScope();
  ~PushBatchScope();
  PushBatchScope(const PushBatchScope&) = delete;
  PushBatchScope& operator=(const PushBatchScope&) = delete;
};

// Sends bytes that answer no command (a message, an invalidation) to a client, from any thread.
void PushToClient(ClientInfo& client, const std::shared_ptr<const std::string>& bytes);
// Same, but for the current client the bytes wait until its reply is complete.
void PushToClientAfterReply(ClientInfo& client, const std::shared_ptr<const std::string>& bytes);

// Encodes a Pub/Sub message, [kind, parts...] as a RESP2 array or a RESP3 push.
std::string EncodePubSubMessage(bool resp3, std::initializer_list<std::string_view> parts);

// client-output-buffer-limit for one client class, in bytes and seconds.
struct OutputLimit {
  uint64_t hard = 0;
  uint64_t soft = 0;
  int64_t soft_seconds = 0;
};

class PubSub {
 public:
  PubSub() = default;

  // Subscriptions of one client: true when it was not subscribed to it before.
  bool Subscribe(ChannelScope scope, const std::shared_ptr<ClientInfo>& client,
                 std::string_view channel);
  bool Unsubscribe(ChannelScope scope, uint64_t client_id, std::string_view channel);
  bool PSubscribe(const std::shared_ptr<ClientInfo>& client, std::string_view pattern);
  bool PUnsubscribe(uint64_t client_id, std::string_view pattern);

  // Delivers message to the subscribers of channel (and, for global channels, of the patterns
  // matching it). Returns how many deliveries were made, as PUBLISH answers.
  int64_t Publish(ChannelScope scope, std::string_view channel, std::string_view message);

  // PUBSUB CHANNELS / SHARDCHANNELS: channels with at least one subscriber matching pattern
  // (all of them when pattern is null).
  std::vector<std::string> Channels(ChannelScope scope, const std::string_view* pattern) const;
  int64_t NumSub(ChannelScope scope, std::string_view channel) const;
  // Distinct patterns with at least one subscriber.
  int64_t NumPat() const;
  int64_t ChannelCount(ChannelScope scope) const;

  // Cached configuration, refreshed when CONFIG SET changes it (see WatchConfig).
  // client-output-buffer-limit of the pubsub class (clients with subscriptions) and of the
  // normal class (every other client: Stash has no replicas).
  OutputLimit pubsub_limit() const { return settings_->pubsub_limit.Get(); }
  OutputLimit normal_limit() const { return settings_->normal_limit.Get(); }
  int notify_flags() const { return settings_->notify_flags.load(std::memory_order_relaxed); }
  // Reads notify-keyspace-events and client-output-buffer-limit now and after every change.
  void WatchConfig(const std::shared_ptr<Config>& config);

 private:
  using Subscribers = std::unordered_map<uint64_t, std::shared_ptr<ClientInfo>>;
  // Shared with the config hook, which may outlive this object.
  struct AtomicLimit {
    std::atomic<uint64_t> hard{0};
    std::atomic<uint64_t> soft{0};
    std::atomic<int64_t> seconds{0};
    OutputLimit Get() const {
      return {hard.load(std::memory_order_relaxed), soft.load(std::memory_order_relaxed),
              seconds.load(std::memory_order_relaxed)};
    }
    void Set(uint64_t h, uint64_t s, int64_t sec) {
      hard.store(h);
      soft.store(s);
      seconds.store(sec);
    }
  };
  struct Settings {
    std::atomic<int> notify_flags{0};
    AtomicLimit pubsub_limit;
    AtomicLimit normal_limit;
    void Load(const Config& config);
  };

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Subscribers> channels_[2];
  std::unordered_map<std::string, Subscribers> patterns_;
  std::shared_ptr<Settings> settings_ = std::make_shared<Settings>();
};

}  // namespace stash::server

#endif  // STASH_SERVER_PUBSUB_H_
