#include "client/near_cache.h"

#include "storage/glob.h"

namespace stash {

NearCache::NearCache(size_t max_entries, std::chrono::milliseconds ttl)
    : max_entries_(max_entries), ttl_(ttl) {}

std::optional<std::string> NearCache::Get(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (session_ == 0) return std::nullopt;
  auto it = items_.find(std::string(key));
  if (it == items_.end()) return std::nullopt;
  if (std::chrono::steady_clock::now() >= it->second.expires) {
    items_.erase(it);
    return std::nullopt;
  }
  return it->second.value;
}

uint64_t NearCache::BeginFill(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (session_ == 0) return 0;
  uint64_t ticket = next_ticket_++;
  pending_[std::string(key)] = ticket;  // a newer fill of the same key supersedes an older one
  return ticket;
}

void NearCache::EndFill(std::string_view key, uint64_t ticket, uint64_t session,
                        std::string_view value) {
  if (ticket == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pending_.find(std::string(key));
  if (it == pending_.end() || it->second != ticket) return;  // invalidated meanwhile
  pending_.erase(it);
  if (session_ == 0 || session != session_) return;
  if (items_.size() >= max_entries_) {
    // Simple bound: drop an arbitrary entry. The near cache is small and short-lived; a
    // dropped entry costs one round trip.
    items_.erase(items_.begin());
  }
  items_[std::string(key)] = Item{std::string(value), std::chrono::steady_clock::now() + ttl_};
}

void NearCache::Invalidate(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string k(key);
  items_.erase(k);
  pending_.erase(k);
  ++invalidations_;
}

void NearCache::InvalidateMatching(std::string_view glob) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = items_.begin(); it != items_.end();) {
    it = storage::GlobMatch(glob, it->first) ? items_.erase(it) : std::next(it);
  }
  for (auto it = pending_.begin(); it != pending_.end();) {
    it = storage::GlobMatch(glob, it->first) ? pending_.erase(it) : std::next(it);
  }
  ++invalidations_;
}

void NearCache::FlushLocked() {
  items_.clear();
  pending_.clear();
  ++invalidations_;
}

void NearCache::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  FlushLocked();
}

void NearCache::Activate(uint64_t session) {
  std::lock_guard<std::mutex> lock(mu_);
  FlushLocked();
  session_ = session;
}

void NearCache::Deactivate() {
  std::lock_guard<std::mutex> lock(mu_);
  FlushLocked();
  session_ = 0;
}

bool NearCache::active() const {
  std::lock_guard<std::mutex> lock(mu_);
  return session_ != 0;
}

uint64_t NearCache::session() const {
  std::lock_guard<std::mutex> lock(mu_);
  return session_;
}

size_t NearCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return items_.size();
}

uint64_t NearCache::invalidations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return invalidations_;
}

}  // namespace stash
