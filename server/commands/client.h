// Helpers shared by the CLIENT command family (client.cc) and HELLO (connection.cc).
#ifndef STASH_SERVER_COMMANDS_CLIENT_H_
#define STASH_SERVER_COMMANDS_CLIENT_H_

#include <string_view>

#include "server/command_table.h"

namespace stash::server {

// Redis's validateClientName: empty (clears the name) or only the printable ASCII characters
// '!'..'~', so that CLIENT LIST can always be split on spaces.
bool IsValidClientName(std::string_view name);
inline constexpr std::string_view kInvalidClientName =
    "ERR Client names cannot contain spaces, newlines or special characters.";

// Registers CLIENT and its subcommands (called by RegisterConnectionCommands).
void RegisterClientCommands(CommandTable& table);
// CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO (tracking.cc).
void RegisterClientTrackingCommands(CommandTable& table);

}  // namespace stash::server

#endif  // STASH_SERVER_COMMANDS_CLIENT_H_
