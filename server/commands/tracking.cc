// CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR and CLIENT TRACKINGINFO, as Redis 7.0's
// clientCommand (networking.c). The table itself is server/tracking.h.
#include <string>
#include <vector>

#include "protocol/numbers.h"
#include "server/command_context.h"
#include "server/commands/server_common.h"
#include "server/errors.h"
#include "server/tracking.h"

namespace stash::server {
namespace {

void SetLocalMode(ClientState& client, bool on, const TrackingOptions& o) {
  client.tracking = on;
  client.tracking_bcast = on && o.bcast;
  client.tracking_optin = on && o.optin;
  client.tracking_optout = on && o.optout;
}

// CLIENT TRACKING (ON|OFF) [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN] [OPTOUT] [NOLOOP]
void ClientTrackingCommand(CommandContext& ctx) {
  const auto& args = ctx.args;
  TrackingOptions o;
  for (size_t j = 3; j < args.size(); ++j) {
    bool more = j + 1 < args.size();
    if (IsOption(args[j], "redirect") && more) {
      ++j;
      if (o.redirect != 0) {
        return ctx.Error("ERR A client can only redirect to a single other client");
      }
      int64_t id;
      if (!protocol::StringToInt64(args[j], &id)) return ctx.Error(errors::kNotInteger);
      // Checked now, though the client may leave later (then the redirect is "broken").
      if (id <= 0 || !ctx.server.clients.Find(static_cast<uint64_t>(id))) {
        return ctx.Error("ERR The client ID you want redirect to does not exist");
      }
      o.redirect = static_cast<uint64_t>(id);
    } else if (IsOption(args[j], "bcast")) {
      o.bcast = true;
    } else if (IsOption(args[j], "optin")) {
      o.optin = true;
    } else if (IsOption(args[j], "optout")) {
      o.optout = true;
    } else if (IsOption(args[j], "noloop")) {
      o.noloop = true;
    } else if (IsOption(args[j], "prefix") && more) {
      ++j;
      o.prefixes.emplace_back(args[j]);
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  uint64_t id = ctx.client.info->id;
  if (IsOption(args[2], "on")) {
    std::string error = ctx.server.tracking.Check(id, o);
    if (!error.empty()) return ctx.Error(error);
    ctx.server.tracking.Enable(ctx.client.info, o);
    SetLocalMode(ctx.client, true, o);
  } else if (IsOption(args[2], "off")) {
    ctx.server.tracking.Disable(id);
    SetLocalMode(ctx.client, false, o);
  } else {
    return ctx.Error(errors::kSyntax);
  }
  ctx.reply.Ok();
}

// CLIENT CACHING YES|NO: whether the next command's keys are tracked (OPTIN / OPTOUT).
void ClientCachingCommand(CommandContext& ctx) {
  ClientState& c = ctx.client;
  if (!c.tracking) {
    return ctx.Error(
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN "
        "or OPTOUT mode enabled");
  }
  if (IsOption(ctx.args[2], "yes")) {
    if (!c.tracking_optin) {
      return ctx.Error(
          "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
    }
  } else if (IsOption(ctx.args[2], "no")) {
    if (!c.tracking_optout) {
      return ctx.Error(
          "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
    }
  } else {
    return ctx.Error(errors::kSyntax);
  }
  c.caching_given = true;
  ctx.reply.Ok();
}

void ClientGetredirCommand(CommandContext& ctx) {
  Tracking::Info info = ctx.server.tracking.InfoOf(ctx.client.info->id);
  ctx.reply.Integer(info.on ? info.redirect : -1);
}

void ClientTrackinginfoCommand(CommandContext& ctx) {
  Tracking::Info info = ctx.server.tracking.InfoOf(ctx.client.info->id);
  std::vector<std::string_view> flags = {info.on ? "on" : "off"};
  if (info.bcast) flags.push_back("bcast");
  if (info.optin) {
    flags.push_back("optin");
    if (ctx.client.caching_given) flags.push_back("caching-yes");
  }
  if (info.optout) {
    flags.push_back("optout");
    if (ctx.client.caching_given) flags.push_back("caching-no");
  }
  if (info.noloop) flags.push_back("noloop");
  if (info.broken_redirect) flags.push_back("broken_redirect");
  protocol::ReplyBuilder& r = ctx.reply;
  r.MapHeader(3);
  r.Bulk("flags");
  r.SetHeader(flags.size());
  for (std::string_view f : flags) r.Bulk(f);
  r.Bulk("redirect");
  r.Integer(info.on ? info.redirect : -1);
  r.Bulk("prefixes");
  r.ArrayHeader(info.prefixes.size());
  for (const std::string& p : info.prefixes) r.Bulk(p);
}

}  // namespace

void RegisterClientTrackingCommands(CommandTable& table) {
  constexpr uint32_t kSelf = kNoscript | kLoading | kStale | kNoKeyspace;
  auto sub = [&table](const CommandSpec& spec) { table.AddSubcommand("client", spec); };
  sub({"client|tracking", -3, kSelf, 0, 0, 0, ClientTrackingCommand, "connection",
       "Enable or disable server assisted client side caching support", "6.0.0",
       "O(1). Some options may introduce additional complexity.", "slow connection"});
  sub({"client|caching", 3, kSelf, 0, 0, 0, ClientCachingCommand, "connection",
       "Instruct the server about tracking or not keys in the next request", "6.0.0", "O(1)",
       "slow connection"});
  sub({"client|getredir", 2, kSelf, 0, 0, 0, ClientGetredirCommand, "connection",
       "Get tracking notifications redirection client ID if any", "6.0.0", "O(1)",
       "slow connection"});
  sub({"client|trackinginfo", 2, kSelf, 0, 0, 0, ClientTrackinginfoCommand, "connection",
       "Return information about server assisted client side caching for the current "
       "connection",
       "6.2.0", "O(1)", "slow connection"});
}

}  // namespace stash::server
