#include "server/memory_report.h"

#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <fstream>

#include "server/command_context.h"
#include "storage/memory_counter.h"

namespace stash::server {

std::string BytesToHuman(uint64_t n) {
  static const char kUnits[] = "KMGTP";
  char buf[64];
  if (n < 1024) {
    snprintf(buf, sizeof(buf), "%" PRIu64 "B", n);
    return buf;
  }
  double d = static_cast<double>(n);
  for (const char* u = kUnits; *u != '\0'; ++u) {
    d /= 1024;
    if (d < 1024 || u[1] == '\0') {
      if (d >= 1024) break;  // beyond petabytes Redis prints plain bytes
      snprintf(buf, sizeof(buf), "%.2f%c", d, *u);
      return buf;
    }
  }
  snprintf(buf, sizeof(buf), "%" PRIu64 "B", n);
  return buf;
}

std::string Fixed2(double v) {
  char buf[64];
  snprintf(buf, sizeof(buf), "%.2f", v);
  return buf;
}

uint64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

uint64_t TotalSystemMemory() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
}

MemoryReport CollectMemoryReport(CommandContext& ctx) {
  MemoryReport m;
  storage::Keyspace& keyspace = ctx.server.keyspace;
  for (int d = 0; d < keyspace.database_count(); ++d) {
    storage::Database& db = keyspace.db(d);
    MemoryReport::Db row;
    row.index = d;
    for (size_t i = 0; i < db.shard_count(); ++i) {
      storage::Shard& shard = db.shard(i);
      auto lock = ctx.LockShard(shard);
      row.keys += shard.size();
      row.expires += shard.expires();
      row.table_bytes += shard.table_capacity() * sizeof(uint64_t);
    }
    m.tables += row.table_bytes;
    m.keys += row.keys;
    if (row.keys > 0) m.dbs.push_back(row);
  }
  m.used = static_cast<uint64_t>(storage::memory::Used());
  m.rss = ResidentBytes();
  m.startup = static_cast<uint64_t>(ctx.server.startup_memory.load());
  std::atomic<uint64_t>& peak = ctx.server.peak_memory;
  uint64_t seen = peak.load();
  while (m.used > seen && !peak.compare_exchange_weak(seen, m.used)) {
  }
  m.peak = std::max(seen, m.used);
  return m;
}

}  // namespace stash::server
