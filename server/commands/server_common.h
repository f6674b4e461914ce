// Small pieces shared by the connection, client, server, config and command-introspection
// families (connection.cc, client.cc, server_admin.cc, config_cmd.cc, command_docs.cc, info.cc).
#ifndef STASH_SERVER_COMMANDS_SERVER_COMMON_H_
#define STASH_SERVER_COMMANDS_SERVER_COMMON_H_

#include <cctype>
#include <initializer_list>
#include <string>
#include <string_view>

#include "server/command_context.h"
#include "server/commands/option.h"

namespace stash::server {

// The Redis version Stash answers as (HELLO, INFO): client libraries switch features on it.
inline constexpr std::string_view kRedisVersion = "7.0.15";
inline constexpr std::string_view kStashVersion = "0.1.0";

inline std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return out;
}

// Redis's addReplyHelp: "<CMD> <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", the
// given lines, then HELP's own two lines, all as status replies. CMD is argv[0] in capitals.
inline void ReplyHelp(CommandContext& ctx, std::initializer_list<std::string_view> lines) {
  std::string cmd(CStr(ctx.args[0]));
  for (char& c : cmd) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  ctx.reply.ArrayHeader(lines.size() + 3);
  ctx.reply.SimpleString(cmd + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (std::string_view line : lines) ctx.reply.SimpleString(line);
  ctx.reply.SimpleString("HELP");
  ctx.reply.SimpleString("    Prints this help.");
}

// Redis's addReplySubcommandSyntaxError.
inline void SubcommandSyntaxError(CommandContext& ctx) {
  std::string cmd(CStr(ctx.args[0]));
  for (char& c : cmd) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  std::string_view sub = CStr(ctx.args[1]).substr(0, 128);
  ctx.Error("ERR unknown subcommand or wrong number of arguments for '" + std::string(sub) +
            "'. Try " + cmd + " HELP.");
}

}  // namespace stash::server

#endif  // STASH_SERVER_COMMANDS_SERVER_COMMON_H_
