// ZSet commands, as Redis's t_zset.c.
#include "server/command_context.h"
#include "server/errors.h"

namespace stash::server {

void RegisterZSetCommands(CommandTable& table) {}

}  // namespace stash::server
