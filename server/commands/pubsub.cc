// SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE, SUNSUBSCRIBE, PUBLISH, SPUBLISH
// and PUBSUB, as Redis 7.0's pubsub.c. The registry is server/pubsub.h; the RESP2 "subscribed
// mode" restriction is the dispatcher's.
#include <string>
#include <vector>

#include "server/command_context.h"
#include "server/commands/server_common.h"
#include "server/pubsub.h"

namespace stash::server {
namespace {

// Redis's pubsubtype: the words of the confirmations and which subscriptions they count.
struct Kind {
  std::string_view subscribe_msg;
  std::string_view unsubscribe_msg;
  ChannelScope scope;
  bool pattern;
};
constexpr Kind kChannels{"subscribe", "unsubscribe", ChannelScope::kGlobal, false};
constexpr Kind kPatterns{"psubscribe", "punsubscribe", ChannelScope::kGlobal, true};
constexpr Kind kShardChannels{"ssubscribe", "sunsubscribe", ChannelScope::kShard, false};

std::unordered_set<std::string>& SetOf(ClientState& client, const Kind& kind) {
  if (kind.pattern) return client.patterns;
  return kind.scope == ChannelScope::kShard ? client.shard_channels : client.channels;
}

std::atomic<int>& CountOf(ClientInfo& info, const Kind& kind) {
  if (kind.pattern) return info.psubscriptions;
  return kind.scope == ChannelScope::kShard ? info.ssubscriptions : info.subscriptions;
}

// Redis counts channels and patterns together, shard channels apart.
int64_t SubscriptionCount(const ClientState& client, const Kind& kind) {
  if (kind.scope == ChannelScope::kShard) return static_cast<int64_t>(client.shard_channels.size());
  return static_cast<int64_t>(client.channels.size() + client.patterns.size());
}

// [subscribe|unsubscribe..., channel (or null), count], a push in RESP3.
void ReplySubscription(CommandContext& ctx, std::string_view word, const std::string_view* channel,
                       const Kind& kind) {
  ctx.reply.PushHeader(3);
  ctx.reply.Bulk(word);
  if (channel != nullptr) {
    ctx.reply.Bulk(*channel);
  } else {
    ctx.reply.Null();
  }
  ctx.reply.Integer(SubscriptionCount(ctx.client, kind));
}

bool Add(ServerState& server, ClientState& client, const Kind& kind, std::string_view name) {
  if (!SetOf(client, kind).emplace(name).second) return false;
  if (kind.pattern) {
    server.pubsub.PSubscribe(client.info, name);
  } else {
    server.pubsub.Subscribe(kind.scope, client.info, name);
  }
  CountOf(*client.info, kind).fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool Remove(ServerState& server, ClientState& client, const Kind& kind, std::string_view name) {
  auto& set = SetOf(client, kind);
  auto it = set.find(std::string(name));
  if (it == set.end()) return false;
  if (kind.pattern) {
    server.pubsub.PUnsubscribe(client.info->id, name);
  } else {
    server.pubsub.Unsubscribe(kind.scope, client.info->id, name);
  }
  set.erase(it);
  CountOf(*client.info, kind).fetch_sub(1, std::memory_order_relaxed);
  return true;
}

void SubscribeGeneric(CommandContext& ctx, const Kind& kind) {
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    Add(ctx.server, ctx.client, kind, ctx.args[i]);
    ReplySubscription(ctx, kind.subscribe_msg, &ctx.args[i], kind);
  }
}

void UnsubscribeGeneric(CommandContext& ctx, const Kind& kind) {
  if (ctx.args.size() > 1) {
    for (size_t i = 1; i < ctx.args.size(); ++i) {
      Remove(ctx.server, ctx.client, kind, ctx.args[i]);
      ReplySubscription(ctx, kind.unsubscribe_msg, &ctx.args[i], kind);
    }
    return;
  }
  // No names: all of them, and a reply with a null name when there were none.
  std::vector<std::string> all(SetOf(ctx.client, kind).begin(), SetOf(ctx.client, kind).end());
  for (const std::string& name : all) {
    Remove(ctx.server, ctx.client, kind, name);
    std::string_view view = name;
    ReplySubscription(ctx, kind.unsubscribe_msg, &view, kind);
  }
  if (all.empty()) ReplySubscription(ctx, kind.unsubscribe_msg, nullptr, kind);
}

void SubscribeCommand(CommandContext& ctx) { SubscribeGeneric(ctx, kChannels); }
void UnsubscribeCommand(CommandContext& ctx) { UnsubscribeGeneric(ctx, kChannels); }
void PSubscribeCommand(CommandContext& ctx) { SubscribeGeneric(ctx, kPatterns); }
void PUnsubscribeCommand(CommandContext& ctx) { UnsubscribeGeneric(ctx, kPatterns); }
void SSubscribeCommand(CommandContext& ctx) { SubscribeGeneric(ctx, kShardChannels); }
void SUnsubscribeCommand(CommandContext& ctx) { UnsubscribeGeneric(ctx, kShardChannels); }

void PublishCommand(CommandContext& ctx) {
  ctx.reply.Integer(ctx.server.pubsub.Publish(ChannelScope::kGlobal, ctx.args[1], ctx.args[2]));
}

void SPublishCommand(CommandContext& ctx) {
  ctx.reply.Integer(ctx.server.pubsub.Publish(ChannelScope::kShard, ctx.args[1], ctx.args[2]));
}

void PubsubContainerCommand(CommandContext& ctx) { SubcommandSyntaxError(ctx); }

void ChannelsGeneric(CommandContext& ctx, ChannelScope scope) {
  // Redis checks the count itself: `PUBSUB CHANNELS a b` is a subcommand syntax error.
  if (ctx.args.size() > 3) return SubcommandSyntaxError(ctx);
  std::vector<std::string> names =
      ctx.server.pubsub.Channels(scope, ctx.args.size() == 3 ? &ctx.args[2] : nullptr);
  ctx.reply.ArrayHeader(names.size());
  for (const std::string& name : names) ctx.reply.Bulk(name);
}

void NumsubGeneric(CommandContext& ctx, ChannelScope scope) {
  ctx.reply.ArrayHeader((ctx.args.size() - 2) * 2);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    ctx.reply.Bulk(ctx.args[i]);
    ctx.reply.Integer(ctx.server.pubsub.NumSub(scope, ctx.args[i]));
  }
}

void PubsubChannelsCommand(CommandContext& ctx) { ChannelsGeneric(ctx, ChannelScope::kGlobal); }
void PubsubShardChannelsCommand(CommandContext& ctx) {
  ChannelsGeneric(ctx, ChannelScope::kShard);
}
void PubsubNumsubCommand(CommandContext& ctx) { NumsubGeneric(ctx, ChannelScope::kGlobal); }
void PubsubShardNumsubCommand(CommandContext& ctx) { NumsubGeneric(ctx, ChannelScope::kShard); }
void PubsubNumpatCommand(CommandContext& ctx) { ctx.reply.Integer(ctx.server.pubsub.NumPat()); }

void PubsubHelpCommand(CommandContext& ctx) {
  ReplyHelp(ctx, {
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "SHARDCHANNELS [<pattern>]",
      "    Return the currently active shard level channels matching a <pattern> (default: '*').",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Return the number of subscribers for the specified shard level channel(s)",
  });
}

}  // namespace

void DropClientSubscriptions(ServerState& server, ClientState& client) {
  if (!client.subscribed() || !client.info) return;
  for (const Kind* kind : {&kChannels, &kPatterns, &kShardChannels}) {
    std::vector<std::string> all(SetOf(client, *kind).begin(), SetOf(client, *kind).end());
    for (const std::string& name : all) Remove(server, client, *kind, name);
  }
}

void RegisterPubsubCommands(CommandTable& table) {
  constexpr uint32_t kSub = kPubsub | kNoscript | kLoading | kStale | kNoKeyspace;
  constexpr uint32_t kPub = kPubsub | kLoading | kStale | kFast | kNoKeyspace;
  constexpr uint32_t kInfo = kPubsub | kLoading | kStale | kNoKeyspace;
  table.Add({"subscribe", -2, kSub, 0, 0, 0, SubscribeCommand, "pubsub",
             "Listen for messages published to the given channels", "2.0.0",
             "O(N) where N is the number of channels to subscribe to.", "pubsub slow"});
  table.Add({"unsubscribe", -1, kSub, 0, 0, 0, UnsubscribeCommand, "pubsub",
             "Stop listening for messages posted to the given channels", "2.0.0",
             "O(N) where N is the number of clients already subscribed to a channel.",
             "pubsub slow"});
  table.Add({"psubscribe", -2, kSub, 0, 0, 0, PSubscribeCommand, "pubsub",
             "Listen for messages published to channels matching the given patterns", "2.0.0",
             "O(N) where N is the number of patterns the client is already subscribed to.",
             "pubsub slow"});
  table.Add({"punsubscribe", -1, kSub, 0, 0, 0, PUnsubscribeCommand, "pubsub",
             "Stop listening for messages posted to channels matching the given patterns",
             "2.0.0",
             "O(N+M) where N is the number of patterns the client is already subscribed and M "
             "is the number of total patterns subscribed in the system (by any client).",
             "pubsub slow"});
  table.Add({"ssubscribe", -2, kSub, 1, -1, 1, SSubscribeCommand, "pubsub",
             "Listen for messages published to the given shard channels", "7.0.0",
             "O(N) where N is the number of shard channels to subscribe to.", "pubsub slow",
             nullptr, "not_key"});
  table.Add({"sunsubscribe", -1, kSub, 1, -1, 1, SUnsubscribeCommand, "pubsub",
             "Stop listening for messages posted to the given shard channels", "7.0.0",
             "O(N) where N is the number of clients already subscribed to a shard channel.",
             "pubsub slow", nullptr, "not_key"});
  table.Add({"publish", 3, kPub, 0, 0, 0, PublishCommand, "pubsub", "Post a message to a channel",
             "2.0.0",
             "O(N+M) where N is the number of clients subscribed to the receiving channel and M "
             "is the total number of subscribed patterns (by any client).",
             "pubsub fast"});
  table.Add({"spublish", 3, kPub, 1, 1, 1, SPublishCommand, "pubsub",
             "Post a message to a shard channel", "7.0.0",
             "O(N) where N is the number of clients subscribed to the receiving shard channel.",
             "pubsub fast", nullptr, "not_key"});
  table.Add({"pubsub", -2, kNoKeyspace, 0, 0, 0, PubsubContainerCommand, "pubsub",
             "A container for Pub/Sub commands", "2.8.0", "Depends on subcommand.", "slow"});
  auto sub = [&table](const CommandSpec& spec) { table.AddSubcommand("pubsub", spec); };
  sub({"pubsub|channels", -2, kInfo, 0, 0, 0, PubsubChannelsCommand, "pubsub",
       "List active channels", "2.8.0",
       "O(N) where N is the number of active channels, and assuming constant time pattern "
       "matching (relatively short channels and patterns)",
       "pubsub slow"});
  sub({"pubsub|numsub", -2, kInfo, 0, 0, 0, PubsubNumsubCommand, "pubsub",
       "Get the count of subscribers for channels", "2.8.0",
       "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
       "pubsub slow"});
  sub({"pubsub|numpat", 2, kInfo, 0, 0, 0, PubsubNumpatCommand, "pubsub",
       "Get the count of unique patterns pattern subscriptions", "2.8.0", "O(1)",
       "pubsub slow"});
  sub({"pubsub|shardchannels", -2, kInfo, 0, 0, 0, PubsubShardChannelsCommand, "pubsub",
       "List active shard channels", "7.0.0",
       "O(N) where N is the number of active shard channels, and assuming constant time "
       "pattern matching (relatively short shard channels).",
       "pubsub slow"});
  sub({"pubsub|shardnumsub", -2, kInfo, 0, 0, 0, PubsubShardNumsubCommand, "pubsub",
       "Get the count of subscribers for shard channels", "7.0.0",
       "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
       "pubsub slow"});
  sub({"pubsub|help", 2, kLoading | kStale | kNoKeyspace, 0, 0, 0, PubsubHelpCommand, "pubsub",
       "Show helpful text about the different subcommands", "6.2.0", "O(1)", "slow"});
}

}  // namespace stash::server
