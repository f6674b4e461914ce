#include "server/info.h"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <random>
#include <set>

#include "server/commands/server_common.h"
#include "server/eviction.h"
#include "server/memory_report.h"
#include "storage/memory_counter.h"

namespace stash::server {

struct InfoState {
  // Counter totals at one moment; instantaneous_* are rates between two of these.
  struct Sample {
    int64_t ms = 0;
    uint64_t commands = 0, net_in = 0, net_out = 0;
  };
  std::mutex mu;
  std::array<Sample, 16> samples;  // ring, guarded by mu
  size_t sample_count = 0, sample_next = 0;

  // Shards count expired keys for ever; RESETSTAT moves this baseline instead.
  std::atomic<uint64_t> expired_keys_base{0};
  std::string master_replid;
};

std::shared_ptr<InfoState> NewInfoState() {
  auto state = std::make_shared<InfoState>();
  std::random_device rd;
  std::mt19937_64 gen(rd());
  static const char kHex[] = "0123456789abcdef";
  state->master_replid.assign(40, '0');
  for (char& c : state->master_replid) c = kHex[gen() % 16];
  return state;
}

namespace {

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Seconds(const timeval& tv) {
  char buf[64];
  snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(tv.tv_sec),
           static_cast<long>(tv.tv_usec));
  return buf;
}

std::string Executable() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// Counters summed over workers.
struct Totals {
  uint64_t hits = 0, misses = 0, commands = 0, connections = 0, rejected = 0, net_in = 0,
           net_out = 0, errors = 0, expire_steps_capped = 0, expire_usec = 0;
};

Totals SumWorkers(const ServerState& server) {
  Totals t;
  for (const auto& w : server.worker_stats) {
    t.hits += w->keyspace_hits.load(std::memory_order_relaxed);
    t.misses += w->keyspace_misses.load(std::memory_order_relaxed);
    t.commands += w->commands_processed.load(std::memory_order_relaxed);
    t.connections += w->connections_received.load(std::memory_order_relaxed);
    t.rejected += w->rejected_connections.load(std::memory_order_relaxed);
    t.net_in += w->net_input_bytes.load(std::memory_order_relaxed);
    t.net_out += w->net_output_bytes.load(std::memory_order_relaxed);
    t.errors += w->error_replies.load(std::memory_order_relaxed);
    t.expire_steps_capped += w->expire_steps_capped.load(std::memory_order_relaxed);
    t.expire_usec += w->expire_usec.load(std::memory_order_relaxed);
  }
  return t;
}

// What the shards hold, read under each shard's lock in turn.
struct KeyspaceFigures {
  struct Db {
    uint64_t keys = 0, expires = 0;
    __int128 expiry_sum = 0;  // of the keys with a TTL: gives avg_ttl exactly
  };
  std::vector<Db> per_db;
  uint64_t bytes = 0;
  uint64_t expired_keys = 0;
  uint64_t expires = 0;
  uint64_t expiry_backlog = 0;  // keys due but not yet reclaimed
};

KeyspaceFigures WalkShards(CommandContext& ctx) {
  KeyspaceFigures f;
  storage::Keyspace& keyspace = ctx.server.keyspace;
  f.per_db.resize(keyspace.database_count());
  for (int d = 0; d < keyspace.database_count(); ++d) {
    storage::Database& db = keyspace.db(d);
    for (size_t i = 0; i < db.shard_count(); ++i) {
      storage::Shard& shard = db.shard(i);
      auto lock = ctx.LockShard(shard);
      f.per_db[d].keys += shard.size();
      f.per_db[d].expires += shard.expires();
      f.per_db[d].expiry_sum += shard.expiry_sum();
      f.bytes += shard.bytes_used();
      f.expired_keys += shard.expired_keys();
      f.expires += shard.expires();
      f.expiry_backlog += shard.expiry_backlog(ctx.now_ms);
    }
  }
  return f;
}

// The exact mean remaining TTL in ms of a database's keys with a TTL (Redis estimates it from
// samples); 0 when none, or when they are all due.
int64_t AverageTtl(const KeyspaceFigures::Db& db, int64_t now_ms) {
  if (db.expires == 0) return 0;
  __int128 avg = db.expiry_sum / static_cast<__int128>(db.expires) - now_ms;
  if (avg <= 0) return 0;
  return avg > INT64_MAX ? INT64_MAX : static_cast<int64_t>(avg);
}

// Rates per second between now and an earlier sample: the oldest of the last two seconds, or
// else the latest one, so that one INFO a second (redis-cli --stat) sees the last second's rate.
struct Rates {
  double ops = 0, in_kbps = 0, out_kbps = 0;
};

Rates SampleRates(InfoState& state, int64_t now_ms, const Totals& t) {
  std::lock_guard<std::mutex> lock(state.mu);
  Rates r;
  const InfoState::Sample* base = nullptr;
  for (size_t k = 0; k < state.sample_count; ++k) {
    // Oldest first.
    size_t idx = (state.sample_next + state.samples.size() - state.sample_count + k) %
                 state.samples.size();
    const InfoState::Sample& s = state.samples[idx];
    if (now_ms - s.ms <= 2000 || k + 1 == state.sample_count) {
      base = &s;
      break;
    }
  }
  if (base != nullptr && now_ms > base->ms) {
    double secs = static_cast<double>(now_ms - base->ms) / 1000.0;
    auto rate = [secs](uint64_t now, uint64_t then) {
      return now >= then ? static_cast<double>(now - then) / secs : 0.0;
    };
    r.ops = rate(t.commands, base->commands);
    r.in_kbps = rate(t.net_in, base->net_in) / 1024;
    r.out_kbps = rate(t.net_out, base->net_out) / 1024;
  }
  const InfoState::Sample* latest =
      state.sample_count == 0
          ? nullptr
          : &state.samples[(state.sample_next + state.samples.size() - 1) % state.samples.size()];
  if (latest == nullptr || now_ms - latest->ms >= 100) {
    state.samples[state.sample_next] = {now_ms, t.commands, t.net_in, t.net_out};
    state.sample_next = (state.sample_next + 1) % state.samples.size();
    state.sample_count = std::min(state.sample_count + 1, state.samples.size());
  }
  return r;
}

// Which sections to print, as Redis 7.0's genInfoSectionDict decides.
class SectionSet {
 public:
  explicit SectionSet(const std::vector<std::string_view>& args) {
    if (args.empty()) {
      AddDefaults();
      return;
    }
    for (std::string_view a : args) {
      std::string name = Lowercase(CStr(a));
      if (name == "default") {
        AddDefaults();
      } else if (name == "all") {
        all_ = true;
      } else if (name == "everything") {
        all_ = true;
      } else {
        names_.insert(std::move(name));
      }
    }
  }
  bool Has(const char* name) const { return all_ || names_.count(name) != 0; }

 private:
  void AddDefaults() {
    for (const char* s : {"server", "clients", "memory", "persistence", "stats", "replication",
                          "cpu", "module_list", "errorstats", "cluster", "keyspace"}) {
      names_.insert(s);
    }
  }
  bool all_ = false;
  std::set<std::string> names_;
};

class InfoWriter {
 public:
  void Section(const char* title) {
    if (sections_++ > 0) out_ += "\r\n";
    out_ += "# ";
    out_ += title;
    out_ += "\r\n";
  }
  void Field(std::string_view name, std::string_view value) {
    out_ += name;
    out_ += ':';
    out_ += value;
    out_ += "\r\n";
  }
  void Field(std::string_view name, const char* value) { Field(name, std::string_view(value)); }
  void Field(std::string_view name, const std::string& value) {
    Field(name, std::string_view(value));
  }
  template <typename Int, typename = std::enable_if_t<std::is_integral_v<Int>>>
  void Field(std::string_view name, Int value) {
    Field(name, std::to_string(value));
  }
  void Line(std::string_view line) {
    out_ += line;
    out_ += "\r\n";
  }
  std::string& text() { return out_; }

 private:
  std::string out_;
  int sections_ = 0;
};

void ServerSection(CommandContext& ctx, InfoWriter& w) {
  ServerState& server = ctx.server;
  const Config& config = *server.config;
  int64_t now_us = NowUs();
  int64_t uptime = (now_us / 1000 - server.start_time_ms) / 1000;
  utsname name{};
  uname(&name);
  w.Section("Server");
  w.Field("redis_version", kRedisVersion);
  w.Field("stash_version", kStashVersion);
  w.Field("redis_git_sha1", "00000000");
  w.Field("redis_git_dirty", 0);
  w.Field("redis_build_id", "0");
  w.Field("redis_mode", "standalone");
  w.Field("os", std::string(name.sysname) + " " + name.release + " " + name.machine);
  w.Field("arch_bits", static_cast<int>(sizeof(long) * 8));
  w.Field("monotonic_clock", "POSIX clock_gettime");
  w.Field("multiplexing_api", "epoll");
  w.Field("atomicvar_api", "c11-builtin");
#ifdef __GNUC__
  w.Field("gcc_version", std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
                             std::to_string(__GNUC_PATCHLEVEL__));
#else
  w.Field("gcc_version", "0.0.0");
#endif
  w.Field("process_id", static_cast<int64_t>(getpid()));
  w.Field("process_supervised", "no");
  w.Field("run_id", server.run_id);
  w.Field("tcp_port", server.tcp_port);
  w.Field("server_time_usec", now_us);
  w.Field("uptime_in_seconds", uptime);
  w.Field("uptime_in_days", uptime / 86400);
  w.Field("hz", config.hz());
  w.Field("configured_hz", config.hz());
  w.Field("lru_clock", (now_us / 1000000) & ((1 << 24) - 1));
  w.Field("executable", Executable());
  w.Field("config_file", config.config_file());
  w.Field("io_threads_active", 0);
}

void ClientsSection(CommandContext& ctx, InfoWriter& w) {
  w.Section("Clients");
  w.Field("connected_clients", static_cast<uint64_t>(ctx.server.clients.size()));
  w.Field("cluster_connections", 0);
  w.Field("maxclients", ctx.server.config->maxclients());
  w.Field("client_recent_max_input_buffer", 0);
  w.Field("client_recent_max_output_buffer", 0);
  w.Field("blocked_clients", static_cast<int64_t>(ctx.server.blocking.blocked_clients()));
  w.Field("tracking_clients", static_cast<int64_t>(ctx.server.tracking.tracking_clients()));
  w.Field("clients_in_timeout_table", 0);
}

void MemorySection(CommandContext& ctx, InfoWriter& w) {
  const Config& config = *ctx.server.config;
  MemoryReport m = CollectMemoryReport(ctx);
  uint64_t used = m.used, rss = m.rss, peak = m.peak;
  uint64_t system = TotalSystemMemory();
  uint64_t maxmemory = static_cast<uint64_t>(config.maxmemory());
  double frag = m.fragmentation();
  w.Section("Memory");
  w.Field("used_memory", used);
  w.Field("used_memory_human", BytesToHuman(used));
  w.Field("used_memory_rss", rss);
  w.Field("used_memory_rss_human", BytesToHuman(rss));
  w.Field("used_memory_peak", peak);
  w.Field("used_memory_peak_human", BytesToHuman(peak));
  w.Field("used_memory_peak_perc",
          Fixed2(peak > 0 ? static_cast<double>(used) * 100 / static_cast<double>(peak) : 0) +
              "%");
  // Overhead: what the server held once started plus the keyspace's tables; the rest is data.
  uint64_t dataset = m.dataset();
  uint64_t net = used > m.startup ? used - m.startup : 0;
  w.Field("used_memory_overhead", m.overhead());
  w.Field("used_memory_startup", m.startup);
  w.Field("used_memory_dataset", dataset);
  w.Field("used_memory_dataset_perc",
          Fixed2(net > 0 ? static_cast<double>(dataset) * 100 / static_cast<double>(net) : 0) +
              "%");
  w.Field("allocator_allocated", used);
  w.Field("allocator_active", used);
  w.Field("allocator_resident", rss);
  w.Field("total_system_memory", system);
  w.Field("total_system_memory_human", BytesToHuman(system));
  // Scripting, as Redis 7.0 reports it (see server/scripting/script_state.h).
  const scripting::ScriptRunState& scripts = ctx.server.script_state;
  int64_t lua_eval = scripts.lua_eval_bytes.load(), lua_functions = scripts.lua_functions_bytes.load();
  int64_t scripts_eval = scripts.cached_scripts_bytes.load();
  int64_t functions_bytes = scripts.functions_bytes.load();
  w.Field("used_memory_lua", lua_eval);
  w.Field("used_memory_vm_eval", lua_eval);
  w.Field("used_memory_lua_human", BytesToHuman(static_cast<uint64_t>(lua_eval)));
  w.Field("used_memory_scripts_eval", scripts_eval);
  w.Field("number_of_cached_scripts", scripts.cached_scripts.load());
  w.Field("number_of_functions", scripts.functions.load());
  w.Field("number_of_libraries", scripts.libraries.load());
  w.Field("used_memory_vm_functions", lua_functions);
  w.Field("used_memory_vm_total", lua_eval + lua_functions);
  w.Field("used_memory_vm_total_human", BytesToHuman(static_cast<uint64_t>(lua_eval + lua_functions)));
  w.Field("used_memory_functions", functions_bytes);
  w.Field("used_memory_scripts", scripts_eval + functions_bytes);
  w.Field("used_memory_scripts_human", BytesToHuman(static_cast<uint64_t>(scripts_eval + functions_bytes)));
  w.Field("maxmemory", maxmemory);
  w.Field("maxmemory_human", BytesToHuman(maxmemory));
  w.Field("maxmemory_policy", config.maxmemory_policy());
  w.Field("allocator_frag_ratio", "1.00");
  w.Field("allocator_frag_bytes", 0);
  w.Field("allocator_rss_ratio", Fixed2(frag));
  w.Field("allocator_rss_bytes", static_cast<int64_t>(rss) - static_cast<int64_t>(used));
  w.Field("rss_overhead_ratio", "1.00");
  w.Field("rss_overhead_bytes", 0);
  w.Field("mem_fragmentation_ratio", Fixed2(frag));
  w.Field("mem_fragmentation_bytes", static_cast<int64_t>(rss) - static_cast<int64_t>(used));
  for (const char* zero : {"mem_not_counted_for_evict", "mem_replication_backlog",
                           "mem_total_replication_buffers", "mem_clients_slaves",
                           "mem_clients_normal", "mem_cluster_links", "mem_aof_buffer"}) {
    w.Field(zero, 0);
  }
  w.Field("mem_allocator", "libc");
  w.Field("active_defrag_running", 0);
  w.Field("lazyfree_pending_objects", ctx.server.lazy_free.pending());
  w.Field("lazyfreed_objects", ctx.server.lazy_free.freed());
}

void PersistenceSection(CommandContext& ctx, InfoWriter& w) {
  // No persistence: the figures of a server that has never saved, as tools expect them.
  w.Section("Persistence");
  for (const char* zero : {"loading", "async_loading", "current_cow_peak", "current_cow_size",
                           "current_cow_size_age"}) {
    w.Field(zero, 0);
  }
  w.Field("current_fork_perc", "0.00");
  for (const char* zero : {"current_save_keys_processed", "current_save_keys_total",
                           "rdb_changes_since_last_save", "rdb_bgsave_in_progress"}) {
    w.Field(zero, 0);
  }
  w.Field("rdb_last_save_time", ctx.server.start_time_ms / 1000);
  w.Field("rdb_last_bgsave_status", "ok");
  w.Field("rdb_last_bgsave_time_sec", -1);
  w.Field("rdb_current_bgsave_time_sec", -1);
  for (const char* zero : {"rdb_saves", "rdb_last_cow_size", "rdb_last_load_keys_expired",
                           "rdb_last_load_keys_loaded", "aof_enabled", "aof_rewrite_in_progress",
                           "aof_rewrite_scheduled"}) {
    w.Field(zero, 0);
  }
  w.Field("aof_last_rewrite_time_sec", -1);
  w.Field("aof_current_rewrite_time_sec", -1);
  w.Field("aof_last_bgrewrite_status", "ok");
  w.Field("aof_rewrites", 0);
  w.Field("aof_rewrites_consecutive_failures", 0);
  w.Field("aof_last_write_status", "ok");
  for (const char* zero : {"aof_last_cow_size", "module_fork_in_progress",
                           "module_fork_last_cow_size"}) {
    w.Field(zero, 0);
  }
}

void StatsSection(CommandContext& ctx, InfoWriter& w, const Totals& t, const Rates& rates,
                  uint64_t expired_keys, const KeyspaceFigures& figures) {
  // Commands are counted once they have run (as Redis does), so this INFO is not in it yet.
  uint64_t commands = t.commands;
  w.Section("Stats");
  w.Field("total_connections_received", t.connections);
  w.Field("total_commands_processed", commands);
  w.Field("instantaneous_ops_per_sec", static_cast<int64_t>(rates.ops));
  w.Field("total_net_input_bytes", t.net_in);
  w.Field("total_net_output_bytes", t.net_out);
  w.Field("total_net_repl_input_bytes", 0);
  w.Field("total_net_repl_output_bytes", 0);
  w.Field("instantaneous_input_kbps", Fixed2(rates.in_kbps));
  w.Field("instantaneous_output_kbps", Fixed2(rates.out_kbps));
  w.Field("instantaneous_input_repl_kbps", "0.00");
  w.Field("instantaneous_output_repl_kbps", "0.00");
  w.Field("rejected_connections", t.rejected);
  w.Field("sync_full", 0);
  w.Field("sync_partial_ok", 0);
  w.Field("sync_partial_err", 0);
  w.Field("expired_keys", expired_keys);
  // Redis estimates the share of keys with a TTL that are expired but not yet reclaimed by
  // sampling; the expiry wheels know it: the backlog of due keys.
  w.Field("expired_stale_perc",
          Fixed2(figures.expires > 0 ? static_cast<double>(figures.expiry_backlog) * 100 /
                                           static_cast<double>(figures.expires)
                                     : 0));
  // Steps of active expiry that used their whole budget (Redis: cycles that hit their time
  // limit), and the time spent in active expiry.
  w.Field("expired_time_cap_reached_count", t.expire_steps_capped);
  w.Field("expire_cycle_cpu_milliseconds", t.expire_usec / 1000);
  w.Field("evicted_keys", ctx.server.eviction->evicted_keys());
  // Time spent over maxmemory is not tracked yet: reported as 0.
  for (const char* zero : {"evicted_clients", "total_eviction_exceeded_time",
                           "current_eviction_exceeded_time"}) {
    w.Field(zero, 0);
  }
  w.Field("keyspace_hits", t.hits);
  w.Field("keyspace_misses", t.misses);
  w.Field("pubsub_channels", ctx.server.pubsub.ChannelCount(ChannelScope::kGlobal));
  w.Field("pubsub_patterns", ctx.server.pubsub.NumPat());
  w.Field("pubsubshard_channels", ctx.server.pubsub.ChannelCount(ChannelScope::kShard));
  for (const char* zero :
       {"latest_fork_usec", "total_forks", "migrate_cached_sockets", "slave_expires_tracked_keys",
        "active_defrag_hits", "active_defrag_misses", "active_defrag_key_hits",
        "active_defrag_key_misses", "total_active_defrag_time", "current_active_defrag_time"}) {
    w.Field(zero, 0);
  }
  const Tracking& tracking = ctx.server.tracking;
  w.Field("tracking_total_keys", static_cast<int64_t>(tracking.total_keys()));
  w.Field("tracking_total_items", static_cast<int64_t>(tracking.total_items()));
  w.Field("tracking_total_prefixes", static_cast<int64_t>(tracking.total_prefixes()));
  w.Field("unexpected_error_replies", 0);
  w.Field("total_error_replies", t.errors);
  w.Field("dump_payload_sanitizations", 0);
  w.Field("total_reads_processed", 0);
  w.Field("total_writes_processed", 0);
  for (const char* zero : {"io_threaded_reads_processed", "io_threaded_writes_processed",
                           "reply_buffer_shrinks", "reply_buffer_expands"}) {
    w.Field(zero, 0);
  }
}

void ReplicationSection(CommandContext& ctx, InfoWriter& w) {
  w.Section("Replication");
  w.Field("role", "master");
  w.Field("connected_slaves", 0);
  w.Field("master_failover_state", "no-failover");
  w.Field("master_replid", ctx.server.info_state->master_replid);
  w.Field("master_replid2", std::string(40, '0'));
  w.Field("master_repl_offset", 0);
  w.Field("second_repl_offset", -1);
  w.Field("repl_backlog_active", 0);
  w.Field("repl_backlog_size", 1048576);
  w.Field("repl_backlog_first_byte_offset", 0);
  w.Field("repl_backlog_histlen", 0);
}

void CpuSection(InfoWriter& w) {
  rusage self{}, children{}, thread{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  getrusage(RUSAGE_THREAD, &thread);
  w.Section("CPU");
  w.Field("used_cpu_sys", Seconds(self.ru_stime));
  w.Field("used_cpu_user", Seconds(self.ru_utime));
  w.Field("used_cpu_sys_children", Seconds(children.ru_stime));
  w.Field("used_cpu_user_children", Seconds(children.ru_utime));
  // Stash has no main thread: the worker running this INFO stands in for it.
  w.Field("used_cpu_sys_main_thread", Seconds(thread.ru_stime));
  w.Field("used_cpu_user_main_thread", Seconds(thread.ru_utime));
}

void CommandstatsSection(CommandContext& ctx, InfoWriter& w) {
  w.Section("Commandstats");
  const auto& commands = CommandTable::Get().by_id();
  for (const Command* cmd : commands) {
    uint64_t calls = 0, usec = 0, rejected = 0, failed = 0;
    for (const auto& worker : ctx.server.worker_stats) {
      const CommandStats& cs = worker->per_command[cmd->id];
      calls += cs.calls.load(std::memory_order_relaxed);
      usec += cs.usec.load(std::memory_order_relaxed);
      rejected += cs.rejected_calls.load(std::memory_order_relaxed);
      failed += cs.failed_calls.load(std::memory_order_relaxed);
    }
    if (calls == 0 && rejected == 0 && failed == 0) continue;
    char buf[256];
    snprintf(buf, sizeof(buf),
             "cmdstat_%s:calls=%" PRIu64 ",usec=%" PRIu64
             ",usec_per_call=%.2f,rejected_calls=%" PRIu64 ",failed_calls=%" PRIu64,
             cmd->full_name().c_str(), calls, usec,
             calls > 0 ? static_cast<double>(usec) / static_cast<double>(calls) : 0.0, rejected,
             failed);
    w.Line(buf);
  }
}

}  // namespace

std::string GenerateInfo(CommandContext& ctx, const std::vector<std::string_view>& args) {
  SectionSet sections(args);
  ServerState& server = ctx.server;
  InfoState& state = *server.info_state;
  KeyspaceFigures figures = WalkShards(ctx);
  uint64_t expired_base = state.expired_keys_base.load();
  uint64_t expired = figures.expired_keys >= expired_base ? figures.expired_keys - expired_base
                                                          : figures.expired_keys;
  Totals totals = SumWorkers(server);
  Rates rates = SampleRates(state, ctx.now_ms, totals);

  InfoWriter w;
  if (sections.Has("server")) ServerSection(ctx, w);
  if (sections.Has("clients")) ClientsSection(ctx, w);
  if (sections.Has("memory")) MemorySection(ctx, w);
  if (sections.Has("persistence")) PersistenceSection(ctx, w);
  if (sections.Has("stats")) StatsSection(ctx, w, totals, rates, expired, figures);
  if (sections.Has("replication")) ReplicationSection(ctx, w);
  if (sections.Has("cpu")) CpuSection(w);
  if (sections.Has("module_list") || sections.Has("modules")) w.Section("Modules");
  if (sections.Has("commandstats")) CommandstatsSection(ctx, w);
  // Per-error-code counts and latency percentiles are not tracked: the sections are present
  // and empty, as on a Redis server that has sent no error.
  if (sections.Has("errorstats")) w.Section("Errorstats");
  if (sections.Has("latencystats")) w.Section("Latencystats");
  if (sections.Has("cluster")) {
    w.Section("Cluster");
    w.Field("cluster_enabled", 0);
  }
  if (sections.Has("keyspace")) {
    w.Section("Keyspace");
    for (size_t d = 0; d < figures.per_db.size(); ++d) {
      const KeyspaceFigures::Db& db = figures.per_db[d];
      if (db.keys == 0) continue;
      w.Line("db" + std::to_string(d) + ":keys=" + std::to_string(db.keys) +
             ",expires=" + std::to_string(db.expires) +
             ",avg_ttl=" + std::to_string(AverageTtl(db, ctx.now_ms)));
    }
  }
  return std::move(w.text());
}

void InfoCommand(CommandContext& ctx) {
  std::vector<std::string_view> sections(ctx.args.begin() + 1, ctx.args.end());
  ctx.reply.Verbatim(GenerateInfo(ctx, sections));
}

void ResetInfoStats(CommandContext& ctx) {
  ServerState& server = ctx.server;
  size_t commands = CommandTable::Get().by_id().size();
  // Other workers may be bumping these right now; one of their increments racing with the
  // reset can survive it, which is harmless for statistics.
  for (auto& w : server.worker_stats) {
    for (auto* c : {&w->keyspace_hits, &w->keyspace_misses, &w->commands_processed,
                    &w->connections_received, &w->rejected_connections, &w->net_input_bytes,
                    &w->net_output_bytes, &w->error_replies, &w->expire_steps_capped,
                    &w->expire_usec}) {
      c->store(0, std::memory_order_relaxed);
    }
    for (size_t i = 0; i < commands; ++i) {
      CommandStats& cs = w->per_command[i];
      cs.calls.store(0, std::memory_order_relaxed);
      cs.usec.store(0, std::memory_order_relaxed);
      cs.rejected_calls.store(0, std::memory_order_relaxed);
      cs.failed_calls.store(0, std::memory_order_relaxed);
    }
  }
  // Redis counts RESETSTAT itself once it has run, after the reset.
  if (!ctx.client.in_exec) WorkerStats::Bump(ctx.stats.commands_processed);
  KeyspaceFigures figures = WalkShards(ctx);
  InfoState& state = *server.info_state;
  state.expired_keys_base.store(figures.expired_keys);
  server.peak_memory.store(static_cast<uint64_t>(storage::memory::Used()));
  server.eviction->ResetStats();
  {
    std::lock_guard<std::mutex> lock(state.mu);
    state.sample_count = 0;
    state.sample_next = 0;
  }
  server.stat_reset_ms.store(ctx.now_ms);
}

}  // namespace stash::server
