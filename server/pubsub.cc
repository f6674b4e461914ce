#include "server/pubsub.h"

#include <mutex>
#include <sstream>

#include "server/config.h"
#include "server/notify.h"
#include "storage/glob.h"

namespace stash::server {
namespace {

struct CurrentClient {
  uint64_t id = 0;
  protocol::ReplyBuilder* reply = nullptr;
  std::string deferred;
};
thread_local CurrentClient current;

struct PendingPushes {
  int depth = 0;
  std::vector<std::pair<std::shared_ptr<ClientInfo>, std::string>> out;
  std::unordered_map<const ClientInfo*, size_t> index;  // position in out
};
thread_local PendingPushes pending;

// Posts now, or gathers while a PushBatchScope is alive on this thread.
void Post(ClientInfo& client, const std::shared_ptr<const std::string>& bytes) {
  if (!client.push) return;
  if (pending.depth == 0) {
    client.push(bytes);
    return;
  }
  auto [it, inserted] = pending.index.emplace(&client, pending.out.size());
  if (inserted) {
    pending.out.emplace_back(client.shared_from_this(), *bytes);
  } else {
    pending.out[it->second].second += *bytes;
  }
}

void AppendBulk(std::string* out, std::string_view s) {
  out->push_back('$');
  out->append(std::to_string(s.size()));
  out->append("\r\n");
  out->append(s);
  out->append("\r\n");
}

// A killed client stays registered until its worker has closed it; Redis frees it at once, so
// it neither receives nor counts from then on.
bool Live(const ClientInfo& c) { return !c.killed.load(std::memory_order_relaxed); }

template <typename Subscribers>
int64_t LiveCount(const Subscribers& subs) {
  int64_t n = 0;
  for (const auto& [id, client] : subs) n += Live(*client) ? 1 : 0;
  return n;
}

}  // namespace

CurrentClientScope::CurrentClientScope(uint64_t id, protocol::ReplyBuilder* reply)
    : saved_id_(current.id), saved_reply_(current.reply) {
  current.id = id;
  current.reply = reply;
}

CurrentClientScope::~CurrentClientScope() {
  current.id = saved_id_;
  current.reply = saved_reply_;
}

uint64_t CurrentClientScope::Id() { return current.id; }

PushBatchScope::PushBatchScope() { ++pending.depth; }

PushBatchScope::~PushBatchScope() {
  if (--pending.depth > 0 || pending.out.empty()) return;
  auto out = std::move(pending.out);
  pending.out.clear();
  pending.index.clear();
  for (auto& [client, bytes] : out) {
    client->push(std::make_shared<const std::string>(std::move(bytes)));
  }
}
std::string* CurrentClientScope::Deferred() { return &current.deferred; }

void PushToClient(ClientInfo& client, const std::shared_ptr<const std::string>& bytes) {
  if (client.id == current.id && current.reply != nullptr) {
    current.reply->Raw(*bytes);
  } else {
    Post(client, bytes);
  }
}

void PushToClientAfterReply(ClientInfo& client, const std::shared_ptr<const std::string>& bytes) {
  if (client.id == current.id && current.reply != nullptr) {
    current.deferred += *bytes;
  } else {
    Post(client, bytes);
  }
}

std::string EncodePubSubMessage(bool resp3, std::initializer_list<std::string_view> parts) {
  std::string out;
  out.push_back(resp3 ? '>' : '*');
  out.append(std::to_string(parts.size()));
  out.append("\r\n");
  for (std::string_view p : parts) AppendBulk(&out, p);
  return out;
}

bool PubSub::Subscribe(ChannelScope scope, const std::shared_ptr<ClientInfo>& client,
                       std::string_view channel) {
  std::unique_lock lock(mu_);
  auto& subs = channels_[static_cast<int>(scope)][std::string(channel)];
  return subs.emplace(client->id, client).second;
}

bool PubSub::Unsubscribe(ChannelScope scope, uint64_t client_id, std::string_view channel) {
  std::unique_lock lock(mu_);
  auto& map = channels_[static_cast<int>(scope)];
  auto it = map.find(std::string(channel));
  if (it == map.end() || it->second.erase(client_id) == 0) return false;
  if (it->second.empty()) map.erase(it);
  return true;
}

bool PubSub::PSubscribe(const std::shared_ptr<ClientInfo>& client, std::string_view pattern) {
  std::unique_lock lock(mu_);
  return patterns_[std::string(pattern)].emplace(client->id, client).second;
}

bool PubSub::PUnsubscribe(uint64_t client_id, std::string_view pattern) {
  std::unique_lock lock(mu_);
  auto it = patterns_.find(std::string(pattern));
  if (it == patterns_.end() || it->second.erase(client_id) == 0) return false;
  if (it->second.empty()) patterns_.erase(it);
  return true;
}

int64_t PubSub::Publish(ChannelScope scope, std::string_view channel, std::string_view message) {
  // One encoding per protocol, shared by every receiver using it.
  std::shared_ptr<const std::string> encoded[2];
  auto deliver = [&encoded](ClientInfo& c, auto&& encode) {
    int resp3 = c.resp.load(std::memory_order_relaxed) == 3 ? 1 : 0;
    if (!encoded[resp3]) encoded[resp3] = std::make_shared<const std::string>(encode(resp3 == 1));
    PushToClient(c, encoded[resp3]);
  };
  int64_t receivers = 0;
  std::shared_lock lock(mu_);
  const auto& map = channels_[static_cast<int>(scope)];
  auto it = map.find(std::string(channel));
  if (it != map.end()) {
    std::string_view kind = scope == ChannelScope::kShard ? "smessage" : "message";
    for (auto& [id, client] : it->second) {
      if (!Live(*client)) continue;
      deliver(*client, [&](bool resp3) {
        return EncodePubSubMessage(resp3, {kind, channel, message});
      });
      ++receivers;
    }
  }
  if (scope == ChannelScope::kShard) return receivers;
  for (auto& [pattern, subs] : patterns_) {
    if (!storage::GlobMatch(pattern, channel)) continue;
    std::shared_ptr<const std::string> per_pattern[2];
    for (auto& [id, client] : subs) {
      if (!Live(*client)) continue;
      int resp3 = client->resp.load(std::memory_order_relaxed) == 3 ? 1 : 0;
      if (!per_pattern[resp3]) {
        per_pattern[resp3] = std::make_shared<const std::string>(
            EncodePubSubMessage(resp3 == 1, {"pmessage", pattern, channel, message}));
      }
      PushToClient(*client, per_pattern[resp3]);
      ++receivers;
    }
  }
  return receivers;
}

std::vector<std::string> PubSub::Channels(ChannelScope scope,
                                          const std::string_view* pattern) const {
  std::vector<std::string> out;
  std::shared_lock lock(mu_);
  for (const auto& [name, subs] : channels_[static_cast<int>(scope)]) {
    if (LiveCount(subs) == 0) continue;
    if (pattern == nullptr || storage::GlobMatch(*pattern, name)) out.push_back(name);
  }
  return out;
}

int64_t PubSub::NumSub(ChannelScope scope, std::string_view channel) const {
  std::shared_lock lock(mu_);
  const auto& map = channels_[static_cast<int>(scope)];
  auto it = map.find(std::string(channel));
  return it == map.end() ? 0 : LiveCount(it->second);
}

int64_t PubSub::NumPat() const {
  std::shared_lock lock(mu_);
  int64_t n = 0;
  for (const auto& [pattern, subs] : patterns_) n += LiveCount(subs) > 0 ? 1 : 0;
  return n;
}

int64_t PubSub::ChannelCount(ChannelScope scope) const {
  std::shared_lock lock(mu_);
  int64_t n = 0;
  for (const auto& [name, subs] : channels_[static_cast<int>(scope)]) {
    n += LiveCount(subs) > 0 ? 1 : 0;
  }
  return n;
}

void PubSub::Settings::Load(const Config& config) {
  int flags = ParseKeyspaceEventFlags(config.GetOne("notify-keyspace-events").value_or(""));
  notify_flags.store(flags < 0 ? 0 : flags);
  // "normal H S N slave H S N pubsub H S N", as CONFIG GET prints it.
  std::istringstream in(config.GetOne("client-output-buffer-limit").value_or(""));
  std::string cls;
  uint64_t hard, soft;
  int64_t seconds;
  while (in >> cls >> hard >> soft >> seconds) {
    if (cls == "pubsub") pubsub_limit.Set(hard, soft, seconds);
    if (cls == "normal") normal_limit.Set(hard, soft, seconds);
  }
}

void PubSub::WatchConfig(const std::shared_ptr<Config>& config) {
  settings_->Load(*config);
  config->AddApplyHook([weak_settings = std::weak_ptr<Settings>(settings_),
                        weak_config = std::weak_ptr<Config>(config)](std::string_view name) {
    if (name == "notify-keyspace-events" || name == "client-output-buffer-limit") {
      auto settings = weak_settings.lock();
      auto cfg = weak_config.lock();
      if (settings && cfg) settings->Load(*cfg);
    }
    return std::string();
  });
}

}  // namespace stash::server
