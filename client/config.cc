#include "client/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include "client/errors.h"

namespace stash {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

int64_t ParseInteger(std::string_view text, const char* what, int64_t min, int64_t max) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    throw ConfigError(std::string(what) + ": '" + std::string(text) + "' is not an integer");
  }
  if (v < min || v > max) {
    throw ConfigError(std::string(what) + ": " + std::to_string(v) + " is out of range [" +
                      std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return v;
}

bool ParseBool(std::string_view text, const char* what) {
  std::string v = Lower(text);
  if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off") return false;
  throw ConfigError(std::string(what) + ": '" + std::string(text) +
                    "' is not a boolean (use true/false, yes/no, on/off or 1/0)");
}

// Seconds, possibly fractional ("0.5"), as milliseconds.
std::chrono::milliseconds ParseSeconds(std::string_view text, const char* what) {
  std::string s(text);
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !(v >= 0) || v > 86400.0 * 365) {
    throw ConfigError(std::string(what) + ": '" + s + "' is not a number of seconds");
  }
  return std::chrono::milliseconds(static_cast<int64_t>(v * 1000));
}

std::string PercentDecode(std::string_view s, const char* what) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    int v = 0;
    if (i + 2 >= s.size() ||
        std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16).ptr != s.data() + i + 3) {
      throw ConfigError(std::string(what) + ": bad percent escape in URL");
    }
    out.push_back(static_cast<char>(v));
    i += 2;
  }
  return out;
}

}  // namespace

NamespaceTtls DefaultNamespaceTtls() {
  using std::chrono::seconds;
  return {{"user", seconds(3600)},      {"pickup", seconds(300)},
          {"company", seconds(7200)},   {"locations", seconds(86400)},
          {"statistics", seconds(1800)}, {"general", seconds(1800)}};
}

void CacheConfig::ApplyUrl(std::string_view url) {
  const char* what = "REDIS_URL";
  std::string_view rest;
  if (url.substr(0, 9) == "rediss://") {
    throw ConfigError(
        "REDIS_URL: rediss:// (TLS) is not supported yet by the Stash client; use redis:// "
        "on a trusted network or a TLS tunnel");
  }
  if (url.substr(0, 8) != "redis://") {
    throw ConfigError("REDIS_URL: '" + std::string(url) +
                      "' must start with redis:// (form: redis://[user:password@]host:port/db)");
  }
  rest = url.substr(8);
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    size_t colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
      // redis://secret@host is how many libraries spell a password without a user.
      password = PercentDecode(userinfo, what);
    } else {
      username = PercentDecode(userinfo.substr(0, colon), what);
      password = PercentDecode(userinfo.substr(colon + 1), what);
    }
  }
  std::string_view host_part = authority;
  if (!authority.empty() && authority.front() == '[') {  // [::1]:6379
    size_t close = authority.find(']');
    if (close == std::string_view::npos) throw ConfigError("REDIS_URL: unbalanced '[' in host");
    host_part = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw ConfigError("REDIS_URL: junk after ']'");
      port = static_cast<int>(ParseInteger(after.substr(1), "REDIS_URL port", 1, 65535));
    }
  } else {
    size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host_part = authority.substr(0, colon);
      port = static_cast<int>(ParseInteger(authority.substr(colon + 1), "REDIS_URL port", 1,
                                           65535));
    }
  }
  if (host_part.empty()) throw ConfigError("REDIS_URL: no host in '" + std::string(url) + "'");
  host = std::string(host_part);
  size_t query = path.find('?');
  if (query != std::string_view::npos) path = path.substr(0, query);
  if (!path.empty()) db = static_cast<int>(ParseInteger(path, "REDIS_URL database", 0, 1 << 20));
}

CacheConfig CacheConfig::FromEnvironment() {
  return FromEnvironment([](const char* name) { return std::getenv(name); });
}

CacheConfig CacheConfig::FromEnvironment(
    const std::function<const char*(const char*)>& lookup) {
  CacheConfig c;
  auto get = [&](const char* name) -> const char* {
    const char* v = lookup(name);
    return v != nullptr && *v != '\0' ? v : nullptr;
  };
  if (const char* v = get("REDIS_HOST")) c.host = v;
  if (const char* v = get("REDIS_PORT")) {
    c.port = static_cast<int>(ParseInteger(v, "REDIS_PORT", 1, 65535));
  }
  if (const char* v = get("REDIS_DB")) {
    c.db = static_cast<int>(ParseInteger(v, "REDIS_DB", 0, 1 << 20));
  }
  if (const char* v = get("REDIS_PASSWORD")) c.password = v;
  if (const char* v = get("REDIS_URL")) c.ApplyUrl(v);

  const char* enabled = get("REDIS_ENABLED");
  const char* cache_enabled = get("REDIS_CACHE_ENABLED");
  if (enabled != nullptr) c.enabled = ParseBool(enabled, "REDIS_ENABLED");
  if (cache_enabled != nullptr) {
    bool v = ParseBool(cache_enabled, "REDIS_CACHE_ENABLED");
    if (enabled != nullptr && v != c.enabled) {
      throw ConfigError("REDIS_ENABLED and REDIS_CACHE_ENABLED disagree; set only one");
    }
    c.enabled = v;
  }
  if (const char* v = lookup("REDIS_CACHE_KEY_PREFIX")) {
    if (*v == '\0') throw ConfigError("REDIS_CACHE_KEY_PREFIX: must not be empty");
    c.key_prefix = v;
  }
  if (const char* v = get("CACHE_DEFAULT_TTL")) {
    c.default_ttl = std::chrono::seconds(ParseInteger(v, "CACHE_DEFAULT_TTL", 1, 1LL << 40));
  }
  if (const char* v = get("REDIS_POOL_MAX_CONNECTIONS")) {
    c.pool_max_connections =
        static_cast<size_t>(ParseInteger(v, "REDIS_POOL_MAX_CONNECTIONS", 1, 100000));
  }
  if (const char* v = get("REDIS_POOL_TIMEOUT")) {
    c.pool_timeout = ParseSeconds(v, "REDIS_POOL_TIMEOUT");
  }
  c.Validate();
  return c;
}

void CacheConfig::Validate() const {
  if (host.empty()) throw ConfigError("host: must not be empty");
  if (port < 1 || port > 65535) throw ConfigError("port: " + std::to_string(port) + " is not 1-65535");
  if (db < 0) throw ConfigError("db: must not be negative");
  if (key_prefix.empty()) throw ConfigError("key_prefix: must not be empty");
  if (key_prefix.find_first_of("*?[]\\") != std::string::npos) {
    // The prefix goes into SCAN MATCH patterns; glob characters would widen them.
    throw ConfigError("key_prefix: '" + key_prefix + "' must not contain * ? [ ] or \\");
  }
  if (default_ttl.count() <= 0) throw ConfigError("default_ttl: must be positive");
  for (const auto& [ns, ttl] : namespace_ttls) {
    if (ns.empty() || ns.find(':') != std::string::npos) {
      throw ConfigError("namespace '" + ns + "': must be non-empty and contain no ':'");
    }
    if (ttl.count() <= 0) throw ConfigError("namespace '" + ns + "': TTL must be positive");
  }
  if (pool_max_connections == 0) throw ConfigError("pool_max_connections: must be at least 1");
  if (pool_timeout.count() < 0 || connect_timeout.count() <= 0 || socket_timeout.count() <= 0) {
    throw ConfigError("timeouts: connect and socket timeouts must be positive");
  }
  if (breaker_failure_threshold < 1) throw ConfigError("breaker_failure_threshold: must be >= 1");
  if (breaker_recovery.count() < 0) throw ConfigError("breaker_recovery: must not be negative");
  if (compression_level < 1 || compression_level > 19) {
    throw ConfigError("compression_level: must be 1-19");
  }
  if (near_cache && near_cache_max_entries == 0) {
    throw ConfigError("near_cache_max_entries: must be at least 1 with the near cache on");
  }
  if (invalidation_events && invalidation_channel.empty()) {
    throw ConfigError("invalidation_channel: must not be empty");
  }
}

std::chrono::seconds CacheConfig::TtlFor(std::string_view ns) const {
  auto it = namespace_ttls.find(ns);
  return it == namespace_ttls.end() ? default_ttl : it->second;
}

}  // namespace stash
