// Cache: the parts around the operations: the near cache's tracking session, statistics and
// the server's figures.
#include <unordered_set>

#include "client/cache.h"
#include "client/connection.h"
#include "client/listener.h"
#include "client/near_cache.h"
#include "client/pool.h"

namespace stash {

void Cache::SetupConnection(Connection& c) {
  if (!near_) return;
  int64_t redirect = redirect_id_.load();
  if (redirect < 0 || tracking_refused_) return;
  Reply r = c.Call({"CLIENT", "TRACKING", "ON", "REDIRECT", std::to_string(redirect)});
  if (r.is_error()) {
    // The server has no client tracking: the near cache stays off (it would be incoherent).
    if (!tracking_refused_.exchange(true)) {
      Log(LogLevel::kError, "near cache disabled: the server refused CLIENT TRACKING: " + r.str);
    }
    near_->Deactivate();
  }
}

void Cache::OnListenerUp(int64_t client_id) {
  if (!near_) return;
  redirect_id_ = client_id;
  // Connections set up for an earlier listener redirect to a connection that no longer
  // exists: retire them all, then open one to confirm tracking before trusting the near cache.
  pool_->Reset();
  uint64_t session = pool_->generation();
  try {
    ConnectionPool::Lease probe = pool_->Acquire();
    if (tracking_refused_ || probe->generation != session) return;
  } catch (const CacheError& e) {
    return;  // the server went away again; the next up event retries
  }
  near_->Activate(session);
}

void Cache::OnListenerDown() {
  if (!near_) return;
  redirect_id_ = -1;
  near_->Deactivate();
}

bool Cache::SyncInvalidations(std::chrono::milliseconds timeout) {
  return listener_ && listener_->Sync(timeout);
}

bool Cache::near_cache_active() const { return near_ && near_->active(); }
size_t Cache::near_cache_size() const { return near_ ? near_->size() : 0; }

CacheStats Cache::Stats() const {
  CacheStats s;
  s.hits = hits_.load();
  s.near_hits = near_hits_.load();
  s.misses = misses_.load();
  s.errors = errors_.load();
  s.fallbacks = fallbacks_.load();
  uint64_t total = s.hits + s.misses;
  s.hit_rate = total == 0 ? 0 : static_cast<double>(s.hits) / static_cast<double>(total);
  for (size_t i = 0; i < latency_.size(); ++i) {
    LatencyHistogram::Summary sum = latency_[i].Summarize();
    if (sum.count > 0) s.latency[OpName(static_cast<Op>(i))] = sum;
  }
  return s;
}

void Cache::ResetStats() {
  hits_ = near_hits_ = misses_ = errors_ = fallbacks_ = 0;
  for (auto& h : latency_) h.Reset();
}

ServerStats Cache::ServerInfo() {
  if (!pool_) throw CacheError("cache disabled: no server to ask");
  ConnectionPool::Lease c = pool_->Acquire();
  Reply r = c->Call({"INFO"});
  Expect(r, "INFO");
  return ParseInfo(r.str);
}

uint64_t Cache::CountNamespaceKeys(std::string_view ns) {
  if (!pool_) throw CacheError("cache disabled: no server to ask");
  ConnectionPool::Lease c = pool_->Acquire();
  std::string glob = NamespacePattern(config_.key_prefix, ns);
  // SCAN may report a key twice (a rehash during the walk): count distinct keys.
  std::unordered_set<std::string> seen;
  std::string cursor = "0";
  do {
    Reply page = c->Call({"SCAN", cursor, "MATCH", glob, "COUNT", "1000"});
    Expect(page, "SCAN");
    if (page.elems.size() != 2) throw ServerError("SCAN: unexpected reply shape");
    cursor = page.elems[0].str;
    for (Reply& k : page.elems[1].elems) seen.insert(std::move(k.str));
  } while (cursor != "0");
  return seen.size();
}

}  // namespace stash
