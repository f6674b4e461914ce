// INFO: the server's state and statistics as Redis 7.0's genRedisInfoString prints them, section
// by section, with Redis's field names, so that tools reading INFO (redis-cli --stat, exporters,
// client libraries checking redis_version) work unchanged.
#ifndef STASH_SERVER_INFO_H_
#define STASH_SERVER_INFO_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/command_context.h"
#include "server/server_state.h"

namespace stash::server {

// INFO's own bookkeeping, one per server (ServerState::info_state): the memory peak, samples for
// the instantaneous rates, CONFIG RESETSTAT baselines.
struct InfoState;
std::shared_ptr<InfoState> NewInfoState();

// INFO [section [section ...]]. Flagged kShardWalk: it locks each shard to read its sizes.
void InfoCommand(CommandContext& ctx);

// The text INFO replies with for the given section arguments (none: the default sections).
std::string GenerateInfo(CommandContext& ctx, const std::vector<std::string_view>& sections);

// CONFIG RESETSTAT: zeroes the counters INFO reports (stats, commandstats). Locks each shard in
// turn like a kShardWalk command.
void ResetInfoStats(CommandContext& ctx);

}  // namespace stash::server

#endif  // STASH_SERVER_INFO_H_
