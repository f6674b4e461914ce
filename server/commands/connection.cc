// Connection commands, as Redis's networking.c and acl.c: PING, ECHO, SELECT, QUIT, HELLO, AUTH,
// RESET. CLIENT lives in client.cc.
#include <string>

#include "protocol/numbers.h"
#include "server/command_context.h"
#include "server/commands/client.h"
#include "server/commands/keys.h"
#include "server/commands/server_common.h"
#include "server/dispatcher.h"
#include "server/errors.h"
#include "server/pubsub.h"
#include "server/watch.h"

namespace stash::server {
namespace {

constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";

// Compares without an early exit, so the time taken does not tell how much of a guess matched
// (Redis uses time_independent_strcmp for the same reason).
bool SecretEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

// Redis's ACLAuthenticateUser for the one user Stash has: "default", with no password
// ("nopass": any password is accepted) unless requirepass is set. A failed attempt leaves the
// connection's authentication as it was.
bool Authenticate(CommandContext& ctx, std::string_view user, std::string_view password) {
  if (user != "default") return false;
  std::string required = ctx.server.config->requirepass();
  if (!required.empty() && !SecretEquals(password, required)) return false;
  ctx.client.authenticated = true;
  return true;
}

void SetProtocol(CommandContext& ctx, int resp) {
  ctx.client.resp3 = resp == 3;
  ctx.reply.set_resp3(ctx.client.resp3);
  if (ctx.client.info) ctx.client.info->resp.store(resp);
}

void PingCommand(CommandContext& ctx) {
  if (ctx.args.size() > 2) return ctx.Error(errors::WrongArity("ping"));
  // A RESP2 client in Pub/Sub mode reads only arrays: Redis answers ["pong", message].
  if (!ctx.client.resp3 && ctx.client.subscribed()) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("pong");
    ctx.reply.Bulk(ctx.args.size() == 2 ? ctx.args[1] : "");
    return;
  }
  if (ctx.args.size() == 1) {
    ctx.reply.SimpleString("PONG");
  } else {
    ctx.reply.Bulk(ctx.args[1]);
  }
}

void EchoCommand(CommandContext& ctx) { ctx.reply.Bulk(ctx.args[1]); }

void SelectCommand(CommandContext& ctx) {
  int index;
  if (!keycmd::ParseDbIndex(ctx, ctx.args[1], &index)) return;
  ctx.client.db = index;
  if (ctx.client.info) ctx.client.info->db.store(ctx.client.db);
  ctx.reply.Ok();
}

void QuitCommand(CommandContext& ctx) {
  ctx.reply.Ok();
  ctx.client.close_after_reply = true;
}

// HELLO [protover [AUTH username password] [SETNAME clientname]]
void HelloCommand(CommandContext& ctx) {
  const auto& args = ctx.args;
  int64_t version = 0;
  size_t next = 1;
  if (args.size() >= 2) {
    if (!protocol::StringToInt64(args[1], &version)) {
      return ctx.Error("ERR Protocol version is not an integer or out of range");
    }
    next = 2;
    if (version < 2 || version > 3) return ctx.Error("NOPROTO unsupported protocol version");
  }
  const std::string_view* user = nullptr;
  const std::string_view* password = nullptr;
  const std::string_view* name = nullptr;
  for (size_t j = next; j < args.size(); ++j) {
    size_t more = args.size() - 1 - j;
    if (IsOption(args[j], "auth") && more >= 2) {
      user = &args[j + 1];
      password = &args[j + 2];
      j += 2;
    } else if (IsOption(args[j], "setname") && more >= 1) {
      // Checked while parsing, before authenticating, as Redis does.
      if (!IsValidClientName(args[j + 1])) return ctx.Error(kInvalidClientName);
      name = &args[j + 1];
      ++j;
    } else {
      return ctx.Error("ERR Syntax error in HELLO option '" + std::string(CStr(args[j])) + "'");
    }
  }
  if (user != nullptr && !Authenticate(ctx, *user, *password)) return ctx.Error(kWrongPass);
  if (!ctx.client.authenticated) {
    return ctx.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO AUTH <user> <pass> option can be used to authenticate the client and select the "
        "RESP protocol version at the same time");
  }
  if (name != nullptr && ctx.client.info) ctx.client.info->set_name(std::string(*name));
  // The reply already uses the protocol just chosen.
  if (version != 0) SetProtocol(ctx, static_cast<int>(version));

  protocol::ReplyBuilder& r = ctx.reply;
  r.MapHeader(7);
  r.Bulk("server");
  r.Bulk("redis");
  r.Bulk("version");
  r.Bulk(kRedisVersion);
  r.Bulk("proto");
  r.Integer(ctx.client.resp3 ? 3 : 2);
  r.Bulk("id");
  r.Integer(ctx.client.info ? static_cast<int64_t>(ctx.client.info->id) : 0);
  r.Bulk("mode");
  r.Bulk("standalone");
  r.Bulk("role");
  r.Bulk("master");
  r.Bulk("modules");
  r.EmptyArray();
}

// AUTH [username] password
void AuthCommand(CommandContext& ctx) {
  if (ctx.args.size() > 3) return ctx.Error(errors::kSyntax);
  std::string_view user = "default";
  std::string_view password;
  if (ctx.args.size() == 2) {
    // Redis keeps the pre-ACL error for the one-argument form when no password is set.
    if (ctx.server.config->requirepass().empty()) {
      return ctx.Error(
          "ERR AUTH <password> called without any password configured for the default user. "
          "Are you sure your configuration is correct?");
    }
    password = ctx.args[1];
  } else {
    user = ctx.args[1];
    password = ctx.args[2];
  }
  if (!Authenticate(ctx, user, password)) return ctx.Error(kWrongPass);
  ctx.reply.Ok();
}

// RESET: Redis's clearClientConnectionState. Runs with no lock held (kNoKeyspace), as
// UnwatchAllKeys requires.
void ResetCommand(CommandContext& ctx) {
  ClientState& client = ctx.client;
  client.in_multi = false;
  client.multi_error = false;
  client.queued.clear();
  UnwatchAllKeys(ctx.server, ctx.dispatcher->worker_id(), client);
  DropClientSubscriptions(ctx.server, client);
  if (client.tracking) {
    ctx.server.tracking.Disable(client.info->id);
    client.tracking = client.tracking_bcast = client.tracking_optin = false;
    client.tracking_optout = client.caching_given = false;
  }
  if (client.monitor) {
    client.monitor = false;
    client.info->monitor.store(false);
    ctx.server.monitors.Remove(client.info->id);
  }
  client.db = 0;
  client.authenticated = ctx.server.config->requirepass().empty();
  if (client.info) {
    client.info->multi.store(-1);
    client.info->db.store(0);
    client.info->set_name("");
  }
  SetProtocol(ctx, 2);
  ctx.reply.SimpleString("RESET");
}

}  // namespace

void RegisterConnectionCommands(CommandTable& table) {
  constexpr uint32_t kHandshake =
      kNoscript | kLoading | kStale | kFast | kNoAuth | kAllowBusy | kNoKeyspace;
  table.Add({"ping", -1, kFast | kNoKeyspace, 0, 0, 0, PingCommand, "connection",
             "Ping the server", "1.0.0", "O(1)", "fast connection",
             "request_policy:all_shards response_policy:all_succeeded"});
  table.Add({"echo", 2, kLoading | kStale | kFast | kNoKeyspace, 0, 0, 0, EchoCommand,
             "connection", "Echo the given string", "1.0.0", "O(1)", "fast connection"});
  table.Add({"select", 2, kLoading | kStale | kFast | kNoKeyspace, 0, 0, 0, SelectCommand,
             "connection", "Change the selected database for the current connection", "1.0.0",
             "O(1)", "fast connection"});
  table.Add({"quit", -1, kHandshake, 0, 0, 0, QuitCommand, "connection", "Close the connection",
             "1.0.0", "O(1)", "fast connection"});
  table.Add({"hello", -1, kHandshake, 0, 0, 0, HelloCommand, "connection",
             "Handshake with Redis", "6.0.0", "O(1)", "fast connection"});
  table.Add({"auth", -2, kHandshake, 0, 0, 0, AuthCommand, "connection",
             "Authenticate to the server", "1.0.0",
             "O(N) where N is the number of passwords defined for the user", "fast connection"});
  table.Add({"reset", 1, kHandshake, 0, 0, 0, ResetCommand, "connection",
             "Reset the connection", "6.2.0", "O(1)", "fast connection"});
  RegisterClientCommands(table);
}

}  // namespace stash::server
