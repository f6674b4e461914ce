#include "server/tracking.h"

#include <cstring>

#include "server/pubsub.h"
#include "server/server_state.h"

namespace stash::server {
namespace {

bool PrefixesOverlap(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  return memcmp(a.data(), b.data(), n) == 0;
}

std::string KeyArray(const std::vector<std::string_view>& keys) {
  std::string out = "*" + std::to_string(keys.size()) + "\r\n";
  for (std::string_view k : keys) {
    out += "$" + std::to_string(k.size()) + "\r\n";
    out += k;
    out += "\r\n";
  }
  return out;
}

}  // namespace

std::string Tracking::Check(uint64_t client_id, const TrackingOptions& o) const {
  if (!o.bcast && !o.prefixes.empty()) {
    return "ERR PREFIX option requires BCAST mode to be enabled";
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tracking_.find(client_id);
  const Client* current = it == tracking_.end() ? nullptr : &it->second;
  if (current != nullptr && current->options.bcast != o.bcast) {
    return "ERR You can't switch BCAST mode on/off before disabling tracking for this client, "
           "and then re-enabling it with a different mode.";
  }
  if (o.bcast && (o.optin || o.optout)) return "ERR OPTIN and OPTOUT are not compatible with BCAST";
  if (o.optin && o.optout) return "ERR You can't specify both OPTIN mode and OPTOUT mode";
  if (current != nullptr && ((o.optin && current->options.optout) ||
                             (o.optout && current->options.optin))) {
    return "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
           "and then re-enabling it with a different mode.";
  }
  if (o.bcast) {
    // Redis's checkPrefixCollisionsOrReply: against the client's prefixes, then each other.
    for (size_t i = 0; i < o.prefixes.size(); ++i) {
      if (current != nullptr) {
        for (const std::string& existing : current->options.prefixes) {
          if (PrefixesOverlap(existing, o.prefixes[i])) {
            return "ERR Prefix '" + std::string(o.prefixes[i].c_str()) +
                   "' overlaps with an existing prefix '" + std::string(existing.c_str()) +
                   "'. Prefixes for a single client must not overlap.";
          }
        }
      }
      for (size_t j = i + 1; j < o.prefixes.size(); ++j) {
        if (PrefixesOverlap(o.prefixes[i], o.prefixes[j])) {
          return "ERR Prefix '" + std::string(o.prefixes[i].c_str()) +
                 "' overlaps with another provided prefix '" + std::string(o.prefixes[j].c_str()) +
                 "'. Prefixes for a single client must not overlap.";
        }
      }
    }
  }
  return "";
}

void Tracking::Enable(const std::shared_ptr<ClientInfo>& client, const TrackingOptions& o) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = tracking_.try_emplace(client->id);
  Client& c = it->second;
  if (inserted) {
    c.info = client;
    tracking_clients_.fetch_add(1);
  }
  // Like Redis's enableTracking: the mode flags are replaced, BCAST prefixes accumulate.
  std::vector<std::string> prefixes = std::move(c.options.prefixes);
  c.options = o;
  c.options.prefixes.clear();
  c.broken_redirect = false;
  if (o.bcast) {
    std::vector<std::string> wanted = o.prefixes;
    if (wanted.empty()) wanted.emplace_back();
    for (std::string& p : wanted) {
      if (prefixes_[p].clients.insert(client->id).second) prefixes.push_back(std::move(p));
    }
    c.options.prefixes = std::move(prefixes);
  }
}

void Tracking::Disable(uint64_t client_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tracking_.find(client_id);
  if (it == tracking_.end()) return;
  for (const std::string& p : it->second.options.prefixes) {
    auto pit = prefixes_.find(p);
    if (pit == prefixes_.end()) continue;
    pit->second.clients.erase(client_id);
    if (pit->second.clients.empty()) prefixes_.erase(pit);
  }
  // Its entries in keys_ are dropped lazily, as in Redis: a key's next modification skips it.
  tracking_.erase(it);
  tracking_clients_.fetch_sub(1);
}

void Tracking::RememberKeys(uint64_t client_id, const std::vector<std::string_view>& keys,
                            size_t max_keys) {
  std::lock_guard<std::mutex> lock(mu_);
  for (std::string_view key : keys) {
    if (keys_[std::string(key)].insert(client_id).second) ++items_;
  }
  // Over the limit: invalidate other keys (any, as Redis picks random ones) until under it.
  while (max_keys > 0 && keys_.size() > max_keys) {
    auto victim = keys_.begin();
    if (keys.size() == 1 && victim->first == keys[0]) victim = std::next(victim);
    if (victim == keys_.end()) break;
    std::string key = victim->first;
    InvalidateLocked(key, 0, /*after_reply=*/true);
  }
}

void Tracking::Send(Client& c, std::string_view payload_resp2, std::string_view payload_resp3,
                    bool after_reply) {
  ClientInfo* target = c.info.get();
  std::shared_ptr<ClientInfo> redirect;
  if (c.options.redirect != 0) {
    redirect = clients_.Find(c.options.redirect);
    if (!redirect) {
      // The client we redirect to is gone: tell the tracking client, when its protocol can.
      c.broken_redirect = true;
      if (c.info->resp.load() == 3) {
        PushToClient(*c.info, std::make_shared<const std::string>(
                                  ">2\r\n$21\r\ntracking-redir-broken\r\n:" +
                                  std::to_string(c.options.redirect) + "\r\n"));
      }
      return;
    }
    target = redirect.get();
  }
  // The payload is encoded for the tracking client's protocol (Redis's shared.null[c->resp]).
  std::string_view payload = c.info->resp.load() == 3 ? payload_resp3 : payload_resp2;
  std::string bytes;
  if (target->resp.load() == 3) {
    bytes = ">2\r\n$10\r\ninvalidate\r\n";
  } else if (redirect && target->in_pubsub()) {
    bytes = "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n";
  } else {
    return;  // RESP2 without redirection: nothing can carry the message
  }
  bytes += payload;
  auto shared = std::make_shared<const std::string>(std::move(bytes));
  if (after_reply && target == c.info.get()) {
    PushToClientAfterReply(*target, shared);
  } else {
    PushToClient(*target, shared);
  }
}

void Tracking::KeyModified(std::string_view key, uint64_t modifier) {
  if (!active()) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [prefix, state] : prefixes_) {
    if (key.substr(0, prefix.size()) != prefix) continue;
    state.pending[std::string(key)] = modifier;
    broadcast_pending_.store(true, std::memory_order_relaxed);
  }
  InvalidateLocked(key, modifier, /*after_reply=*/true);
}

void Tracking::InvalidateLocked(std::string_view key, uint64_t modifier, bool after_reply) {
  auto it = keys_.find(std::string(key));
  if (it == keys_.end()) return;
  std::string payload;
  for (uint64_t id : it->second) {
    auto cit = tracking_.find(id);
    if (cit == tracking_.end() || cit->second.options.bcast) continue;
    Client& c = cit->second;
    if (c.options.noloop && id == modifier) continue;
    if (payload.empty()) payload = KeyArray({key});
    // Redis sends the invalidation of a key the client modified itself after its reply.
    Send(c, payload, payload, after_reply);
  }
  items_ -= it->second.size();
  keys_.erase(it);
}

void Tracking::FlushBroadcasts() {
  if (!broadcast_pending_.load(std::memory_order_relaxed)) return;
  std::lock_guard<std::mutex> lock(mu_);
  broadcast_pending_.store(false, std::memory_order_relaxed);
  for (auto& [prefix, state] : prefixes_) {
    if (state.pending.empty()) continue;
    std::vector<std::string_view> all;
    for (auto& [key, modifier] : state.pending) all.push_back(key);
    std::string payload = KeyArray(all);
    for (uint64_t id : state.clients) {
      auto cit = tracking_.find(id);
      if (cit == tracking_.end()) continue;
      Client& c = cit->second;
      if (c.options.noloop) {
        std::vector<std::string_view> others;
        for (auto& [key, modifier] : state.pending) {
          if (modifier != id) others.push_back(key);
        }
        if (others.empty()) continue;
        std::string own = KeyArray(others);
        Send(c, own, own, /*after_reply=*/false);
      } else {
        Send(c, payload, payload, /*after_reply=*/false);
      }
    }
    state.pending.clear();
  }
}

void Tracking::InvalidateAll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, c] : tracking_) Send(c, "$-1\r\n", "_\r\n", /*after_reply=*/true);
  keys_.clear();
  items_ = 0;
}

Tracking::Info Tracking::InfoOf(uint64_t client_id) const {
  Info info;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tracking_.find(client_id);
  if (it == tracking_.end()) return info;
  const Client& c = it->second;
  info.on = true;
  info.bcast = c.options.bcast;
  info.optin = c.options.optin;
  info.optout = c.options.optout;
  info.noloop = c.options.noloop;
  info.broken_redirect = c.broken_redirect;
  info.redirect = static_cast<int64_t>(c.options.redirect);
  info.prefixes = c.options.prefixes;
  std::sort(info.prefixes.begin(), info.prefixes.end());
  return info;
}

size_t Tracking::total_keys() const {
  std::lock_guard<std::mutex> lock(mu_);
  return keys_.size();
}

size_t Tracking::total_items() const {
  std::lock_guard<std::mutex> lock(mu_);
  return items_;
}

size_t Tracking::total_prefixes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return prefixes_.size();
}

}  // namespace stash::server
