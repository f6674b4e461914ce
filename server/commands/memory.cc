// MEMORY: USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE and HELP, with Redis 7.0's replies and
// errors (object.c's memoryCommand). The figures are Stash's own (memory_report.h): used_memory
// is the allocation counter, a key's usage is its entry, its share of the table and its
// collection object.
#include <malloc.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "protocol/numbers.h"
#include "server/command_context.h"
#include "server/commands/server_common.h"
#include "server/errors.h"
#include "server/memory_report.h"
#include "storage/chunk_pool.h"
#include "storage/slab_allocator.h"
#include "storage/value.h"

namespace stash::server {
namespace {

// MEMORY USAGE key [SAMPLES count]: Redis looks the key up without expiring or touching it.
// Collections report their exact size (BytesUsed), so SAMPLES is parsed and checked only.
void MemoryUsageCommand(CommandContext& ctx) {
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    if (IsOption(ctx.args[j], "samples") && j + 1 < ctx.args.size()) {
      int64_t samples;
      if (!protocol::StringToInt64(ctx.args[j + 1], &samples)) {
        return ctx.Error(errors::kNotInteger);
      }
      if (samples < 0) return ctx.Error(errors::kSyntax);
      ++j;
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  KeyRef k = ctx.Key(ctx.args[2]);
  storage::Entry e = k.shard->FindRaw(k.key, k.hash);
  if (!e) return ctx.reply.Null();
  uint64_t usage = storage::SlabAllocator::RoundedSize(e.size());
  if (k.shard->size() > 0) usage += k.shard->table_capacity() * sizeof(uint64_t) / k.shard->size();
  if (e.type() != storage::ValueType::kString) usage += storage::ObjectOf(e)->BytesUsed();
  ctx.reply.Integer(static_cast<int64_t>(usage));
}

void MemoryStatsCommand(CommandContext& ctx) {
  MemoryReport m = CollectMemoryReport(ctx);
  protocol::ReplyBuilder& r = ctx.reply;
  uint64_t net = m.used > m.startup ? m.used - m.startup : 0;
  auto bytes = [&](const char* name, uint64_t v) {
    r.Bulk(name);
    r.Integer(static_cast<int64_t>(v));
  };
  auto ratio = [&](const char* name, double v) {
    r.Bulk(name);
    r.Double(v);
  };
  r.MapHeader(27 + m.dbs.size());
  bytes("peak.allocated", m.peak);
  bytes("total.allocated", m.used);
  bytes("startup.allocated", m.startup);
  for (const char* zero : {"replication.backlog", "clients.slaves", "clients.normal",
                           "cluster.links", "aof.buffer", "lua.caches", "functions.caches"}) {
    bytes(zero, 0);
  }
  for (const MemoryReport::Db& db : m.dbs) {
    r.Bulk("db." + std::to_string(db.index));
    r.MapHeader(3);
    bytes("overhead.hashtable.main", db.table_bytes);
    bytes("overhead.hashtable.expires", 0);  // expiry times live inside the entries
    bytes("overhead.hashtable.slot-to-keys", 0);
  }
  bytes("overhead.total", m.overhead());
  bytes("keys.count", m.keys);
  bytes("keys.bytes-per-key", m.keys > 0 ? net / m.keys : 0);
  bytes("dataset.bytes", m.dataset());
  ratio("dataset.percentage", net > 0 ? static_cast<double>(m.dataset()) * 100 / net : 0);
  ratio("peak.percentage", m.peak > 0 ? static_cast<double>(m.used) * 100 / m.peak : 0);
  bytes("allocator.allocated", m.used);
  bytes("allocator.active", m.used);
  bytes("allocator.resident", m.rss);
  ratio("allocator-fragmentation.ratio", 1.0);
  bytes("allocator-fragmentation.bytes", 0);
  ratio("allocator-rss.ratio", m.fragmentation());
  r.Bulk("allocator-rss.bytes");
  r.Integer(static_cast<int64_t>(m.rss) - static_cast<int64_t>(m.used));
  ratio("rss-overhead.ratio", 1.0);
  bytes("rss-overhead.bytes", 0);
  ratio("fragmentation", m.fragmentation());
  r.Bulk("fragmentation.bytes");
  r.Integer(static_cast<int64_t>(m.rss) - static_cast<int64_t>(m.used));
}

// getMemoryDoctorReport, for the conditions Stash can observe.
void MemoryDoctorCommand(CommandContext& ctx) {
  MemoryReport m = CollectMemoryReport(ctx);
  if (m.used < 5 * 1024 * 1024) {
    return ctx.reply.Verbatim(
        "Hi Sam, this instance is empty or is using very little memory, my issues detector "
        "can't be used in these conditions. Please, leave for your mission on Earth and fill it "
        "with some data. The new Sam and I will be back to our programming as soon as I "
        "finished rebooting.");
  }
  std::string issues;
  if (m.peak > m.used * 3 / 2) {
    issues +=
        " * Peak memory: In the past this instance used more than 150% the memory that is "
        "currently using. The allocator is normally not able to release memory after a peak, so "
        "you can expect to see a big fragmentation ratio, however this is actually harmless and "
        "is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is "
        "currently bigger than expected, the memory will be used as soon as you fill the Redis "
        "instance with more data. If the memory peak was only occasional and you want to try to "
        "reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is "
        "to shutdown and restart the instance.\n\n";
  } else if (m.fragmentation() > 1.4 && m.rss - m.used > 10 * 1024 * 1024) {
    issues +=
        " * High total RSS: This instance has a memory fragmentation and RSS overhead greater "
        "than 1.4 (this means that the Resident Set Size of the Redis process is much larger "
        "than the sum of the logical allocations Redis performed). This problem is usually due "
        "either to a large peak memory (check if there is a peak memory entry above in the "
        "report) or may result from a workload that causes the allocator to fragment memory a "
        "lot. If the problem is a large peak memory, then there is no issue. Otherwise, make "
        "sure you are using the Jemalloc allocator and not the default libc malloc.\n\n";
  }
  if (issues.empty()) {
    return ctx.reply.Verbatim(
        "Hi Sam, I can't find any memory issue in your instance. I can only account for what "
        "occurs on this base.");
  }
  ctx.reply.Verbatim("Sam, I detected a few issues in this Redis instance memory implants:\n\n" +
                     issues + "I'm here to keep you safe, Sam. I want to help you.\n");
}

// Redis prints jemalloc's statistics; Stash runs on glibc malloc and prints its malloc_info.
void MemoryMallocStatsCommand(CommandContext& ctx) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* out = open_memstream(&buf, &len);
  if (out == nullptr) return ctx.reply.Verbatim("Stats not supported for the current allocator");
  malloc_info(0, out);
  fclose(out);
  std::string text(buf, len);
  free(buf);
  ctx.reply.Verbatim(text);
}

void MemoryPurgeCommand(CommandContext& ctx) {
  storage::chunk_pool::Purge();  // emptied shards' slab chunks
  malloc_trim(0);                // glibc's counterpart of jemalloc's arena purge
  ctx.reply.SimpleString("OK");
}

void MemoryHelpCommand(CommandContext& ctx) {
  ReplyHelp(ctx, {"DOCTOR",
                  "    Return memory problems reports.",
                  "MALLOC-STATS",
                  "    Return internal statistics report from the memory allocator.",
                  "PURGE",
                  "    Attempt to purge dirty pages for reclamation by the allocator.",
                  "STATS",
                  "    Return information about the memory usage of the server.",
                  "USAGE <key> [SAMPLES <count>]",
                  "    Return memory in bytes used by <key> and its value. Nested values are",
                  "    sampled up to <count> times (default: 5, 0 means sample all)."});
}

void MemoryCommand(CommandContext& ctx) { ctx.Error(errors::kSyntax); }

}  // namespace

void RegisterMemoryCommands(CommandTable& table) {
  table.Add({"memory", -2, 0, 0, 0, 0, MemoryCommand, "server",
             "A container for memory diagnostics commands", "4.0.0", "Depends on subcommand.",
             "slow"});
  table.AddSubcommand("memory", {"memory|doctor", 2, kShardWalk, 0, 0, 0, MemoryDoctorCommand,
                                 "server", "Outputs memory problems report", "4.0.0", "O(1)",
                                 "slow",
                                 "nondeterministic_output request_policy:all_shards "
                                 "response_policy:special"});
  table.AddSubcommand("memory", {"memory|help", 2, kLoading | kStale | kNoKeyspace, 0, 0, 0,
                                 MemoryHelpCommand, "server",
                                 "Show helpful text about the different subcommands", "4.0.0",
                                 "O(1)", "slow"});
  table.AddSubcommand(
      "memory", {"memory|malloc-stats", 2, kNoKeyspace, 0, 0, 0, MemoryMallocStatsCommand,
                 "server", "Show allocator internal stats", "4.0.0",
                 "Depends on how much memory is allocated, could be slow", "slow",
                 "nondeterministic_output request_policy:all_shards response_policy:special"});
  table.AddSubcommand("memory", {"memory|purge", 2, kNoKeyspace, 0, 0, 0, MemoryPurgeCommand,
                                 "server", "Ask the allocator to release memory", "4.0.0",
                                 "Depends on how much memory is allocated, could be slow", "slow",
                                 "request_policy:all_shards response_policy:all_succeeded"});
  table.AddSubcommand("memory", {"memory|stats", 2, kShardWalk, 0, 0, 0, MemoryStatsCommand,
                                 "server", "Show memory usage details", "4.0.0", "O(1)", "slow",
                                 "nondeterministic_output request_policy:all_shards "
                                 "response_policy:special"});
  table.AddSubcommand("memory", {"memory|usage", -3, kReadonly, 2, 2, 1, MemoryUsageCommand,
                                 "server", "Estimate the memory usage of a key", "4.0.0",
                                 "O(N) where N is the number of samples.", "read slow", nullptr,
                                 "RO"});
}

}  // namespace stash::server
