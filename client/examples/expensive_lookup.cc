// Caching an expensive lookup: the first call computes, later calls are served from the cache.
// Connection settings come from the environment (REDIS_URL or REDIS_HOST/REDIS_PORT ...).
#include <cstdio>
#include <string>

#include "client/cache.h"

// Stands in for a slow database query or remote API call.
static int lookups = 0;
std::string LookupCompanyName(int64_t company_id) {
  ++lookups;
  return "Company #" + std::to_string(company_id);
}

int main() {
  stash::Cache cache(stash::CacheConfig::FromEnvironment());
  cache.InvalidateNamespace("company");  // start clean, so the output below is predictable

  // Keys: cache:company:<name>:<hash of the arguments>; TTL: the company namespace's (2 h).
  auto company_name = cache.Cached("company", std::nullopt, LookupCompanyName,
                                   {.name = "company_name"});
  for (int i = 0; i < 3; ++i) std::printf("%s\n", company_name(7).c_str());

  stash::CacheStats stats = cache.Stats();
  std::printf("lookups=%d hits=%llu misses=%llu\n", lookups,
              static_cast<unsigned long long>(stats.hits),
              static_cast<unsigned long long>(stats.misses));
  return lookups == 1 && stats.hits == 2 ? 0 : 1;
}
