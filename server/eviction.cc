#include "server/eviction.h"

#include <chrono>
#include <cmath>
#include <mutex>

#include "server/command_table.h"
#include "server/server_state.h"
#include "storage/access_policy.h"
#include "storage/memory_counter.h"

namespace stash::server {

using storage::EvictionPolicy;

struct EvictionState::Worker {
  storage::EvictionPool pool;
  uint64_t rng = 0;
  std::vector<int> databases;  // databases that had keys at the last refresh
  int64_t databases_refreshed_ms = -1;
  std::string scratch;
  std::atomic<uint64_t> evicted{0};

  uint64_t Next() {
    // splitmix64
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

namespace {

int64_t SteadyUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Redis's evictionTimeLimitUs: how long one eviction run may take before the command goes on
// and the timer continues the work.
int64_t TimeLimitUs(int tenacity) {
  if (tenacity <= 10) return 50LL * tenacity;
  if (tenacity < 100) return static_cast<int64_t>(500.0 * std::pow(1.15, tenacity - 10.0));
  return INT64_MAX;
}

bool IsNamed(const Command* cmd, std::string_view name) { return cmd->spec.name == name; }

}  // namespace

EvictionState::EvictionState(ServerState& server, int workers) : server_(server) {
  for (int i = 0; i < workers; ++i) {
    workers_.push_back(std::make_unique<Worker>());
    workers_.back()->rng = 0x243f6a8885a308d3ULL * static_cast<uint64_t>(i + 1);
  }
  size_t shards = 0;
  for (int d = 0; d < server.keyspace.database_count(); ++d) {
    shards += server.keyspace.db(d).shard_count();
  }
  sketches_.resize(shards);
  ApplyConfig();
}

EvictionState::~EvictionState() = default;

bool EvictionState::IsPolicySetting(std::string_view name) {
  return name == "maxmemory-policy" || name == "maxmemory-samples" ||
         name == "maxmemory-eviction-tenacity" || name == "lfu-log-factor" ||
         name == "lfu-decay-time";
}

void EvictionState::ApplyConfig() {
  const Config& config = *server_.config;
  EvictionPolicy p = EvictionPolicy::kNoEviction;
  storage::ParseEvictionPolicy(config.maxmemory_policy(), &p);
  policy_.store(p);
  samples_.store(config.maxmemory_samples());
  auto tenacity = config.GetOne("maxmemory-eviction-tenacity");
  tenacity_.store(tenacity ? std::atoi(tenacity->c_str()) : 10);
  storage::AccessSettings& access = storage::Access();
  access.lfu.store(storage::IsLfu(p));
  access.lfu_log_factor.store(config.lfu_log_factor());
  access.lfu_decay_time.store(config.lfu_decay_time());
}

bool EvictionState::enabled() const { return server_.config->maxmemory() > 0; }

bool EvictionState::OverLimit(int64_t maxmemory, int64_t slack) {
  int64_t limit = maxmemory + slack;
  if (storage::memory::UsedApprox() + storage::memory::UsedApproxError() <= limit) return false;
  return storage::memory::Used() > limit;
}

uint64_t EvictionState::evicted_keys() const {
  uint64_t sum = 0;
  for (const auto& w : workers_) sum += w->evicted.load(std::memory_order_relaxed);
  uint64_t base = evicted_base_.load();
  return sum >= base ? sum - base : sum;
}

void EvictionState::ResetStats() {
  uint64_t sum = 0;
  for (const auto& w : workers_) sum += w->evicted.load(std::memory_order_relaxed);
  evicted_base_.store(sum);
}

storage::FrequencySketch& EvictionState::Sketch(int db, size_t shard) {
  size_t per_db = server_.keyspace.db(0).shard_count();
  auto& slot = sketches_[static_cast<size_t>(db) * per_db + shard];
  if (!slot) {
    // About one counter per key the limit can hold (at ~100 bytes a key), per shard.
    int64_t maxmemory = server_.config->maxmemory();
    size_t keys = maxmemory > 0 ? static_cast<size_t>(maxmemory) / 100 / per_db : 0;
    if (keys < 1024) keys = 1024;
    if (keys > (size_t{1} << 20)) keys = size_t{1} << 20;
    slot = std::make_unique<storage::FrequencySketch>(keys);
  }
  return *slot;
}

void EvictionState::RecordAccess(const Command* cmd, const std::vector<std::string_view>& args,
                                 int db) {
  const CommandSpec& spec = cmd->spec;
  if (spec.first_key <= 0 || (spec.flags & (kNoKeyspace | kShardWalk | kExclusive))) return;
  int argc = static_cast<int>(args.size());
  int last = spec.last_key < 0 ? argc + spec.last_key : spec.last_key;
  if (last >= argc) last = argc - 1;
  storage::Database& d = server_.keyspace.db(db);
  for (int i = spec.first_key; i <= last; i += spec.key_step) {
    uint64_t hash = storage::HashKey(args[i]);
    Sketch(db, d.ShardOf(hash)).Record(hash);
  }
}

void EvictionState::RefreshDatabases(Worker& w, int64_t now_ms) {
  if (w.databases_refreshed_ms >= 0 && now_ms - w.databases_refreshed_ms < 100 &&
      !w.databases.empty()) {
    return;
  }
  w.databases_refreshed_ms = now_ms;
  w.databases.clear();
  for (int d = 0; d < server_.keyspace.database_count(); ++d) {
    storage::Database& db = server_.keyspace.db(d);
    for (size_t s = 0; s < db.shard_count(); ++s) {
      std::lock_guard<std::mutex> lock(db.shard(s).mutex());
      if (db.shard(s).size() > 0) {
        w.databases.push_back(d);
        break;
      }
    }
  }
}

// evictionPoolPopulate: from each database with keys, maxmemory-samples keys of one random
// non-empty shard (for volatile policies, keys with a TTL) go through the pool.
void EvictionState::Populate(Worker& w, int64_t now_ms) {
  EvictionPolicy policy = this->policy();
  bool volatile_only = storage::IsVolatile(policy);
  size_t samples = static_cast<size_t>(samples_.load(std::memory_order_relaxed));
  int decay = storage::Access().lfu_decay_time.load(std::memory_order_relaxed);
  for (int d : w.databases) {
    storage::Database& db = server_.keyspace.db(d);
    size_t n = db.shard_count();
    size_t start = static_cast<size_t>(w.Next() % n);
    for (size_t i = 0; i < n; ++i) {
      storage::Shard& shard = db.shard((start + i) % n);
      std::lock_guard<std::mutex> lock(shard.mutex());
      if (shard.size() == 0 || (volatile_only && shard.expires() == 0)) continue;
      // Redis's dictGetSomeKeys walks at most count * 10 buckets; keys with a TTL may be rare
      // among all keys, so volatile policies look further.
      size_t max_slots = volatile_only ? std::max<size_t>(samples * 10, 4096) : samples * 10;
      size_t found = 0;
      shard.VisitSlotsFrom(w.Next(), max_slots, [&](storage::Entry e) {
        if (found >= samples || (volatile_only && !e.has_expiry())) return;
        ++found;
        std::string_view key = e.key();
        w.pool.Insert(storage::EvictionScore(policy, e, now_ms, decay), d, key,
                      storage::HashKey(key), e.meta24());
      });
      break;
    }
  }
}

bool EvictionState::EraseKey(Worker& w, int db_index, std::string_view key, uint64_t hash,
                             int64_t now_ms, const uint32_t* expected_meta) {
  storage::Database& db = server_.keyspace.db(db_index);
  storage::Shard& shard = db.shard(db.ShardOf(hash));
  std::lock_guard<std::mutex> lock(shard.mutex());
  storage::Entry e = shard.FindRaw(key, hash);
  if (!e) return false;
  if (expected_meta != nullptr && e.meta24() != *expected_meta) return false;
  if (shard.Erase(key, hash, now_ms)) w.evicted.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool EvictionState::EvictRandom(Worker& w, int64_t now_ms) {
  bool volatile_only = policy() == EvictionPolicy::kVolatileRandom;
  for (int attempt = 0; attempt < 16 && !w.databases.empty(); ++attempt) {
    int d = w.databases[w.Next() % w.databases.size()];
    storage::Database& db = server_.keyspace.db(d);
    size_t n = db.shard_count();
    size_t start = static_cast<size_t>(w.Next() % n);
    for (size_t i = 0; i < n; ++i) {
      storage::Shard& shard = db.shard((start + i) % n);
      uint64_t hash = 0;
      bool found = false;
      {
        std::lock_guard<std::mutex> lock(shard.mutex());
        if (shard.size() == 0 || (volatile_only && shard.expires() == 0)) continue;
        shard.VisitSlotsFrom(w.Next(), volatile_only ? 4096 : shard.table_capacity(),
                             [&](storage::Entry e) {
                               if (found || (volatile_only && !e.has_expiry())) return;
                               found = true;
                               w.scratch.assign(e.key());
                             });
        if (found) {
          hash = storage::HashKey(w.scratch);
          if (shard.Erase(w.scratch, hash, now_ms)) {
            w.evicted.fetch_add(1, std::memory_order_relaxed);
          }
          return true;
        }
      }
      break;  // a shard with TTL keys none of which were in reach: try another database
    }
  }
  return false;
}

bool EvictionState::EvictOne(Worker& w, int64_t now_ms) {
  RefreshDatabases(w, now_ms);
  if (storage::IsRandom(policy())) return EvictRandom(w, now_ms);
  // A few rounds of sampling: candidates may have been deleted or used since they were seen.
  for (int round = 0; round < 8; ++round) {
    Populate(w, now_ms);
    if (w.pool.empty()) return false;
    while (const auto* best = w.pool.Best()) {
      int db = best->db;
      uint64_t hash = best->hash;
      uint32_t meta = best->meta;
      w.scratch.assign(best->key);
      w.pool.PopBest();
      if (EraseKey(w, db, w.scratch, hash, now_ms, &meta)) return true;
    }
  }
  return false;
}

EvictionState::Result EvictionState::PerformEvictions(int worker, int64_t now_ms, int64_t slack) {
  int64_t maxmemory = server_.config->maxmemory();
  if (maxmemory <= 0 || !OverLimit(maxmemory, slack)) return Result::kOk;
  if (policy() == EvictionPolicy::kNoEviction) return Result::kFail;
  Worker& w = *workers_[worker];
  int64_t limit_us = TimeLimitUs(tenacity_.load(std::memory_order_relaxed));
  int64_t start = SteadyUs();
  Result result = Result::kOk;
  server_.exec_lock.LockShared(worker);
  int evicted = 0;
  while (storage::memory::Used() > maxmemory) {
    if (!EvictOne(w, now_ms)) {
      result = Result::kFail;
      break;
    }
    if (++evicted % 16 == 0 && SteadyUs() - start > limit_us) {
      result = Result::kRunning;
      break;
    }
  }
  server_.exec_lock.UnlockShared(worker);
  return result;
}

bool EvictionState::BeforeCommand(int worker, const Command* cmd,
                                  const std::vector<std::string_view>& args, int db,
                                  bool in_multi,
                                  const std::vector<std::vector<std::string>>& queued,
                                  int64_t now_ms, bool* drop_new_key) {
  *drop_new_key = false;
  int64_t maxmemory = server_.config->maxmemory();
  if (maxmemory <= 0) return true;
  bool denyoom = (cmd->spec.flags & kDenyOom) != 0;
  EvictionPolicy policy = this->policy();
  if (policy == EvictionPolicy::kAllkeysTinyLfu) {
    // Only what grows memory makes room; a read leaves the admission decision to the next write.
    if (!denyoom || !OverLimit(maxmemory)) return true;
    if (cmd->spec.first_key > 0 && static_cast<size_t>(cmd->spec.first_key) < args.size() &&
        !in_multi) {
      std::string_view key = args[cmd->spec.first_key];
      uint64_t hash = storage::HashKey(key);
      storage::Database& d = server_.keyspace.db(db);
      size_t shard_index = d.ShardOf(hash);
      uint32_t new_freq = 0;
      bool exists;
      Worker& w = *workers_[worker];
      server_.exec_lock.LockShared(worker);
      {
        std::lock_guard<std::mutex> lock(d.shard(shard_index).mutex());
        exists = static_cast<bool>(d.shard(shard_index).Peek(key, hash, now_ms));
        new_freq = Sketch(db, shard_index).Estimate(hash);
      }
      bool admit = true;
      if (!exists) {
        RefreshDatabases(w, now_ms);
        if (w.pool.empty()) Populate(w, now_ms);
        if (const auto* victim = w.pool.Best()) {
          storage::Database& vd = server_.keyspace.db(victim->db);
          size_t vs = vd.ShardOf(victim->hash);
          std::lock_guard<std::mutex> lock(vd.shard(vs).mutex());
          admit = new_freq > Sketch(victim->db, vs).Estimate(victim->hash);
        }
      }
      server_.exec_lock.UnlockShared(worker);
      if (!admit) {
        *drop_new_key = true;
        return true;
      }
    }
  }
  Result r = PerformEvictions(worker, now_ms);
  if (r != Result::kFail) return true;
  bool reject = denyoom;
  if (IsNamed(cmd, "exec")) {
    for (const auto& q : queued) {
      const Command* c = CommandTable::Get().Find(q[0]);
      if (c != nullptr && c->is_container() && q.size() >= 2) {
        const Command* sub = c->FindSubcommand(q[1]);
        if (sub != nullptr) c = sub;
      }
      if (c != nullptr && (c->spec.flags & kDenyOom)) reject = true;
    }
  } else if (in_multi && !IsNamed(cmd, "discard") && !IsNamed(cmd, "quit") &&
             !IsNamed(cmd, "reset")) {
    // Queueing may grow memory without bound (Redis rejects every queued command).
    reject = true;
  }
  return !reject;
}

void EvictionState::AfterCommand(int worker, std::string_view key, int db, int64_t now_ms) {
  Worker& w = *workers_[worker];
  server_.exec_lock.LockShared(worker);
  EraseKey(w, db, key, storage::HashKey(key), now_ms, nullptr);
  server_.exec_lock.UnlockShared(worker);
}

bool EvictionState::Cron(int worker, int64_t now_ms) {
  // used_memory_peak is kept here too, as Redis's cron does, not only when INFO is asked.
  uint64_t used = static_cast<uint64_t>(storage::memory::Used());
  uint64_t peak = server_.peak_memory.load();
  while (used > peak && !server_.peak_memory.compare_exchange_weak(peak, used)) {
  }
  int64_t maxmemory = server_.config->maxmemory();
  if (maxmemory <= 0) return false;
  // Under TinyLFU memory may sit slightly above the limit after a refused admission; only a
  // real excess (a lowered maxmemory) is the timer's business.
  int64_t slack = policy() == EvictionPolicy::kAllkeysTinyLfu
                      ? std::min<int64_t>(maxmemory / 64, 1 << 20)
                      : 0;
  Result r = PerformEvictions(worker, now_ms, slack);
  return r == Result::kRunning;
}

}  // namespace stash::server
