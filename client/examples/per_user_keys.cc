// Per-user keys with parameters: the same parameters in any order name the same key, and each
// user's entries live under the user namespace with its TTL.
#include <cstdio>
#include <string>

#include "client/cache.h"

int main() {
  stash::Cache cache(stash::CacheConfig::FromEnvironment());

  std::string a = cache.Key("user", "42", {{"page", "2"}, {"lang", "en"}});
  std::string b = cache.Key("user", "42", {{"lang", "en"}, {"page", "2"}});
  std::printf("key: %s\n", a.c_str());
  if (a != b) return 1;

  cache.Set(a, "dashboard for user 42, page 2, in English");
  std::optional<std::string> page = cache.Get(b);
  std::printf("value: %s\n", page ? page->c_str() : "(miss)");
  std::printf("ttl: %lld ms (user namespace: 3600 s)\n",
              static_cast<long long>(cache.TtlOf(a).count()));

  // Typed values go through a codec: numbers are built in.
  std::string visits = cache.Key("user", "42", {{"counter", "visits"}});
  cache.SetAs<int64_t>(visits, 17);
  std::printf("visits: %lld\n", static_cast<long long>(cache.GetAs<int64_t>(visits).value_or(-1)));
  return page && cache.GetAs<int64_t>(visits) == 17 ? 0 : 1;
}
