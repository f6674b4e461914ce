// Statistics: the client's own counters (hits, misses, errors, fallbacks, latency per
// operation) and the server's figures from INFO.
#ifndef STASH_CLIENT_STATS_H_
#define STASH_CLIENT_STATS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace stash {

enum class Op : uint8_t {
  kGet, kSet, kSetIfAbsent, kDelete, kExists, kTtl, kGetMany, kSetMany, kDeletePattern,
  kClear, kPublish, kCount_
};
const char* OpName(Op op);

// Lock-free latency histogram: log-linear buckets (8 per power of two of nanoseconds), so p99
// is exact to within 12.5% without keeping samples.
class LatencyHistogram {
 public:
  static constexpr int kSubBuckets = 8;
  static constexpr int kBuckets = 64 * kSubBuckets;

  void Record(uint64_t nanos);
  void Reset();

  struct Summary {
    uint64_t count = 0;
    double mean_us = 0;
    double p99_us = 0;
  };
  Summary Summarize() const;

 private:
  static int BucketOf(uint64_t nanos);
  static uint64_t BucketUpper(int bucket);

  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> total_ns_{0};
};

struct CacheStats {
  uint64_t hits = 0;       // includes near-cache and fallback hits
  uint64_t near_hits = 0;  // served by the near cache without a round trip
  uint64_t misses = 0;     // includes failures, which count as misses
  uint64_t errors = 0;     // failed server calls (I/O, timeouts, pool exhausted, bad values)
  uint64_t fallbacks = 0;  // calls served by the in-process fallback
  double hit_rate = 0;     // hits / (hits + misses), 0 when there were none
  std::map<std::string, LatencyHistogram::Summary> latency;  // by OpName
};

// The server's own figures, from INFO.
struct ServerStats {
  std::string version;
  uint64_t used_memory = 0;
  std::string used_memory_human;
  std::map<int, uint64_t> keys_per_db;
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
  uint64_t connected_clients = 0;
  uint64_t uptime_seconds = 0;
};

// Parses INFO's "field:value" lines (and "dbN:keys=..,expires=.." lines).
ServerStats ParseInfo(std::string_view info);

}  // namespace stash

#endif  // STASH_CLIENT_STATS_H_
