// The Stash cache client: the layer applications put between themselves and Redis (or Stash),
// written once. Namespaced keys with their own TTLs, typed values, a memoizing wrapper with
// single flight, invalidation by key, pattern or namespace (SCAN + UNLINK, never KEYS),
// statistics, an on/off switch, a circuit breaker with an in-process fallback, and a near cache
// kept coherent by server-assisted invalidation.
//
// Failure policy: unless config.strict is set, no cache failure reaches the application. A
// failed call counts as an error and a miss, is served by the in-process fallback, and is
// logged once per change of state (healthy <-> failing), not once per call.
//
//   stash::Cache cache(stash::CacheConfig::FromEnvironment());
//   auto user_name = cache.Cached("user", std::nullopt,
//                                 [&](int64_t id) { return db.LookupUserName(id); });
//   std::string name = user_name(42);  // computed once, then served from the cache
#ifndef STASH_CLIENT_CACHE_H_
#define STASH_CLIENT_CACHE_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "client/circuit_breaker.h"
#include "client/codec.h"
#include "client/config.h"
#include "client/errors.h"
#include "client/fallback_store.h"
#include "client/keys.h"
#include "client/single_flight.h"
#include "client/stats.h"

namespace stash {

class ConnectionPool;
class Connection;
class InvalidationListener;
class NearCache;

using Ttl = std::optional<std::chrono::milliseconds>;  // nullopt: the namespace's or default

struct CachedOptions {
  // The identifier part of the keys (prefix:namespace:name:hash8-of-arguments). Give every
  // wrapped function of a namespace its own name when several processes share the cache; the
  // default is derived from the function's type, unique within one program.
  std::string name;
  // Early refresh: a hit whose remaining TTL is below this is recomputed by one caller while
  // the others keep getting the current value, so hot keys do not all expire at once.
  std::chrono::milliseconds refresh_ahead{0};
};

// Test hooks: injectable clocks.
struct CacheHooks {
  CircuitBreaker::Clock breaker_clock;
  FallbackStore::NowMs fallback_now_ms;
};

class Cache {
 public:
  enum class Health { kHealthy, kFailing, kDisabled };

  explicit Cache(CacheConfig config, CacheHooks hooks = {});
  ~Cache();
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  const CacheConfig& config() const { return config_; }

  // prefix:ns:identifier[:hash8(params)]
  std::string Key(std::string_view ns, std::string_view identifier,
                  const KeyParams& params = {}) const {
    return BuildKey(config_.key_prefix, ns, identifier, params);
  }

  // ---- Bytes. ----
  std::optional<std::string> Get(std::string_view key);
  // ttl: the call's, else the key's namespace's, else the default. Returns whether stored.
  bool Set(std::string_view key, std::string_view value, Ttl ttl = std::nullopt);
  // Stores only if the key is absent; returns whether it stored.
  bool SetIfAbsent(std::string_view key, std::string_view value, Ttl ttl = std::nullopt);
  bool Delete(std::string_view key);
  size_t Delete(const std::vector<std::string>& keys);
  bool Exists(std::string_view key);
  // Remaining TTL as PTTL reports it: -2 ms when absent, -1 ms when the key has none.
  std::chrono::milliseconds TtlOf(std::string_view key);
  // One round trip (MGET) for all keys; results in the same order.
  std::vector<std::optional<std::string>> GetMany(const std::vector<std::string>& keys);
  // One pipelined round trip; returns whether all were stored.
  bool SetMany(const std::vector<std::pair<std::string, std::string>>& items, Ttl ttl = std::nullopt);

  // SCAN MATCH + UNLINK in batches; returns how many keys were removed.
  size_t DeletePattern(std::string_view glob);
  size_t InvalidateNamespace(std::string_view ns);
  size_t InvalidateNamespaces(const std::vector<std::string>& namespaces);
  // Removes this cache's keys (the prefix); with flush_database, FLUSHDB the whole database.
  size_t Clear(bool flush_database = false);

  // ---- Typed values through Codec<T>. ----
  template <typename T>
  std::optional<T> GetAs(std::string_view key) {
    std::optional<std::string> raw = Get(key);
    if (!raw) return std::nullopt;
    std::optional<T> v = Codec<T>::Decode(*raw);
    if (!v) CountUndecodableHit();
    return v;
  }
  template <typename T>
  bool SetAs(std::string_view key, const T& value, Ttl ttl = std::nullopt) {
    return Set(key, Codec<T>::Encode(value), ttl);
  }

  // ---- Memoizing wrapper. ----
  // Returns a callable with fn's parameters that returns fn's result from the cache when it can
  // and calls fn (once per key across concurrent callers) when it cannot. Arguments become the
  // key's parameters; they and the result go through Codec.
  template <typename F>
  auto Cached(std::string ns, Ttl ttl, F fn, CachedOptions options = {});

  // Returns a callable that runs fn and, when fn returns (does not throw), invalidates the
  // namespaces (and publishes the invalidation when events are on).
  template <typename F>
  auto Invalidating(std::vector<std::string> namespaces, F fn);
  // The same for a key pattern.
  template <typename F>
  auto InvalidatingPattern(std::string glob, F fn);

  // ---- Cross-process invalidation events. ----
  enum class EventKind { kKey, kNamespace, kPattern };
  // Publishes "key <k>", "ns <namespace>" or "pattern <glob>" on the invalidation channel.
  // Subscribed caches drop matching entries from their near cache and fallback.
  bool PublishInvalidation(EventKind kind, std::string_view target);
  // Waits for one round trip on the invalidation connection: afterwards every invalidation the
  // server sent before is applied. False when no listener is connected.
  bool SyncInvalidations(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // True while the near cache is in use (tracking session active).
  bool near_cache_active() const;
  size_t near_cache_size() const;

  // ---- Statistics and state. ----
  CacheStats Stats() const;
  void ResetStats();
  // Throws CacheError when the server cannot be asked.
  ServerStats ServerInfo();
  uint64_t CountNamespaceKeys(std::string_view ns);
  Health health() const { return health_.load(); }
  CircuitBreaker::State breaker_state() const { return breaker_.state(); }
  size_t fallback_size() { return fallback_.size(); }

 private:
  friend struct CacheTestAccess;
  template <typename R>
  R Run(Op op, const std::function<R(Connection&)>& remote, const std::function<R()>& local,
        R on_server_error);
  std::chrono::milliseconds ResolveTtl(std::string_view key, Ttl ttl) const;
  std::optional<std::string> Lookup(std::string_view key, bool record);
  // GET + PTTL in one round trip (early refresh); nullopt on miss.
  std::optional<std::pair<std::string, int64_t>> LookupWithTtl(std::string_view key);
  size_t DeleteMatching(std::string_view glob, Op op);
  void OnServerSuccess();
  void OnServerFailure(const std::exception& e);
  void CountUndecodable();
  // A value counted as a hit turned out not to decode: an error, and a miss after all.
  void CountUndecodableHit();
  void Log(LogLevel level, const std::string& message);
  void ApplyEvent(const std::string& payload);
  void OnListenerUp(int64_t client_id);
  void OnListenerDown();
  void SetupConnection(Connection& c);
  std::string Encode(std::string_view value) const;

  template <typename R, typename F, typename... Args>
  R CallCached(const std::string& ns, Ttl ttl, F& fn, const CachedOptions& options,
               const std::string& name, Args&&... args);

  CacheConfig config_;
  CircuitBreaker breaker_;
  FallbackStore fallback_;
  std::unique_ptr<ConnectionPool> pool_;
  std::unique_ptr<NearCache> near_;
  std::unique_ptr<InvalidationListener> listener_;
  SingleFlight flight_;
  std::atomic<int64_t> redirect_id_{-1};
  std::atomic<bool> tracking_refused_{false};

  std::atomic<Health> health_{Health::kHealthy};
  std::atomic<bool> pool_exhausted_{false};
  std::mutex server_error_mu_;
  std::string last_server_error_;  // logged once until a different one comes
  std::atomic<uint64_t> hits_{0}, near_hits_{0}, misses_{0}, errors_{0}, fallbacks_{0};
  std::array<LatencyHistogram, static_cast<size_t>(Op::kCount_)> latency_;
};

// ---- Template implementations. ----

template <typename R, typename F, typename... Args>
R Cache::CallCached(const std::string& ns, Ttl ttl, F& fn, const CachedOptions& options,
                    const std::string& name, Args&&... args) {
  KeyParams params;
  size_t index = 0;
  (params.emplace_back(std::to_string(index++), EncodeKeyPart(args)), ...);
  std::string key = Key(ns, name, params);
  auto compute = [&]() -> std::string {
    std::string encoded = Codec<R>::Encode(fn(args...));
    Set(key, encoded, ttl);
    return encoded;
  };
  if (options.refresh_ahead.count() > 0) {
    if (auto hit = LookupWithTtl(key)) {
      if (hit->second >= 0 && hit->second < options.refresh_ahead.count()) {
        std::string fresh;
        if (flight_.TryRefresh(key, [&] { fresh = compute(); })) hit->first = std::move(fresh);
      }
      if (std::optional<R> v = Codec<R>::Decode(hit->first)) return std::move(*v);
      CountUndecodableHit();
    }
  } else if (std::optional<std::string> raw = Lookup(key, true)) {
    if (std::optional<R> v = Codec<R>::Decode(*raw)) return std::move(*v);
    CountUndecodableHit();
  }
  // A miss. Concurrent misses of the same key share one computation; the leader looks again
  // first, because a computation may have finished between our miss and our joining.
  std::string encoded = flight_.Do(key, [&]() -> std::string {
    if (std::optional<std::string> again = Lookup(key, false)) {
      if (Codec<R>::Decode(*again)) return *again;
    }
    return compute();
  });
  std::optional<R> v = Codec<R>::Decode(encoded);
  if (!v) throw CacheError("Codec cannot decode what it encoded for key " + key);
  return std::move(*v);
}

template <typename F>
auto Cache::Cached(std::string ns, Ttl ttl, F fn, CachedOptions options) {
  std::string name = options.name;
  if (name.empty()) {
    // Stable for a given build of a given program; see CachedOptions::name.
    std::string type = typeid(F).name();
    name = "fn" + ParamsHash({{"type", type}});
  }
  return [this, ns = std::move(ns), ttl, fn = std::move(fn), options = std::move(options),
          name = std::move(name)](auto&&... args) mutable {
    using R = std::decay_t<std::invoke_result_t<F&, decltype(args)...>>;
    return CallCached<R>(ns, ttl, fn, options, name, std::forward<decltype(args)>(args)...);
  };
}

template <typename F>
auto Cache::Invalidating(std::vector<std::string> namespaces, F fn) {
  return [this, namespaces = std::move(namespaces), fn = std::move(fn)](auto&&... args) mutable
         -> decltype(auto) {
    using R = std::invoke_result_t<F&, decltype(args)...>;
    if constexpr (std::is_void_v<R>) {
      fn(std::forward<decltype(args)>(args)...);
      InvalidateNamespaces(namespaces);
    } else {
      R result = fn(std::forward<decltype(args)>(args)...);
      InvalidateNamespaces(namespaces);
      return result;
    }
  };
}

template <typename F>
auto Cache::InvalidatingPattern(std::string glob, F fn) {
  return [this, glob = std::move(glob), fn = std::move(fn)](auto&&... args) mutable
         -> decltype(auto) {
    using R = std::invoke_result_t<F&, decltype(args)...>;
    if constexpr (std::is_void_v<R>) {
      fn(std::forward<decltype(args)>(args)...);
      DeletePattern(glob);
    } else {
      R result = fn(std::forward<decltype(args)>(args)...);
      DeletePattern(glob);
      return result;
    }
  };
}

}  // namespace stash

#endif  // STASH_CLIENT_CACHE_H_
