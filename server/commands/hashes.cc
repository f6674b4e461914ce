// Hash commands, as Redis's t_hash.c.
#include "server/command_context.h"
#include "server/errors.h"

namespace stash::server {

void RegisterHashCommands(CommandTable& table) {}

}  // namespace stash::server
