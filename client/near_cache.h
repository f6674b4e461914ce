// The near cache: values this process read recently, served without a round trip. It is only
// as good as its invalidations, so it is used only while a tracking session is active (the
// listener connection is up and the pool's connections redirect their invalidations to it).
//
// A read that misses races with invalidations: the GET's reply may be overtaken by an
// invalidation of the same key, and storing the value afterwards would resurrect stale data.
// Fills are therefore two-phase: BeginFill before the GET, EndFill after it, and EndFill stores
// only if no invalidation of that key (or flush) happened in between and the connection that
// read it belongs to the active tracking session.
#ifndef STASH_CLIENT_NEAR_CACHE_H_
#define STASH_CLIENT_NEAR_CACHE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace stash {

class NearCache {
 public:
  NearCache(size_t max_entries, std::chrono::milliseconds ttl);

  std::optional<std::string> Get(std::string_view key);

  // A fill ticket; 0 means "do not fill" (near cache inactive).
  uint64_t BeginFill(std::string_view key);
  void EndFill(std::string_view key, uint64_t ticket, uint64_t session, std::string_view value);

  void Invalidate(std::string_view key);
  void InvalidateMatching(std::string_view glob);
  void Flush();

  // Tracking session control: Activate once invalidations for `session` flow; Deactivate (and
  // flush) as soon as they may have been lost.
  void Activate(uint64_t session);
  void Deactivate();
  bool active() const;
  uint64_t session() const;

  size_t size() const;
  uint64_t invalidations() const;

 private:
  struct Item {
    std::string value;
    std::chrono::steady_clock::time_point expires;
  };
  void FlushLocked();

  const size_t max_entries_;
  const std::chrono::milliseconds ttl_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Item> items_;
  std::unordered_map<std::string, uint64_t> pending_;  // key -> ticket of the fill in flight
  uint64_t next_ticket_ = 1;
  uint64_t session_ = 0;  // 0: inactive
  uint64_t invalidations_ = 0;
};

}  // namespace stash

#endif  // STASH_CLIENT_NEAR_CACHE_H_
