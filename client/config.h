// Settings of the cache client, from code or from the environment variables applications
// already use for Redis (REDIS_URL, REDIS_HOST, ... see FromEnvironment). Every value is checked
// when the configuration is built, so a typo fails at start-up with a message naming the
// variable, not later as a mysterious miss.
#ifndef STASH_CLIENT_CONFIG_H_
#define STASH_CLIENT_CONFIG_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace stash {

enum class LogLevel { kInfo, kWarning, kError };
using Logger = std::function<void(LogLevel, const std::string&)>;

// How the near cache learns that a key changed on the server.
enum class TrackingMode {
  kResp3,          // HELLO 3 on a dedicated connection; pool connections REDIRECT to it
  kResp2Redirect,  // a RESP2 connection SUBSCRIBEd to __redis__:invalidate, the same REDIRECT
};

using NamespaceTtls = std::map<std::string, std::chrono::seconds, std::less<>>;

// The namespaces most applications start with; replace or extend per application.
NamespaceTtls DefaultNamespaceTtls();

struct CacheConfig {
  // Where the server is.
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string username;  // empty: AUTH with the password only
  std::string password;

  bool enabled = true;               // false: every call goes to the in-process fallback
  std::string key_prefix = "cache";  // keys are prefix:namespace:identifier[:hash8]
  std::chrono::seconds default_ttl{300};
  NamespaceTtls namespace_ttls = DefaultNamespaceTtls();

  size_t pool_max_connections = 10;
  std::chrono::milliseconds pool_timeout{20000};
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds socket_timeout{2000};  // each read and write of a command

  // Circuit breaker: after this many consecutive failures the server is left alone for
  // breaker_recovery, then one probe decides whether it is back.
  int breaker_failure_threshold = 5;
  std::chrono::milliseconds breaker_recovery{30000};

  // Strict mode: cache failures throw (CacheError subclasses) instead of degrading to misses.
  bool strict = false;

  // In-process fallback used while the server is unreachable or the cache is disabled.
  bool fallback_enabled = true;
  size_t fallback_max_entries = 10000;
  size_t fallback_max_bytes = 64 << 20;

  // zstd compression of values of at least compression_threshold bytes.
  bool compression = false;
  size_t compression_threshold = 1024;
  int compression_level = 3;

  // Near cache: an in-process first level kept coherent by server-assisted invalidation.
  bool near_cache = false;
  TrackingMode tracking_mode = TrackingMode::kResp3;
  size_t near_cache_max_entries = 10000;
  // Upper bound on how long a near-cache entry lives even without an invalidation.
  std::chrono::milliseconds near_cache_ttl{60000};

  // Cross-process invalidation events over Pub/Sub.
  bool invalidation_events = false;
  std::string invalidation_channel = "stash:invalidate";

  Logger logger;  // unset: one line per message on stderr

  // Reads the environment (REDIS_URL, REDIS_HOST, REDIS_PORT, REDIS_DB, REDIS_PASSWORD,
  // REDIS_ENABLED / REDIS_CACHE_ENABLED, REDIS_CACHE_KEY_PREFIX, CACHE_DEFAULT_TTL,
  // REDIS_POOL_MAX_CONNECTIONS, REDIS_POOL_TIMEOUT) over the defaults above. REDIS_URL, when
  // set, wins over REDIS_HOST/PORT/DB/PASSWORD. Throws ConfigError naming the bad variable.
  static CacheConfig FromEnvironment();
  // The same with an injectable lookup (tests); lookup returns nullptr for unset names.
  static CacheConfig FromEnvironment(const std::function<const char*(const char*)>& lookup);

  // Applies redis://[user:password@]host[:port][/db]. rediss:// is refused: no TLS yet.
  void ApplyUrl(std::string_view url);

  // Throws ConfigError on an impossible combination (port 0, empty prefix, ...).
  void Validate() const;

  // The TTL for keys of namespace ns: its own, else the default.
  std::chrono::seconds TtlFor(std::string_view ns) const;
};

}  // namespace stash

#endif  // STASH_CLIENT_CONFIG_H_
