// stash-cachestat: prints a running server's cache figures, the monitor teams usually write
// themselves. Connection settings come from the environment (REDIS_URL, REDIS_HOST, ...) and
// may be overridden on the command line.
//
//   stash-cachestat --url redis://127.0.0.1:6379/0 --namespace user --namespace pickup
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "client/cache.h"

int main(int argc, char** argv) {
  CLI::App app{"Print cache statistics of a running Stash or Redis server"};
  std::string url, prefix;
  std::vector<std::string> namespaces;
  bool no_scan = false;
  app.add_option("--url", url, "redis://[user:password@]host:port/db (default: environment)");
  app.add_option("--prefix", prefix, "key prefix (default: REDIS_CACHE_KEY_PREFIX or 'cache')");
  app.add_option("-n,--namespace", namespaces,
                 "namespace to count keys of (repeatable; default: the standard table)");
  app.add_flag("--no-scan", no_scan, "skip the per-namespace key counts (SCAN)");
  CLI11_PARSE(app, argc, argv);

  try {
    stash::CacheConfig config = stash::CacheConfig::FromEnvironment();
    if (!url.empty()) config.ApplyUrl(url);
    if (!prefix.empty()) config.key_prefix = prefix;
    config.strict = true;  // a monitor should say when it cannot reach the server
    config.pool_max_connections = 1;
    config.Validate();
    if (namespaces.empty()) {
      for (const auto& [ns, ttl] : config.namespace_ttls) namespaces.push_back(ns);
    }
    stash::Cache cache(config);
    stash::ServerStats s = cache.ServerInfo();
    uint64_t lookups = s.keyspace_hits + s.keyspace_misses;
    std::printf("server            %s:%d (version %s)\n", config.host.c_str(), config.port,
                s.version.c_str());
    std::printf("uptime            %llu s\n", static_cast<unsigned long long>(s.uptime_seconds));
    std::printf("connected_clients %llu\n", static_cast<unsigned long long>(s.connected_clients));
    std::printf("used_memory       %llu bytes (%s)\n",
                static_cast<unsigned long long>(s.used_memory), s.used_memory_human.c_str());
    std::printf("keyspace_hits     %llu\n", static_cast<unsigned long long>(s.keyspace_hits));
    std::printf("keyspace_misses   %llu\n", static_cast<unsigned long long>(s.keyspace_misses));
    std::printf("hit_rate          %.2f%%\n",
                lookups == 0 ? 0.0 : 100.0 * static_cast<double>(s.keyspace_hits) / lookups);
    for (const auto& [db, keys] : s.keys_per_db) {
      std::printf("db%-15d %llu keys\n", db, static_cast<unsigned long long>(keys));
    }
    if (!no_scan) {
      std::printf("keys per namespace (prefix '%s', db %d):\n", config.key_prefix.c_str(),
                  config.db);
      for (const std::string& ns : namespaces) {
        std::printf("  %-16s %llu\n", ns.c_str(),
                    static_cast<unsigned long long>(cache.CountNamespaceKeys(ns)));
      }
    }
  } catch (const stash::CacheError& e) {
    std::cerr << "stash-cachestat: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
