// Invalidating a namespace after an update: reads are cached; the update function is wrapped so
// that, once it succeeds, every cached entry of the namespace is removed (SCAN + UNLINK).
#include <cstdio>
#include <map>
#include <string>

#include "client/cache.h"

std::map<int64_t, std::string> locations = {{1, "Depot North"}, {2, "Depot South"}};
int reads = 0;

int main() {
  stash::Cache cache(stash::CacheConfig::FromEnvironment());
  cache.InvalidateNamespace("locations");

  auto location = cache.Cached("locations", std::nullopt, [](int64_t id) {
    ++reads;
    return locations.at(id);
  }, {.name = "location"});
  auto rename = cache.Invalidating({"locations"}, [](int64_t id, const std::string& name) {
    locations[id] = name;  // the "database" write
  });

  std::printf("before: %s, %s\n", location(1).c_str(), location(2).c_str());
  std::printf("cached: %s\n", location(1).c_str());
  rename(1, "Depot North (new)");
  std::string after = location(1);
  std::printf("after:  %s\n", after.c_str());
  std::printf("reads from the database: %d\n", reads);
  return after == "Depot North (new)" && reads == 3 ? 0 : 1;
}
