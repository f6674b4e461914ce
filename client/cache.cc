// Cache: the operations. Every server call goes through Run(), which applies the on/off switch,
// the circuit breaker, the pool, failure accounting and the fallback in one place.
#include "client/cache.h"

#include <iostream>

#include "client/connection.h"
#include "client/listener.h"
#include "client/near_cache.h"
#include "client/pool.h"
#include "client/value_encoding.h"

namespace stash {
namespace {

using SteadyClock = std::chrono::steady_clock;

ConnectionOptions ConnectionOptionsFrom(const CacheConfig& c) {
  ConnectionOptions o;
  o.host = c.host;
  o.port = c.port;
  o.db = c.db;
  o.username = c.username;
  o.password = c.password;
  o.connect_timeout = c.connect_timeout;
  o.socket_timeout = c.socket_timeout;
  return o;
}

}  // namespace

Cache::Cache(CacheConfig config, CacheHooks hooks)
    : config_((config.Validate(), std::move(config))),
      breaker_(config_.breaker_failure_threshold, config_.breaker_recovery,
               std::move(hooks.breaker_clock)),
      fallback_(config_.fallback_max_entries, config_.fallback_max_bytes,
                std::move(hooks.fallback_now_ms)) {
  if (!config_.enabled) {
    health_ = Health::kDisabled;
    Log(LogLevel::kInfo, "cache disabled by configuration: using the in-process fallback only");
    return;
  }
  pool_ = std::make_unique<ConnectionPool>(ConnectionOptionsFrom(config_),
                                           config_.pool_max_connections, config_.pool_timeout,
                                           [this](Connection& c) { SetupConnection(c); });
  if (config_.near_cache) {
    near_ = std::make_unique<NearCache>(config_.near_cache_max_entries, config_.near_cache_ttl);
  }
  if (config_.near_cache || config_.invalidation_events) {
    InvalidationListener::Handlers h;
    h.keys = [this](const std::vector<std::string>& keys) {
      if (!near_) return;
      for (const std::string& k : keys) near_->Invalidate(k);
    };
    h.flush = [this] {
      if (near_) near_->Flush();
    };
    h.event = [this](const std::string& payload) { ApplyEvent(payload); };
    h.up = [this](int64_t id) { OnListenerUp(id); };
    h.down = [this] { OnListenerDown(); };
    listener_ = std::make_unique<InvalidationListener>(
        ConnectionOptionsFrom(config_), config_.near_cache, config_.tracking_mode,
        config_.invalidation_events ? config_.invalidation_channel : std::string(), std::move(h),
        [this](LogLevel level, const std::string& m) { Log(level, m); });
    listener_->Start();
  }
}

Cache::~Cache() {
  if (listener_) listener_->Stop();
}

void Cache::Log(LogLevel level, const std::string& message) {
  if (config_.logger) {
    config_.logger(level, message);
    return;
  }
  static const char* kLevel[] = {"info", "warning", "error"};
  std::cerr << "stash-client " << kLevel[static_cast<int>(level)] << ": " << message << "\n";
}

std::string Cache::Encode(std::string_view value) const {
  return EncodeValue(value, {config_.compression, config_.compression_threshold,
                             config_.compression_level});
}

std::chrono::milliseconds Cache::ResolveTtl(std::string_view key, Ttl ttl) const {
  if (ttl && ttl->count() > 0) return *ttl;
  std::string_view ns = NamespaceOf(config_.key_prefix, key);
  return config_.TtlFor(ns);
}

void Cache::OnServerSuccess() {
  pool_exhausted_ = false;
  CircuitBreaker::State before = breaker_.state();
  breaker_.OnSuccess();
  Health expected = Health::kFailing;
  if (health_.compare_exchange_strong(expected, Health::kHealthy)) {
    // What the fallback held was written while the server was away: it must not be served as
    // if it came from the shared cache, and the server may hold newer values now.
    size_t dropped = fallback_.Clear();
    if (near_) near_->Flush();
    Log(LogLevel::kInfo, "cache server reachable again (circuit breaker " +
                             std::string(CircuitBreaker::Name(before)) +
                             " -> closed); dropped " + std::to_string(dropped) +
                             " entries held by the in-process fallback");
  }
}

void Cache::OnServerFailure(const std::exception& e) {
  CircuitBreaker::State before = breaker_.state();
  CircuitBreaker::State after = breaker_.OnFailure();
  Health expected = Health::kHealthy;
  if (health_.compare_exchange_strong(expected, Health::kFailing)) {
    // Start the outage with an empty fallback: anything left from an earlier one is stale.
    fallback_.Clear();
    if (near_) near_->Flush();
    Log(LogLevel::kWarning, std::string("cache server call failed, serving from the in-process "
                                        "fallback until it answers again: ") +
                                e.what());
  }
  if (before != after && after == CircuitBreaker::State::kOpen &&
      before == CircuitBreaker::State::kClosed) {
    Log(LogLevel::kWarning, "circuit breaker open after " +
                                std::to_string(config_.breaker_failure_threshold) +
                                " consecutive failures; next probe in " +
                                std::to_string(config_.breaker_recovery.count()) + " ms");
  }
}

void Cache::CountUndecodable() { errors_.fetch_add(1, std::memory_order_relaxed); }

void Cache::CountUndecodableHit() {
  errors_.fetch_add(1, std::memory_order_relaxed);
  hits_.fetch_sub(1, std::memory_order_relaxed);
  misses_.fetch_add(1, std::memory_order_relaxed);
}

template <typename R>
R Cache::Run(Op op, const std::function<R(Connection&)>& remote, const std::function<R()>& local,
             R on_server_error) {
  auto start = SteadyClock::now();
  struct Timer {
    LatencyHistogram& h;
    SteadyClock::time_point start;
    ~Timer() {
      h.Record(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - start)
              .count()));
    }
  } timer{latency_[static_cast<size_t>(op)], start};

  auto use_fallback = [&]() -> R {
    if (!config_.fallback_enabled) return on_server_error;
    fallbacks_.fetch_add(1, std::memory_order_relaxed);
    return local();
  };
  if (!pool_) return use_fallback();  // disabled
  if (!breaker_.Allow()) {
    if (config_.strict) throw CircuitOpenError("cache server unavailable (circuit breaker open)");
    return use_fallback();
  }
  try {
    // A pooled connection may have died while idle (the server restarted): that says nothing
    // about the server now, so the call is retried once on a fresh connection.
    for (int attempt = 0;; ++attempt) {
      ConnectionPool::Lease lease = pool_->Acquire();
      bool reused = lease->reused;
      try {
        R result = remote(*lease);
        OnServerSuccess();
        return result;
      } catch (const ConnectionError&) {
        if (!reused || attempt > 0) throw;
      }
      pool_->DropIdle();
    }
  } catch (const ConnectionError& e) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    OnServerFailure(e);
    if (config_.strict) throw;
    return use_fallback();
  } catch (const PoolTimeoutError& e) {
    // Not the server's fault: the breaker's probe slot (if this was the probe) goes back, and
    // the call is a miss. The fallback is not used, since the server still holds the truth.
    errors_.fetch_add(1, std::memory_order_relaxed);
    breaker_.Abandon();
    if (!pool_exhausted_.exchange(true)) Log(LogLevel::kWarning, e.what());
    if (config_.strict) throw;
    return on_server_error;
  } catch (const ServerError& e) {
    // The server answered, so it is reachable; the call itself failed (e.g. WRONGTYPE, or
    // AUTH refused: a configuration mistake that must not stay silent).
    errors_.fetch_add(1, std::memory_order_relaxed);
    OnServerSuccess();
    {
      std::lock_guard<std::mutex> lock(server_error_mu_);
      if (last_server_error_ != e.what()) {
        last_server_error_ = e.what();
        Log(LogLevel::kError, std::string("cache server refused a call: ") + e.what());
      }
    }
    if (config_.strict) throw;
    return on_server_error;
  }
}

std::optional<std::string> Cache::Lookup(std::string_view key, bool record) {
  if (near_ && health_ == Health::kHealthy) {
    if (std::optional<std::string> v = near_->Get(key)) {
      if (record) {
        hits_.fetch_add(1, std::memory_order_relaxed);
        near_hits_.fetch_add(1, std::memory_order_relaxed);
      }
      return v;
    }
  }
  uint64_t ticket = near_ ? near_->BeginFill(key) : 0;
  std::optional<std::string> stored = Run<std::optional<std::string>>(
      Op::kGet,
      [&](Connection& c) -> std::optional<std::string> {
        Reply r = c.Call({"GET", key});
        Expect(r, "GET");
        if (r.is_null()) return std::nullopt;
        if (near_) near_->EndFill(key, ticket, c.generation, r.str);
        return std::move(r.str);
      },
      [&] { return fallback_.Get(key); }, std::nullopt);
  std::optional<std::string> value;
  if (stored) {
    value = DecodeValue(*stored);
    if (!value) {
      CountUndecodable();
      if (near_) near_->Invalidate(key);
    }
  }
  if (record) (value ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed);
  return value;
}

std::optional<std::string> Cache::Get(std::string_view key) { return Lookup(key, true); }

std::optional<std::pair<std::string, int64_t>> Cache::LookupWithTtl(std::string_view key) {
  using Result = std::optional<std::pair<std::string, int64_t>>;
  Result stored = Run<Result>(
      Op::kGet,
      [&](Connection& c) -> Result {
        std::vector<Reply> r = c.Pipeline({{"GET", key}, {"PTTL", key}});
        Expect(r[0], "GET");
        if (r[0].is_null()) return std::nullopt;
        return std::make_pair(std::move(r[0].str), r[1].integer);
      },
      [&]() -> Result {
        std::optional<std::string> v = fallback_.Get(key);
        if (!v) return std::nullopt;
        return std::make_pair(std::move(*v), fallback_.TtlMs(key));
      },
      std::nullopt);
  if (stored) {
    std::optional<std::string> value = DecodeValue(stored->first);
    if (value) {
      hits_.fetch_add(1, std::memory_order_relaxed);
      return std::make_pair(std::move(*value), stored->second);
    }
    CountUndecodable();
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  return std::nullopt;
}

bool Cache::Set(std::string_view key, std::string_view value, Ttl ttl) {
  std::string encoded = Encode(value);
  std::string ms = std::to_string(ResolveTtl(key, ttl).count());
  bool ok = Run<bool>(
      Op::kSet,
      [&](Connection& c) {
        Expect(c.Call({"SET", key, encoded, "PX", ms}), "SET");
        return true;
      },
      [&] {
        fallback_.Set(key, encoded, std::stoll(ms));
        return true;
      },
      false);
  if (near_) near_->Invalidate(key);
  return ok;
}

bool Cache::SetIfAbsent(std::string_view key, std::string_view value, Ttl ttl) {
  std::string encoded = Encode(value);
  std::string ms = std::to_string(ResolveTtl(key, ttl).count());
  bool stored = Run<bool>(
      Op::kSetIfAbsent,
      [&](Connection& c) {
        Reply r = c.Call({"SET", key, encoded, "PX", ms, "NX"});
        Expect(r, "SET NX");
        return !r.is_null();
      },
      [&] { return fallback_.SetIfAbsent(key, encoded, std::stoll(ms)); }, false);
  if (stored && near_) near_->Invalidate(key);
  return stored;
}

bool Cache::Delete(std::string_view key) {
  return Delete(std::vector<std::string>{std::string(key)}) == 1;
}

size_t Cache::Delete(const std::vector<std::string>& keys) {
  if (keys.empty()) return 0;
  bool publish = config_.invalidation_events;
  size_t removed = Run<size_t>(
      Op::kDelete,
      [&](Connection& c) -> size_t {
        Command unlink{"UNLINK"};
        for (const std::string& k : keys) unlink.push_back(k);
        if (!publish) return static_cast<size_t>(Expect(c.Call(unlink), "UNLINK").integer);
        // The events ride in the same round trip as the UNLINK.
        std::vector<std::string> payloads;
        std::vector<Command> batch{unlink};
        payloads.reserve(keys.size());
        for (const std::string& k : keys) payloads.push_back("key " + k);
        for (const std::string& p : payloads) {
          batch.push_back({"PUBLISH", config_.invalidation_channel, p});
        }
        std::vector<Reply> r = c.Pipeline(batch);
        if (r.size() > 1 && r[1].is_error()) {
          errors_.fetch_add(1, std::memory_order_relaxed);
        }
        return static_cast<size_t>(Expect(r[0], "UNLINK").integer);
      },
      [&] {
        size_t n = 0;
        for (const std::string& k : keys) n += fallback_.Delete(k) ? 1 : 0;
        return n;
      },
      size_t{0});
  if (near_) {
    for (const std::string& k : keys) near_->Invalidate(k);
  }
  return removed;
}

bool Cache::Exists(std::string_view key) {
  return Run<bool>(
      Op::kExists,
      [&](Connection& c) { return Expect(c.Call({"EXISTS", key}), "EXISTS").integer == 1; },
      [&] { return fallback_.Exists(key); }, false);
}

std::chrono::milliseconds Cache::TtlOf(std::string_view key) {
  return std::chrono::milliseconds(Run<int64_t>(
      Op::kTtl, [&](Connection& c) { return Expect(c.Call({"PTTL", key}), "PTTL").integer; },
      [&] { return fallback_.TtlMs(key); }, int64_t{-2}));
}

std::vector<std::optional<std::string>> Cache::GetMany(const std::vector<std::string>& keys) {
  using Result = std::vector<std::optional<std::string>>;
  Result out(keys.size());
  if (keys.empty()) return out;
  // Near-cache hits first; only the rest go to the server, in one MGET.
  std::vector<size_t> wanted;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (near_ && health_ == Health::kHealthy) {
      if ((out[i] = near_->Get(keys[i]))) {
        near_hits_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
    }
    wanted.push_back(i);
  }
  if (!wanted.empty()) {
    std::vector<uint64_t> tickets(wanted.size(), 0);
    if (near_) {
      for (size_t j = 0; j < wanted.size(); ++j) tickets[j] = near_->BeginFill(keys[wanted[j]]);
    }
    Result stored = Run<Result>(
        Op::kGetMany,
        [&](Connection& c) -> Result {
          Command mget{"MGET"};
          for (size_t i : wanted) mget.push_back(keys[i]);
          Reply r = c.Call(mget);
          Expect(r, "MGET");
          Result values(wanted.size());
          for (size_t j = 0; j < wanted.size() && j < r.elems.size(); ++j) {
            if (r.elems[j].is_null()) continue;
            if (near_) near_->EndFill(keys[wanted[j]], tickets[j], c.generation, r.elems[j].str);
            values[j] = std::move(r.elems[j].str);
          }
          return values;
        },
        [&] {
          Result values(wanted.size());
          for (size_t j = 0; j < wanted.size(); ++j) values[j] = fallback_.Get(keys[wanted[j]]);
          return values;
        },
        Result(wanted.size()));
    for (size_t j = 0; j < wanted.size(); ++j) {
      if (!stored[j]) continue;
      out[wanted[j]] = DecodeValue(*stored[j]);
      if (!out[wanted[j]]) CountUndecodable();
    }
  }
  for (const auto& v : out) (v ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed);
  return out;
}

bool Cache::SetMany(const std::vector<std::pair<std::string, std::string>>& items, Ttl ttl) {
  if (items.empty()) return true;
  std::vector<std::string> encoded, ms;
  encoded.reserve(items.size());
  ms.reserve(items.size());
  for (const auto& [k, v] : items) {
    encoded.push_back(Encode(v));
    ms.push_back(std::to_string(ResolveTtl(k, ttl).count()));
  }
  bool ok = Run<bool>(
      Op::kSetMany,
      [&](Connection& c) {
        std::vector<Command> batch;
        batch.reserve(items.size());
        for (size_t i = 0; i < items.size(); ++i) {
          batch.push_back({"SET", items[i].first, encoded[i], "PX", ms[i]});
        }
        bool all = true;
        for (const Reply& r : c.Pipeline(batch)) all = all && !r.is_error();
        if (!all) throw ServerError("SET failed for some keys of SetMany");
        return true;
      },
      [&] {
        for (size_t i = 0; i < items.size(); ++i) {
          fallback_.Set(items[i].first, encoded[i], std::stoll(ms[i]));
        }
        return true;
      },
      false);
  if (near_) {
    for (const auto& item : items) near_->Invalidate(item.first);
  }
  return ok;
}

}  // namespace stash

namespace stash {

size_t Cache::DeleteMatching(std::string_view glob, Op op) {
  constexpr const char* kBatch = "500";
  size_t removed = Run<size_t>(
      op,
      [&](Connection& c) -> size_t {
        // SCAN + UNLINK page by page: bounded work per command, never KEYS. A key moved by a
        // rehash may be reported twice; UNLINK counts only what it removed.
        size_t n = 0;
        std::string cursor = "0";
        do {
          Reply page = c.Call({"SCAN", cursor, "MATCH", glob, "COUNT", kBatch});
          Expect(page, "SCAN");
          if (page.elems.size() != 2) throw ServerError("SCAN: unexpected reply shape");
          cursor = page.elems[0].str;
          const std::vector<Reply>& keys = page.elems[1].elems;
          if (keys.empty()) continue;
          Command unlink{"UNLINK"};
          for (const Reply& k : keys) unlink.push_back(k.str);
          n += static_cast<size_t>(Expect(c.Call(unlink), "UNLINK").integer);
        } while (cursor != "0");
        return n;
      },
      [&] { return fallback_.DeleteMatching(glob); }, size_t{0});
  if (near_) near_->InvalidateMatching(glob);
  return removed;
}

size_t Cache::DeletePattern(std::string_view glob) {
  size_t n = DeleteMatching(glob, Op::kDeletePattern);
  if (config_.invalidation_events) PublishInvalidation(EventKind::kPattern, glob);
  return n;
}

size_t Cache::InvalidateNamespace(std::string_view ns) {
  size_t n = DeleteMatching(NamespacePattern(config_.key_prefix, ns), Op::kDeletePattern);
  if (config_.invalidation_events) PublishInvalidation(EventKind::kNamespace, ns);
  return n;
}

size_t Cache::InvalidateNamespaces(const std::vector<std::string>& namespaces) {
  size_t n = 0;
  for (const std::string& ns : namespaces) n += InvalidateNamespace(ns);
  return n;
}

size_t Cache::Clear(bool flush_database) {
  if (!flush_database) return DeleteMatching(GlobEscape(config_.key_prefix) + ":*", Op::kClear);
  size_t removed = Run<size_t>(
      Op::kClear,
      [&](Connection& c) -> size_t {
        std::vector<Reply> r = c.Pipeline({{"DBSIZE"}, {"FLUSHDB"}});
        Expect(r[1], "FLUSHDB");
        return static_cast<size_t>(r[0].integer);
      },
      [&] { return fallback_.Clear(); }, size_t{0});
  if (near_) near_->Flush();
  return removed;
}

bool Cache::PublishInvalidation(EventKind kind, std::string_view target) {
  static constexpr const char* kPrefix[] = {"key ", "ns ", "pattern "};
  std::string payload = kPrefix[static_cast<int>(kind)] + std::string(target);
  // Local copies go at once, whether or not the server is there to relay the event.
  ApplyEvent(payload);
  return Run<bool>(
      Op::kPublish,
      [&](Connection& c) {
        Expect(c.Call({"PUBLISH", config_.invalidation_channel, payload}), "PUBLISH");
        return true;
      },
      [] { return false; }, false);
}

void Cache::ApplyEvent(const std::string& payload) {
  size_t space = payload.find(' ');
  if (space == std::string::npos) return;
  std::string_view kind(payload.data(), space);
  std::string_view target = std::string_view(payload).substr(space + 1);
  std::string glob;
  if (kind == "key") {
    if (near_) near_->Invalidate(target);
    fallback_.Delete(target);
    return;
  }
  if (kind == "ns") {
    glob = NamespacePattern(config_.key_prefix, target);
  } else if (kind == "pattern") {
    glob = std::string(target);
  } else {
    return;  // an event from a newer client: ignore what we do not understand
  }
  if (near_) near_->InvalidateMatching(glob);
  fallback_.DeleteMatching(glob);
}

}  // namespace stash
