// maxmemory enforcement, as Redis's performEvictions: before a command runs, while used memory
// (storage/memory_counter.h) is above maxmemory, keys are evicted by the configured policy;
// if nothing can be evicted, commands flagged denyoom are refused with the OOM error. A timer
// on each worker keeps evicting in bounded steps when memory is over the limit with no command
// coming (e.g. after CONFIG SET maxmemory lowered it).
//
// Locking: eviction runs on a worker thread holding that worker's shared ExecLock slot, and
// locks one shard at a time, never while the command holds its own shard locks (it runs before
// the command takes them), so it cannot deadlock with commands or exclusive commands.
//
// Sampling (LRU, LFU, TTL policies): each eviction samples maxmemory-samples keys from a run of
// slots of one random non-empty shard per database into the worker's pool of the 16 best
// candidates (Redis's eviction pool), then evicts the best one that is still unchanged (its
// meta24 stamp as sampled: a key used since it was sampled is not evicted on stale data).
//
// allkeys-tinylfu (beyond Redis): LRU victims, plus TinyLFU admission. Every keyed command
// records its keys in a per-shard count-min sketch (storage::FrequencySketch), hits and misses
// alike. When a denyoom command is about to create a new key while memory is over the limit,
// the new key's estimated frequency is compared with the LRU victim's; unless the new key is
// more frequent, the victim stays and the new key is evicted right after the command instead.
// So a one-off scan of cold keys cannot flush the hot set.
#ifndef STASH_SERVER_EVICTION_H_
#define STASH_SERVER_EVICTION_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/eviction.h"

namespace stash::server {

struct Command;
struct ServerState;

class EvictionState {
 public:
  enum class Result { kOk, kRunning, kFail };

  // Reads the policy settings from server.config.
  EvictionState(ServerState& server, int workers);
  ~EvictionState();

  // Whether a maxmemory limit is configured at all (one atomic load).
  bool enabled() const;
  storage::EvictionPolicy policy() const { return policy_.load(std::memory_order_relaxed); }

  // Before cmd runs on `worker` (no locks held): evicts while over maxmemory. Returns whether
  // the command may run; false means reply the OOM error. *drop_new_key is set when TinyLFU
  // refused admission to the key cmd creates: call AfterCommand once it ran.
  bool BeforeCommand(int worker, const Command* cmd, const std::vector<std::string_view>& args,
                     int db, bool in_multi, const std::vector<std::vector<std::string>>& queued,
                     int64_t now_ms, bool* drop_new_key);
  void AfterCommand(int worker, std::string_view key, int db, int64_t now_ms);
  // TinyLFU: records the keys of a command about to run. REQUIRES their shard locks held.
  void RecordAccess(const Command* cmd, const std::vector<std::string_view>& args, int db);
  bool records_access() const {
    return policy() == storage::EvictionPolicy::kAllkeysTinyLfu;
  }

  // The worker timer's step; returns whether memory is still over the limit.
  bool Cron(int worker, int64_t now_ms);

  // Evicts on `worker` until under maxmemory, within the tenacity time limit.
  Result PerformEvictions(int worker, int64_t now_ms, int64_t slack = 0);

  // Re-reads the policy settings after CONFIG SET changed one of them.
  void ApplyConfig();
  static bool IsPolicySetting(std::string_view directive);

  uint64_t evicted_keys() const;
  void ResetStats();
  // Whether used memory is above maxmemory + slack (fast when far below).
  static bool OverLimit(int64_t maxmemory, int64_t slack = 0);

 private:
  struct Worker;
  bool EvictOne(Worker& w, int64_t now_ms);
  bool EvictRandom(Worker& w, int64_t now_ms);
  void Populate(Worker& w, int64_t now_ms);
  void RefreshDatabases(Worker& w, int64_t now_ms);
  storage::FrequencySketch& Sketch(int db, size_t shard);  // REQUIRES the shard's lock
  bool EraseKey(Worker& w, int db, std::string_view key, uint64_t hash, int64_t now_ms,
                const uint32_t* expected_meta);

  ServerState& server_;
  std::atomic<storage::EvictionPolicy> policy_{storage::EvictionPolicy::kNoEviction};
  std::atomic<int> samples_{5};
  std::atomic<int> tenacity_{10};
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<storage::FrequencySketch>> sketches_;  // [db * shards + shard]
  std::atomic<uint64_t> evicted_base_{0};
};

}  // namespace stash::server

#endif  // STASH_SERVER_EVICTION_H_
