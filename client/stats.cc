#include "client/stats.h"

#include <bit>
#include <charconv>

namespace stash {

const char* OpName(Op op) {
  static constexpr const char* kNames[] = {"get",      "set",       "set_if_absent",
                                           "delete",   "exists",    "ttl",
                                           "get_many", "set_many",  "delete_pattern",
                                           "clear",    "publish"};
  return kNames[static_cast<int>(op)];
}

int LatencyHistogram::BucketOf(uint64_t nanos) {
  if (nanos < kSubBuckets) return static_cast<int>(nanos);
  int log = 63 - std::countl_zero(nanos);  // >= 3
  int sub = static_cast<int>((nanos >> (log - 3)) & (kSubBuckets - 1));
  return (log - 2) * kSubBuckets + sub;
}

uint64_t LatencyHistogram::BucketUpper(int bucket) {
  if (bucket < kSubBuckets) return static_cast<uint64_t>(bucket);
  int log = bucket / kSubBuckets + 2;
  uint64_t sub = static_cast<uint64_t>(bucket % kSubBuckets);
  return ((kSubBuckets + sub + 1) << (log - 3)) - 1;
}

void LatencyHistogram::Record(uint64_t nanos) {
  int b = BucketOf(nanos);
  if (b >= kBuckets) b = kBuckets - 1;
  buckets_[b].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  total_ns_.fetch_add(nanos, std::memory_order_relaxed);
}

void LatencyHistogram::Reset() {
  for (auto& b : buckets_) b.store(0, std::memory_order_relaxed);
  count_.store(0, std::memory_order_relaxed);
  total_ns_.store(0, std::memory_order_relaxed);
}

LatencyHistogram::Summary LatencyHistogram::Summarize() const {
  Summary s;
  s.count = count_.load(std::memory_order_relaxed);
  if (s.count == 0) return s;
  s.mean_us = static_cast<double>(total_ns_.load(std::memory_order_relaxed)) / s.count / 1000.0;
  uint64_t rank = (s.count * 99 + 99) / 100;  // the ceil(0.99 n)-th sample
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += buckets_[b].load(std::memory_order_relaxed);
    if (seen >= rank) {
      s.p99_us = static_cast<double>(BucketUpper(b)) / 1000.0;
      break;
    }
  }
  return s;
}

namespace {

uint64_t ToNumber(std::string_view s) {
  uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

}  // namespace

ServerStats ParseInfo(std::string_view info) {
  ServerStats st;
  while (!info.empty()) {
    size_t eol = info.find('\n');
    std::string_view line = info.substr(0, eol);
    info = eol == std::string_view::npos ? std::string_view() : info.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t colon = line.find(':');
    if (line.empty() || line[0] == '#' || colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon), value = line.substr(colon + 1);
    if (name == "redis_version") {
      st.version = std::string(value);
    } else if (name == "used_memory") {
      st.used_memory = ToNumber(value);
    } else if (name == "used_memory_human") {
      st.used_memory_human = std::string(value);
    } else if (name == "keyspace_hits") {
      st.keyspace_hits = ToNumber(value);
    } else if (name == "keyspace_misses") {
      st.keyspace_misses = ToNumber(value);
    } else if (name == "connected_clients") {
      st.connected_clients = ToNumber(value);
    } else if (name == "uptime_in_seconds") {
      st.uptime_seconds = ToNumber(value);
    } else if (name.size() > 2 && name.substr(0, 2) == "db" && value.substr(0, 5) == "keys=") {
      size_t comma = value.find(',');
      st.keys_per_db[static_cast<int>(ToNumber(name.substr(2)))] =
          ToNumber(value.substr(5, comma == std::string_view::npos ? comma : comma - 5));
    }
  }
  return st;
}

}  // namespace stash
