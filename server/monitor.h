// MONITOR: clients that receive a line for every command the server runs, from any worker, in
// Redis's format:
//   +1795413082.775672 [0 127.0.0.1:46280] "SET" "k\x00" "v"
// (unix time with microseconds, the database after the command, who ran it: the client's
// address, or "lua" for a script's redis.call; then each argument as Redis's sdscatrepr writes
// it). Fed once a command has run (so SELECT shows its new database and EXEC follows the
// commands it ran), except for EVAL/EVALSHA and their _RO forms, fed before they run so that
// their scripts' commands follow them, and never for admin or skip_monitor commands.
#ifndef STASH_SERVER_MONITOR_H_
#define STASH_SERVER_MONITOR_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "server/client_state.h"

namespace stash::server {

class Monitors {
 public:
  // One relaxed load: what every command pays while nobody monitors.
  bool active() const { return count_.load(std::memory_order_relaxed) > 0; }
  void Add(const std::shared_ptr<ClientInfo>& client);
  void Remove(uint64_t client_id);
  // Sends the line for args (run in database db by origin) to every monitor.
  void Feed(int db, std::string_view origin, const std::vector<std::string_view>& args);
  // The same for a command client ran, in its current database; a script's own client has no
  // connection, and shows as "lua".
  void Feed(const ClientState& client, const std::vector<std::string_view>& args) {
    Feed(client.db, client.info ? std::string_view(client.info->addr) : "lua", args);
  }

 private:
  std::mutex mu_;
  std::vector<std::shared_ptr<ClientInfo>> clients_;
  std::atomic<int> count_{0};
};

// The monitor line, status reply framing included; unix_us is the time of the feed. AUTH's
// arguments and HELLO's AUTH username and password read "(redacted)", as in Redis.
std::string MonitorLine(int64_t unix_us, int db, std::string_view origin,
                        const std::vector<std::string_view>& args);

}  // namespace stash::server

#endif  // STASH_SERVER_MONITOR_H_
