// Memory figures shared by INFO memory and the MEMORY command: what the process holds (the
// allocation counter, storage/memory_counter.h), what the kernel says it holds (RSS), and how the
// keyspace's part of it splits (entry tables vs. entries and values).
#ifndef STASH_SERVER_MEMORY_REPORT_H_
#define STASH_SERVER_MEMORY_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

namespace stash::server {

class CommandContext;

// Redis's bytesToHuman ("1.50M").
std::string BytesToHuman(uint64_t n);
// "%.2f".
std::string Fixed2(double v);
uint64_t ResidentBytes();
uint64_t TotalSystemMemory();

struct MemoryReport {
  uint64_t used = 0;     // used_memory: every counted allocation
  uint64_t rss = 0;      // used_memory_rss
  uint64_t peak = 0;     // used_memory_peak
  uint64_t startup = 0;  // used_memory_startup: used once the server was ready
  uint64_t tables = 0;   // the entry tables' slot arrays (Redis's overhead.hashtable.main)
  uint64_t keys = 0;
  struct Db {
    int index = 0;
    uint64_t keys = 0, expires = 0, table_bytes = 0;
  };
  std::vector<Db> dbs;  // databases with keys

  // Redis's used_memory_overhead: startup memory plus the keyspace's tables.
  uint64_t overhead() const { return startup + tables; }
  uint64_t dataset() const { return used > overhead() ? used - overhead() : 0; }
  double fragmentation() const {
    return used > 0 ? static_cast<double>(rss) / static_cast<double>(used) : 0;
  }
};

// Reads every shard under its lock (as a kShardWalk command does) and updates the peak.
MemoryReport CollectMemoryReport(CommandContext& ctx);

}  // namespace stash::server

#endif  // STASH_SERVER_MEMORY_REPORT_H_
