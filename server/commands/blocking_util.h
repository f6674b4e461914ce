// Helpers shared by the blocking commands of every family (lists, sorted sets): the timeout
// argument as Redis parses it, and registering a client as blocked.
#ifndef STASH_SERVER_COMMANDS_BLOCKING_UTIL_H_
#define STASH_SERVER_COMMANDS_BLOCKING_UTIL_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"
#include "server/command_context.h"
#include "storage/keyspace.h"

namespace stash::server {

// Parses a timeout in seconds (decimals allowed). *deadline_ms is absolute unix ms, or 0 for no
// timeout. On error replies and returns false.
bool ParseBlockingTimeout(CommandContext& ctx, std::string_view arg, int64_t* deadline_ms);

// Whether the client may block now: never inside MULTI/EXEC, where Redis answers at once as if
// the timeout had passed.
inline bool CanBlock(CommandContext& ctx) {
  return !ctx.client.in_exec && static_cast<bool>(ctx.client.deliver_reply);
}

using ServeFunction = std::function<bool(storage::Database&, const std::string&, int64_t,
                                         protocol::ReplyBuilder&)>;

// Blocks the client on keys with the given serve function (see server/blocking.h). Called while
// the dispatcher still holds the keys' shard locks, so no push can slip in between the failed
// attempt and the registration.
void BlockClient(CommandContext& ctx, std::vector<std::string> keys,
                 std::vector<std::string> extra_keys, int64_t deadline_ms, ServeFunction serve);

}  // namespace stash::server

#endif  // STASH_SERVER_COMMANDS_BLOCKING_UTIL_H_
