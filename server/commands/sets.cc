// Set commands, as Redis's t_set.c.
#include "server/command_context.h"
#include "server/errors.h"

namespace stash::server {

void RegisterSetCommands(CommandTable& table) {}

}  // namespace stash::server
