// State shared by all workers of one server: configuration, keyspace, locks, clients and
// statistics. Handlers reach it through CommandContext::server.
#ifndef STASH_SERVER_SERVER_STATE_H_
#define STASH_SERVER_SERVER_STATE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/blocking.h"
#include "server/client_state.h"
#include "server/config.h"
#include "server/exec_lock.h"
#include "server/monitor.h"
#include "server/notify.h"
#include "server/pubsub.h"
#include "server/scripting/script_state.h"
#include "server/tracking.h"
#include "storage/keyspace.h"
#include "storage/lazy_free.h"

namespace stash::server {

namespace scripting {
class Scripting;
}

// Per-command counters for INFO commandstats.
struct CommandStats {
  std::atomic<uint64_t> calls{0};
  std::atomic<uint64_t> usec{0};
  std::atomic<uint64_t> rejected_calls{0};
  std::atomic<uint64_t> failed_calls{0};
};

// Counters written by one worker only (relaxed atomics so INFO can read them from another
// thread); INFO sums them over workers. Keeping them per worker keeps the hot path free of
// shared cache lines.
struct alignas(64) WorkerStats {
  explicit WorkerStats(size_t commands) : per_command(new CommandStats[commands]) {}
  std::atomic<uint64_t> keyspace_hits{0};
  std::atomic<uint64_t> keyspace_misses{0};
  std::atomic<uint64_t> commands_processed{0};
  std::atomic<uint64_t> connections_received{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> net_input_bytes{0};
  std::atomic<uint64_t> net_output_bytes{0};
  std::atomic<uint64_t> error_replies{0};
  // Active expiry (server/active_expire.h): steps cut short by their budget, time spent.
  std::atomic<uint64_t> expire_steps_capped{0};
  std::atomic<uint64_t> expire_usec{0};
  std::unique_ptr<CommandStats[]> per_command;

  static void Bump(std::atomic<uint64_t>& c, uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

class ClientRegistry {
 public:
  uint64_t NextId() { return next_id_.fetch_add(1) + 1; }
  void Add(std::shared_ptr<ClientInfo> info) {
    std::lock_guard<std::mutex> lock(mu_);
    clients_[info->id] = std::move(info);
  }
  void Remove(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    clients_.erase(id);
  }
  // The live client with this id, or null (also for one killed but not yet closed).
  std::shared_ptr<ClientInfo> Find(uint64_t id) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = clients_.find(id);
    if (it == clients_.end() || it->second->killed.load(std::memory_order_relaxed)) return nullptr;
    return it->second;
  }
  std::vector<std::shared_ptr<ClientInfo>> Snapshot() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::shared_ptr<ClientInfo>> out;
    out.reserve(clients_.size());
    for (auto& [id, info] : clients_) out.push_back(info);
    return out;
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return clients_.size();
  }

 private:
  mutable std::mutex mu_;
  std::map<uint64_t, std::shared_ptr<ClientInfo>> clients_;  // ordered by id, as CLIENT LIST
  std::atomic<uint64_t> next_id_{0};
};

// INFO's bookkeeping (server/info.cc): memory peak, rate samples, CONFIG RESETSTAT baselines.
struct InfoState;
std::shared_ptr<InfoState> NewInfoState();
class EvictionState;  // server/eviction.h

struct ServerState {
  ServerState(std::shared_ptr<Config> cfg, int workers);

  std::shared_ptr<Config> config;
  // Declared before the keyspace so that it outlives it: values detached from the keyspace
  // are still being freed when the keyspace goes.
  storage::LazyFreer lazy_free;
  storage::Keyspace keyspace;
  ExecLock exec_lock;
  ClientRegistry clients;
  BlockingRegistry blocking;
  PubSub pubsub;
  Tracking tracking{clients};
  Monitors monitors;
  // One per database, installed on its shards: expiry and modifications reach tracking and
  // keyspace notifications through these.
  std::vector<std::unique_ptr<KeyEvents>> key_events;
  std::vector<std::unique_ptr<WorkerStats>> worker_stats;

  int64_t start_time_ms = 0;
  std::string run_id;
  int tcp_port = 0;
  int worker_count = 0;
  // Set by the server: asks it to shut down (SHUTDOWN).
  std::function<void()> request_shutdown;
  std::atomic<int64_t> stat_reset_ms{0};
  std::shared_ptr<InfoState> info_state = NewInfoState();
  // maxmemory enforcement (server/eviction.h); created with the state.
  std::shared_ptr<EvictionState> eviction;
  // used_memory once the server finished starting (INFO used_memory_startup).
  std::atomic<int64_t> startup_memory{0};
  std::atomic<uint64_t> peak_memory{0};  // used_memory_peak (reset by CONFIG RESETSTAT)
  // Lua scripting (server/scripting/): whether a script runs (BUSY, SCRIPT KILL), and the engines.
  scripting::ScriptRunState script_state;
  std::shared_ptr<scripting::Scripting> scripting;
};

}  // namespace stash::server

#endif  // STASH_SERVER_SERVER_STATE_H_
