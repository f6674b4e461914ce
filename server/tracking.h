// Client-side caching support (CLIENT TRACKING), as Redis's tracking.c. The table remembers,
// for each key read by a tracking client, which clients may hold it; a modification of the key
// (reported by the shards, see storage::KeyObserver) sends them one invalidation and forgets
// them. BCAST clients instead get every modified key under their prefixes, batched per command.
// Like Redis's, the table ignores databases: a key name is a key name.
//
// Invalidations go to the client itself as a RESP3 push (`invalidate`), or to its REDIRECT
// client: RESP3 push, or for a RESP2 client in Pub/Sub mode a message on __redis__:invalidate.
#ifndef STASH_SERVER_TRACKING_H_
#define STASH_SERVER_TRACKING_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "server/client_state.h"

namespace stash::server {

class ClientRegistry;

struct TrackingOptions {
  uint64_t redirect = 0;  // client id, 0 = none
  bool bcast = false;
  bool optin = false;
  bool optout = false;
  bool noloop = false;
  std::vector<std::string> prefixes;  // BCAST only; none means every key
};

class Tracking {
 public:
  explicit Tracking(ClientRegistry& clients) : clients_(clients) {}

  // True while any client has tracking on: the cheap test before any other work.
  bool active() const { return tracking_clients_.load(std::memory_order_relaxed) > 0; }
  size_t tracking_clients() const { return tracking_clients_.load(std::memory_order_relaxed); }

  // CLIENT TRACKING ON/OFF for client (already validated by the caller, see Check below).
  void Enable(const std::shared_ptr<ClientInfo>& client, const TrackingOptions& options);
  void Disable(uint64_t client_id);
  // Redis's checks before enabling, in its order; "" when fine, else the error text.
  std::string Check(uint64_t client_id, const TrackingOptions& options) const;

  // After a read-only command of a (non-BCAST) tracking client: it may now cache these keys.
  // Past max_keys remembered keys (tracking-table-max-keys, 0 = no limit) others are
  // invalidated and forgotten, as Redis's trackingLimitUsedSlots does.
  void RememberKeys(uint64_t client_id, const std::vector<std::string_view>& keys,
                    size_t max_keys = 0);
  // key was modified (or expired, or evicted) by the client with id modifier (0: the server).
  void KeyModified(std::string_view key, uint64_t modifier);
  // FLUSHDB/FLUSHALL: every tracking client gets a null invalidation ("everything").
  void InvalidateAll();
  // Sends the BCAST keys gathered since the last call. The dispatcher calls it after every
  // command; cheap when nothing is pending.
  void FlushBroadcasts();

  struct Info {
    bool on = false, bcast = false, optin = false, optout = false, noloop = false;
    bool broken_redirect = false;
    int64_t redirect = -1;
    std::vector<std::string> prefixes;  // sorted
  };
  // CLIENT TRACKINGINFO / GETREDIR / CLIENT LIST's flags and redir=.
  Info InfoOf(uint64_t client_id) const;

  // INFO: keys in the table, (key, client) pairs, BCAST prefixes.
  size_t total_keys() const;
  size_t total_items() const;
  size_t total_prefixes() const;

 private:
  struct Client {
    std::shared_ptr<ClientInfo> info;
    TrackingOptions options;
    bool broken_redirect = false;
  };
  // Bytes of an invalidation whose payload (an array of keys, or a null) is already encoded.
  void Send(Client& c, std::string_view payload_resp2, std::string_view payload_resp3,
            bool after_reply);
  // Sends key's invalidation to the clients remembered for it and forgets it. REQUIRES mu_.
  void InvalidateLocked(std::string_view key, uint64_t modifier, bool after_reply);

  ClientRegistry& clients_;
  mutable std::mutex mu_;
  std::atomic<size_t> tracking_clients_{0};
  std::unordered_map<uint64_t, Client> tracking_;
  std::unordered_map<std::string, std::unordered_set<uint64_t>> keys_;
  size_t items_ = 0;
  struct Prefix {
    std::set<uint64_t> clients;
    std::map<std::string, uint64_t> pending;  // modified key -> last modifier
  };
  std::map<std::string, Prefix> prefixes_;
  std::atomic<bool> broadcast_pending_{false};
};

}  // namespace stash::server

#endif  // STASH_SERVER_TRACKING_H_
