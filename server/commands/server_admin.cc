// Server commands, as Redis's server.c, db.c and debug.c: INFO (server/info.cc), DBSIZE, FLUSHDB,
// FLUSHALL, SWAPDB, TIME, LASTSAVE, SHUTDOWN, DEBUG. CONFIG is in config_cmd.cc and COMMAND in
// command_docs.cc.
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>
#include <thread>

#include "protocol/numbers.h"
#include "server/command_context.h"
#include "server/commands/server_common.h"
#include "server/errors.h"
#include "server/info.h"
#include "server/logging.h"

namespace stash::server {

// Defined in config_cmd.cc and command_docs.cc; registered with the server family.
void RegisterConfigCommands(CommandTable& table);
void RegisterCommandDocsCommands(CommandTable& table);

namespace {

void DbsizeCommand(CommandContext& ctx) {
  storage::Database& db = ctx.db();
  int64_t total = 0;
  for (size_t i = 0; i < db.shard_count(); ++i) {
    auto lock = ctx.LockShard(db.shard(i));
    total += static_cast<int64_t>(db.shard(i).size());
  }
  ctx.reply.Integer(total);
}

// Redis's getFlushCommandFlags: SYNC, ASYNC, or neither (lazyfree-lazy-user-flush decides).
// Sets *lazy; false after replying a syntax error.
bool ParseFlushOption(CommandContext& ctx, bool* lazy) {
  *lazy = ctx.server.config->lazyfree_lazy_user_flush();
  if (ctx.args.size() == 1) return true;
  if (ctx.args.size() == 2 && IsOption(ctx.args[1], "sync")) {
    *lazy = false;
    return true;
  }
  if (ctx.args.size() == 2 && IsOption(ctx.args[1], "async")) {
    *lazy = true;
    return true;
  }
  ctx.Error(errors::kSyntax);
  return false;
}

// Lazily: each shard's contents move to a fresh detached shard (an O(1) swap) that the
// lazy-free thread frees, so FLUSHALL ASYNC of millions of keys answers at once.
void ClearDatabase(CommandContext& ctx, storage::Database& db, bool lazy) {
  for (size_t i = 0; i < db.shard_count(); ++i) {
    storage::Shard& shard = db.shard(i);
    if (!lazy || shard.size() == 0) {
      shard.Clear();
      continue;
    }
    auto detached = std::make_unique<storage::Shard>(db.shard_bits());
    shard.SwapContents(*detached);
    ctx.server.lazy_free.Free(std::move(detached));
  }
}

// Exclusive: no other command runs, so shards are cleared without their locks.
void FlushdbCommand(CommandContext& ctx) {
  bool lazy;
  if (!ParseFlushOption(ctx, &lazy)) return;
  ClearDatabase(ctx, ctx.db(), lazy);
  ctx.server.tracking.InvalidateAll();
  ctx.reply.Ok();
}

void FlushallCommand(CommandContext& ctx) {
  bool lazy;
  if (!ParseFlushOption(ctx, &lazy)) return;
  for (int d = 0; d < ctx.server.keyspace.database_count(); ++d) {
    ClearDatabase(ctx, ctx.server.keyspace.db(d), lazy);
  }
  ctx.server.tracking.InvalidateAll();
  ctx.reply.Ok();
}

// Redis's getIntFromObjectOrReply with a custom message.
bool ParseDbIndex(CommandContext& ctx, std::string_view arg, const char* error, int* out) {
  int64_t v;
  if (!protocol::StringToInt64(arg, &v) || v < INT32_MIN || v > INT32_MAX) {
    ctx.Error(error);
    return false;
  }
  *out = static_cast<int>(v);
  return true;
}

// Exclusive: swaps every shard pair while nothing else runs. Clients keep their selected index,
// so they now see the other database's contents, as in Redis.
void SwapdbCommand(CommandContext& ctx) {
  int a, b;
  if (!ParseDbIndex(ctx, ctx.args[1], "ERR invalid first DB index", &a)) return;
  if (!ParseDbIndex(ctx, ctx.args[2], "ERR invalid second DB index", &b)) return;
  int count = ctx.server.keyspace.database_count();
  if (a < 0 || a >= count || b < 0 || b >= count) return ctx.Error(errors::kDbIndexOutOfRange);
  if (a != b) {
    storage::Database& da = ctx.server.keyspace.db(a);
    storage::Database& db = ctx.server.keyspace.db(b);
    for (size_t i = 0; i < da.shard_count(); ++i) da.shard(i).SwapContents(db.shard(i));
  }
  ctx.reply.Ok();
}

void TimeCommand(CommandContext& ctx) {
  int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(us / 1000000));
  ctx.reply.Bulk(std::to_string(us % 1000000));
}

// Stash never saves: the last "save" is the start, as for a Redis server that has not saved yet.
void LastsaveCommand(CommandContext& ctx) { ctx.reply.Integer(ctx.server.start_time_ms / 1000); }

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. There is nothing to save and no shutdown is
// ever in progress while commands still run, so the options only need validating. Like Redis,
// a successful SHUTDOWN sends no reply: the connection just closes.
void ShutdownCommand(CommandContext& ctx) {
  bool nosave = false, save = false, now = false, force = false, abort = false;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    std::string_view a = ctx.args[i];
    if (IsOption(a, "nosave")) {
      nosave = true;
    } else if (IsOption(a, "save")) {
      save = true;
    } else if (IsOption(a, "now")) {
      now = true;
    } else if (IsOption(a, "force")) {
      force = true;
    } else if (IsOption(a, "abort")) {
      abort = true;
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  if ((abort && (nosave || save || now || force)) || (nosave && save)) {
    return ctx.Error(errors::kSyntax);
  }
  if (abort) return ctx.Error("ERR No shutdown in progress.");
  if (ctx.server.script_state.started_ms.load() != 0) {
    // A script is running: like Redis, only SHUTDOWN NOSAVE may stop the server then; the
    // script is killed (even after writes) so its worker can exit.
    scripting::ScriptRunState& state = ctx.server.script_state;
    if (!nosave) {
      return ctx.Error(state.is_eval.load() ? "BUSY Redis is busy running a script. You can only "
                                              "call SCRIPT KILL or SHUTDOWN NOSAVE."
                                            : "BUSY Redis is busy running a script. You can only "
                                              "call FUNCTION KILL or SHUTDOWN NOSAVE.");
    }
    std::lock_guard<std::mutex> lock(state.mu);
    state.force_kill = true;
    state.kill_requested.store(true);
  }
  if (ctx.server.request_shutdown) ctx.server.request_shutdown();
  ctx.client.close_after_reply = true;
}

// DEBUG PROTOCOL <type>: one test value of each RESP type, as Redis's debug.c sends them.
void DebugProtocol(CommandContext& ctx) {
  protocol::ReplyBuilder& r = ctx.reply;
  std::string_view type = ctx.args[2];
  if (IsOption(type, "string")) {
    r.Bulk("Hello World");
  } else if (IsOption(type, "integer")) {
    r.Integer(12345);
  } else if (IsOption(type, "double")) {
    r.Double(3.141);
  } else if (IsOption(type, "bignum")) {
    if (r.resp3()) {
      r.Raw("(1234567999999999999999999999999999999\r\n");
    } else {
      r.Bulk("1234567999999999999999999999999999999");
    }
  } else if (IsOption(type, "null")) {
    r.Null();
  } else if (IsOption(type, "array") || IsOption(type, "set")) {
    if (IsOption(type, "set")) {
      r.SetHeader(3);
    } else {
      r.ArrayHeader(3);
    }
    for (int j = 0; j < 3; ++j) r.Integer(j);
  } else if (IsOption(type, "map")) {
    r.MapHeader(3);
    for (int j = 0; j < 3; ++j) {
      r.Integer(j);
      r.Bool(j == 1);
    }
  } else if (IsOption(type, "attrib")) {
    if (r.resp3()) {
      r.Raw("|1\r\n");
      r.Bulk("key-popularity");
      r.ArrayHeader(2);
      r.Bulk("key:123");
      r.Integer(90);
    }
    r.Bulk("Some real reply following the attribute");
  } else if (IsOption(type, "push")) {
    if (!r.resp3()) return ctx.Error("ERR RESP2 is not supported by this command");
    r.PushHeader(2);
    r.Bulk("server-cpu-usage");
    r.Integer(42);
    r.Bulk("Some real reply following the push reply");
  } else if (IsOption(type, "true")) {
    r.Bool(true);
  } else if (IsOption(type, "false")) {
    r.Bool(false);
  } else if (IsOption(type, "verbatim")) {
    r.Verbatim("This is a verbatim\nstring");
  } else {
    ctx.Error(
        "ERR Wrong protocol type name. Please use one of the following: "
        "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
  }
}

// DEBUG: the subcommands that make sense without Redis's internals. Redis refuses DEBUG unless
// enable-debug-command is set; Stash accepts it, since DEBUG SLEEP is how tests hold a worker.
void DebugCommand(CommandContext& ctx) {
  const auto& args = ctx.args;
  std::string_view sub = args[1];
  if (IsOption(sub, "help") && args.size() == 2) {
    return ReplyHelp(ctx, {
        "ERROR <string>",
        "    Return a Redis protocol error with <string> as message. Useful for clients",
        "    unit tests to simulate Redis errors.",
        "LOG <message>",
        "    Write <message> to the server log.",
        "PROTOCOL <type>",
        "    Reply with a test value of the specified type. <type> can be: string,",
        "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
        "    true, false.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
    });
  }
  if (IsOption(sub, "sleep") && args.size() == 3) {
    // strtod without error checking, as Redis: "x" sleeps 0 seconds, negatives do not sleep.
    std::string text(CStr(args[2]));
    double seconds = strtod(text.c_str(), nullptr);
    if (seconds > 0 && std::isfinite(seconds)) {
      std::this_thread::sleep_for(
          std::chrono::microseconds(static_cast<int64_t>(std::min(seconds, 1e9) * 1e6)));
    }
    return ctx.reply.Ok();
  }
  if (IsOption(sub, "error") && args.size() == 3) {
    // The string is the whole error, without an "ERR " prefix.
    return ctx.Error(args[2]);
  }
  if (IsOption(sub, "log") && args.size() == 3) {
    LogWarning("DEBUG LOG: " + std::string(args[2]));
    return ctx.reply.Ok();
  }
  if (IsOption(sub, "protocol") && args.size() == 3) return DebugProtocol(ctx);
  SubcommandSyntaxError(ctx);
}

// MONITOR (server/monitor.h). As in Redis: not inside a transaction (EXEC's client may not
// block), and a second MONITOR on the same connection is ignored without a reply.
void MonitorCommand(CommandContext& ctx) {
  ClientState& client = ctx.client;
  if (client.in_exec) return ctx.Error("ERR MONITOR isn't allowed for DENY BLOCKING client");
  if (client.monitor || !client.info) return;
  client.monitor = true;
  client.info->monitor.store(true);
  ctx.server.monitors.Add(client.info);
  ctx.reply.Ok();
}

}  // namespace

void RegisterServerCommands(CommandTable& table) {
  table.Add({"info", -1, kLoading | kStale | kShardWalk, 0, 0, 0, InfoCommand, "server",
             "Get information and statistics about the server", "1.0.0", "O(1)",
             "slow dangerous",
             "nondeterministic_output request_policy:all_shards response_policy:special"});
  table.Add({"dbsize", 1, kReadonly | kFast | kShardWalk, 0, 0, 0, DbsizeCommand, "server",
             "Return the number of keys in the selected database", "1.0.0", "O(1)",
             "keyspace read fast", "request_policy:all_shards response_policy:agg_sum"});
  table.Add({"flushdb", -1, kWrite | kExclusive, 0, 0, 0, FlushdbCommand, "server",
             "Remove all keys from the current database", "1.0.0",
             "O(N) where N is the number of keys in the selected database",
             "keyspace write slow dangerous",
             "request_policy:all_shards response_policy:all_succeeded"});
  table.Add({"flushall", -1, kWrite | kExclusive, 0, 0, 0, FlushallCommand, "server",
             "Remove all keys from all databases", "1.0.0",
             "O(N) where N is the total number of keys in all databases",
             "keyspace write slow dangerous",
             "request_policy:all_shards response_policy:all_succeeded"});
  table.Add({"swapdb", 3, kWrite | kFast | kExclusive, 0, 0, 0, SwapdbCommand, "server",
             "Swaps two Redis databases", "4.0.0",
             "O(N) where N is the count of clients watching or blocking on keys from both "
             "databases.",
             "keyspace write fast dangerous"});
  table.Add({"time", 1, kLoading | kStale | kFast | kNoKeyspace, 0, 0, 0, TimeCommand, "server",
             "Return the current server time", "2.6.0", "O(1)", "fast",
             "nondeterministic_output"});
  table.Add({"lastsave", 1, kLoading | kStale | kFast | kNoKeyspace, 0, 0, 0, LastsaveCommand,
             "server", "Get the UNIX time stamp of the last successful save to disk", "1.0.0",
             "O(1)", "admin fast dangerous", "nondeterministic_output"});
  table.Add({"shutdown", -1,
             kAdmin | kNoscript | kLoading | kStale | kNoMulti | kAllowBusy | kNoKeyspace, 0, 0,
             0, ShutdownCommand, "server",
             "Synchronously save the dataset to disk and then shut down the server", "1.0.0",
             "O(N) when saving, where N is the total number of keys in all databases when "
             "saving data, otherwise O(1)",
             "admin slow dangerous"});
  table.Add({"monitor", 1, kAdmin | kNoscript | kLoading | kStale | kNoKeyspace, 0, 0, 0,
             MonitorCommand, "server", "Listen for all requests received by the server in real time",
             "1.0.0", "", "admin slow dangerous"});
  table.Add({"debug", -2, kAdmin | kNoscript | kLoading | kStale | kNoKeyspace, 0, 0, 0,
             DebugCommand, "server", "A container for debugging commands", "1.0.0",
             "Depends on subcommand.", "admin slow dangerous"});
  RegisterConfigCommands(table);
  RegisterCommandDocsCommands(table);
}

}  // namespace stash::server
