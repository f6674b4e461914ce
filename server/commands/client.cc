// CLIENT and its subcommands, as Redis 7.0's clientCommand (networking.c). Other connections
// are seen through the ClientRegistry: their ClientInfo is shared with their worker thread, and
// killing one posts the close to that worker.
#include <memory>
#include <string>
#include <vector>

#include "protocol/numbers.h"
#include "server/blocking.h"
#include "server/command_context.h"
#include "server/commands/client.h"
#include "server/commands/server_common.h"
#include "server/errors.h"
#include "server/tracking.h"

namespace stash::server {

bool IsValidClientName(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

namespace {

// Redis's client types. There is no replication: a connection is a normal client, or a Pub/Sub
// client while it has subscriptions.
enum class ClientType { kNormal, kReplica, kPubsub, kMaster, kInvalid };

// Redis's getClientTypeByName.
ClientType ClientTypeByName(std::string_view name) {
  if (IsOption(name, "normal")) return ClientType::kNormal;
  if (IsOption(name, "slave") || IsOption(name, "replica")) return ClientType::kReplica;
  if (IsOption(name, "pubsub")) return ClientType::kPubsub;
  if (IsOption(name, "master")) return ClientType::kMaster;
  return ClientType::kInvalid;
}

ClientType TypeOf(const ClientInfo& info) {
  return info.in_pubsub() ? ClientType::kPubsub : ClientType::kNormal;
}

std::string UnknownTypeError(std::string_view name) {
  return "ERR Unknown client type '" + std::string(CStr(name)) + "'";
}

// One line of CLIENT LIST / CLIENT INFO in Redis 7.0's field order (catClientInfoString). Buffer
// and memory figures are Redis internals with no Stash equivalent and print as 0.
std::string ClientLine(const ClientInfo& info, const Tracking& tracking, int64_t now_ms) {
  std::string s;
  s.reserve(320);
  auto field = [&s](std::string_view name, std::string_view value) {
    if (!s.empty()) s += ' ';
    s += name;
    s += '=';
    s += value;
  };
  auto number = [&field](std::string_view name, int64_t value) {
    field(name, std::to_string(value));
  };
  int multi = info.multi.load(std::memory_order_relaxed);
  const Command* cmd = info.last_command.load(std::memory_order_relaxed);
  number("id", static_cast<int64_t>(info.id));
  field("addr", info.addr);
  field("laddr", info.laddr);
  number("fd", info.fd);
  field("name", info.name());
  number("age", (now_ms - info.created_ms) / 1000);
  number("idle", (now_ms - info.last_interaction_ms.load(std::memory_order_relaxed)) / 1000);
  Tracking::Info track = tracking.InfoOf(info.id);
  std::string flags;
  if (info.monitor.load(std::memory_order_relaxed)) flags += 'O';
  if (info.in_pubsub()) flags += 'P';
  if (multi >= 0) flags += 'x';
  if (track.on) flags += 't';
  if (track.broken_redirect) flags += 'R';
  if (track.bcast) flags += 'B';
  if (flags.empty()) flags = "N";
  field("flags", flags);
  number("db", info.db.load(std::memory_order_relaxed));
  number("sub", info.subscriptions.load(std::memory_order_relaxed));
  number("psub", info.psubscriptions.load(std::memory_order_relaxed));
  number("ssub", info.ssubscriptions.load(std::memory_order_relaxed));
  number("multi", multi);
  s += " qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0";
  s += " events=r";
  field("cmd", cmd != nullptr ? cmd->full_name() : "NULL");
  s += " user=default";
  number("redir", track.on ? track.redirect : -1);
  number("resp", info.resp.load(std::memory_order_relaxed));
  return s;
}

// Connections still open: a killed one stays registered until its worker has closed it.
std::vector<std::shared_ptr<ClientInfo>> LiveClients(CommandContext& ctx) {
  std::vector<std::shared_ptr<ClientInfo>> clients = ctx.server.clients.Snapshot();
  std::erase_if(clients, [](const std::shared_ptr<ClientInfo>& c) {
    return c->killed.load(std::memory_order_relaxed);
  });
  return clients;
}

void ClientContainerCommand(CommandContext& ctx) { SubcommandSyntaxError(ctx); }

void ClientIdCommand(CommandContext& ctx) {
  ctx.reply.Integer(ctx.client.info ? static_cast<int64_t>(ctx.client.info->id) : 0);
}

void ClientInfoCommand(CommandContext& ctx) {
  if (!ctx.client.info) return ctx.reply.Verbatim("");
  ctx.reply.Verbatim(ClientLine(*ctx.client.info, ctx.server.tracking, ctx.now_ms) + "\n");
}

// CLIENT LIST [TYPE type | ID id [id ...]]
void ClientListCommand(CommandContext& ctx) {
  const auto& args = ctx.args;
  std::string out;
  if (args.size() == 4 && IsOption(args[2], "type")) {
    ClientType type = ClientTypeByName(args[3]);
    if (type == ClientType::kInvalid) return ctx.Error(UnknownTypeError(args[3]));
    for (const auto& info : LiveClients(ctx)) {
      if (TypeOf(*info) != type) continue;
      out += ClientLine(*info, ctx.server.tracking, ctx.now_ms);
      out += '\n';
    }
  } else if (args.size() > 3 && IsOption(args[2], "id")) {
    // Each id in the order given, repeated ids repeated, unknown ones skipped.
    std::vector<std::shared_ptr<ClientInfo>> clients = LiveClients(ctx);
    for (size_t j = 3; j < args.size(); ++j) {
      int64_t id;
      if (!protocol::StringToInt64(args[j], &id)) return ctx.Error("ERR Invalid client ID");
      for (const auto& info : clients) {
        if (static_cast<int64_t>(info->id) != id) continue;
        out += ClientLine(*info, ctx.server.tracking, ctx.now_ms);
        out += '\n';
        break;
      }
    }
  } else if (args.size() != 2) {
    return ctx.Error(errors::kSyntax);
  } else {
    for (const auto& info : LiveClients(ctx)) {
      out += ClientLine(*info, ctx.server.tracking, ctx.now_ms);
      out += '\n';
    }
  }
  ctx.reply.Verbatim(out);
}

// CLIENT KILL ip:port, or CLIENT KILL <filter> <value> [<filter> <value> ...]
void ClientKillCommand(CommandContext& ctx) {
  const auto& args = ctx.args;
  std::string_view addr, laddr;
  bool has_addr = false, has_laddr = false;
  ClientType type = ClientType::kInvalid;  // no TYPE filter
  uint64_t id = 0;
  bool skipme = true;
  if (args.size() == 3) {
    // The old form may kill the calling connection itself.
    addr = CStr(args[2]);
    has_addr = true;
    skipme = false;
  } else {
    for (size_t i = 2; i < args.size(); i += 2) {
      bool more = i + 1 < args.size();
      if (IsOption(args[i], "id") && more) {
        int64_t v;
        if (!protocol::StringToInt64(args[i + 1], &v) || v < 1) {
          return ctx.Error("ERR client-id should be greater than 0");
        }
        id = static_cast<uint64_t>(v);
      } else if (IsOption(args[i], "type") && more) {
        type = ClientTypeByName(args[i + 1]);
        if (type == ClientType::kInvalid) return ctx.Error(UnknownTypeError(args[i + 1]));
      } else if (IsOption(args[i], "addr") && more) {
        addr = CStr(args[i + 1]);
        has_addr = true;
      } else if (IsOption(args[i], "laddr") && more) {
        laddr = CStr(args[i + 1]);
        has_laddr = true;
      } else if (IsOption(args[i], "user") && more) {
        // "default" is the only user there is (looked up by its whole name, NULs included).
        if (args[i + 1] != "default") {
          return ctx.Error("ERR No such user '" + std::string(CStr(args[i + 1])) + "'");
        }
      } else if (IsOption(args[i], "skipme") && more) {
        if (IsOption(args[i + 1], "yes")) {
          skipme = true;
        } else if (IsOption(args[i + 1], "no")) {
          skipme = false;
        } else {
          return ctx.Error(errors::kSyntax);
        }
      } else {
        return ctx.Error(errors::kSyntax);
      }
    }
  }

  const ClientInfo* me = ctx.client.info.get();
  int64_t killed = 0;
  bool close_me = false;
  for (const auto& info : LiveClients(ctx)) {
    if (has_addr && info->addr != addr) continue;
    if (has_laddr && info->laddr != laddr) continue;
    if (type != ClientType::kInvalid && TypeOf(*info) != type) continue;
    if (id != 0 && info->id != id) continue;
    if (info.get() == me && skipme) continue;
    if (info.get() == me) {
      close_me = true;
    } else {
      // Marked here so that listings made right after this no longer show it, even before
      // its worker has run the close.
      info->killed.store(true);
      if (info->kill) info->kill();
    }
    ++killed;
  }
  if (args.size() == 3) {
    if (killed == 0) return ctx.Error("ERR No such client");
    ctx.reply.Ok();
  } else {
    ctx.reply.Integer(killed);
  }
  // Only after the reply is queued, so the client still gets it.
  if (close_me) ctx.client.close_after_reply = true;
}

void ClientSetnameCommand(CommandContext& ctx) {
  if (!IsValidClientName(ctx.args[2])) return ctx.Error(kInvalidClientName);
  if (ctx.client.info) ctx.client.info->set_name(std::string(ctx.args[2]));
  ctx.reply.Ok();
}

void ClientGetnameCommand(CommandContext& ctx) {
  std::string name = ctx.client.info ? ctx.client.info->name() : std::string();
  if (name.empty()) return ctx.reply.Null();
  ctx.reply.Bulk(name);
}

// Stash never evicts clients, so the mode is accepted and has no effect.
void ClientNoEvictCommand(CommandContext& ctx) {
  if (!IsOption(ctx.args[2], "on") && !IsOption(ctx.args[2], "off")) {
    return ctx.Error(errors::kSyntax);
  }
  ctx.reply.Ok();
}

// Client-side caching is not supported: no connection ever tracks or redirects.
// CLIENT UNBLOCK id [TIMEOUT|ERROR]. No Stash command blocks yet, so no client is ever blocked
// and the answer is always 0 once the arguments are valid.
void ClientUnblockCommand(CommandContext& ctx) {
  const auto& args = ctx.args;
  if (args.size() != 3 && args.size() != 4) return SubcommandSyntaxError(ctx);
  if (args.size() == 4 && !IsOption(args[3], "timeout") && !IsOption(args[3], "error")) {
    return ctx.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
  }
  int64_t id;
  if (!protocol::StringToInt64(args[2], &id)) return ctx.Error(errors::kNotInteger);
  std::shared_ptr<Waiter> waiter = ctx.server.blocking.RemoveClient(static_cast<uint64_t>(id));
  if (!waiter) return ctx.reply.Integer(0);
  // The blocked client gets its timeout reply, or with ERROR the error Redis sends.
  if (args.size() == 4 && IsOption(args[3], "error")) {
    waiter->deliver("-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
  } else {
    waiter->deliver(waiter->timeout_reply);
  }
  ctx.reply.Integer(1);
}

void ClientHelpCommand(CommandContext& ctx) {
  ReplyHelp(ctx, {
      "CACHING (YES|NO)",
      "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
      "GETREDIR",
      "    Return the client ID we are redirecting to when tracking is enabled.",
      "GETNAME",
      "    Return the name of the current connection.",
      "ID",
      "    Return the ID of the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are:",
      "    * ADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made from the specified address",
      "    * LADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made to specified local address",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Kill connections by type.",
      "    * USER <username>",
      "      Kill connections authenticated by <username>.",
      "    * SKIPME (YES|NO)",
      "      Skip killing current connection (default: yes).",
      "LIST [options ...]",
      "    Return information about client connections. Options:",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Return clients of specified type.",
      "UNPAUSE",
      "    Stop the current client pause, resuming traffic.",
      "PAUSE <timeout> [WRITE|ALL]",
      "    Suspend all, or just write, clients for <timeout> milliseconds.",
      "REPLY (ON|OFF|SKIP)",
      "    Control the replies sent to the current connection.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "UNBLOCK <clientid> [TIMEOUT|ERROR]",
      "    Unblock the specified blocked client.",
      "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
      "         [OPTIN] [OPTOUT] [NOLOOP]",
      "    Control server assisted client side caching.",
      "TRACKINGINFO",
      "    Report tracking status for the current connection.",
      "NO-EVICT (ON|OFF)",
      "    Protect current client connection from eviction.",
  });
}

}  // namespace

void RegisterClientCommands(CommandTable& table) {
  constexpr uint32_t kSelf = kNoscript | kLoading | kStale | kNoKeyspace;
  constexpr uint32_t kOthers = kAdmin | kNoscript | kLoading | kStale | kNoKeyspace;
  table.Add({"client", -2, kNoKeyspace, 0, 0, 0, ClientContainerCommand, "connection",
             "A container for client connection commands", "2.4.0", "Depends on subcommand.",
             "slow"});
  auto sub = [&table](const CommandSpec& spec) { table.AddSubcommand("client", spec); };
  sub({"client|id", 2, kSelf, 0, 0, 0, ClientIdCommand, "connection",
       "Returns the client ID for the current connection", "5.0.0", "O(1)", "slow connection"});
  sub({"client|info", 2, kSelf, 0, 0, 0, ClientInfoCommand, "connection",
       "Returns information about the current client connection.", "6.2.0", "O(1)",
       "slow connection", "nondeterministic_output"});
  sub({"client|list", -2, kOthers, 0, 0, 0, ClientListCommand, "connection",
       "Get the list of client connections", "2.4.0",
       "O(N) where N is the number of client connections", "admin slow dangerous connection",
       "nondeterministic_output"});
  sub({"client|kill", -3, kOthers, 0, 0, 0, ClientKillCommand, "connection",
       "Kill the connection of a client", "2.4.0",
       "O(N) where N is the number of client connections", "admin slow dangerous connection"});
  sub({"client|setname", 3, kSelf, 0, 0, 0, ClientSetnameCommand, "connection",
       "Set the current connection name", "2.6.9", "O(1)", "slow connection"});
  sub({"client|getname", 2, kSelf, 0, 0, 0, ClientGetnameCommand, "connection",
       "Get the current connection name", "2.6.9", "O(1)", "slow connection"});
  sub({"client|no-evict", 3, kOthers, 0, 0, 0, ClientNoEvictCommand, "connection",
       "Set client eviction mode for the current connection", "7.0.0", "O(1)",
       "admin slow dangerous connection"});
  sub({"client|unblock", -3, kOthers, 0, 0, 0, ClientUnblockCommand, "connection",
       "Unblock a client blocked in a blocking command from a different connection", "5.0.0",
       "O(log N) where N is the number of client connections", "admin slow dangerous connection"});
  sub({"client|help", 2, kLoading | kStale | kNoKeyspace, 0, 0, 0, ClientHelpCommand,
       "connection", "Show helpful text about the different subcommands", "5.0.0", "O(1)",
       "slow connection"});
  RegisterClientTrackingCommands(table);
}

}  // namespace stash::server
