// List commands, as Redis's t_list.c.
#include "server/command_context.h"
#include "server/errors.h"

namespace stash::server {

void RegisterListCommands(CommandTable& table) {}

}  // namespace stash::server
