// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT, FUNCTION, FCALL, FCALL_RO.
//
// Atomicity: every command here that runs or changes scripts is kExclusive, so the dispatcher
// holds the whole ExecLock while it runs: no other command runs meanwhile, on any shard. A
// script may therefore touch keys it did not declare (as Redis allows) and stay atomic; the
// cost is that scripts serialize with everything, as they do in Redis. SCRIPT KILL,
// FUNCTION KILL and FUNCTION STATS take no lock, so they work while a script runs.
#include <chrono>
#include <string>

#include "server/clock.h"
#include "server/command_context.h"
#include "server/commands/server_common.h"
#include "server/errors.h"
#include "server/scripting/function_dump.h"
#include "server/scripting/scripting.h"
#include "storage/glob.h"

namespace stash::server {
namespace {

scripting::Scripting& Scripts(CommandContext& ctx) { return *ctx.server.scripting; }

// EVAL, EVALSHA and FCALL (and their _RO forms) are skip_monitor and fed to MONITOR here, before
// they run, as Redis does: the commands their script runs then come after them.
void Eval(CommandContext& ctx, bool by_sha, bool read_only) {
  if (ctx.server.monitors.active()) ctx.server.monitors.Feed(ctx.client, ctx.args);
  Scripts(ctx).Eval(ctx, by_sha, read_only);
}
void Fcall(CommandContext& ctx, bool read_only) {
  if (ctx.server.monitors.active()) ctx.server.monitors.Feed(ctx.client, ctx.args);
  Scripts(ctx).Fcall(ctx, read_only);
}

void EvalCommand(CommandContext& ctx) { Eval(ctx, false, false); }
void EvalShaCommand(CommandContext& ctx) { Eval(ctx, true, false); }
void EvalRoCommand(CommandContext& ctx) { Eval(ctx, false, true); }
void EvalShaRoCommand(CommandContext& ctx) { Eval(ctx, true, true); }
void FcallCommand(CommandContext& ctx) { Fcall(ctx, false); }
void FcallRoCommand(CommandContext& ctx) { Fcall(ctx, true); }

void ContainerCommand(CommandContext& ctx) { SubcommandSyntaxError(ctx); }

void ScriptLoadCommand(CommandContext& ctx) {
  std::string error;
  std::string sha = Scripts(ctx).LoadScript(ctx.args[2], &error);
  if (sha.empty()) return ctx.Error(error);
  ctx.reply.Bulk(sha);
}

void ScriptExistsCommand(CommandContext& ctx) {
  ctx.reply.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    ctx.reply.Integer(Scripts(ctx).ScriptExists(ctx.args[i]) ? 1 : 0);
  }
}

// FLUSH [ASYNC|SYNC]: both flush at once here.
bool FlushModeOk(CommandContext& ctx, const char* what) {
  if (ctx.args.size() == 3 && (IsOption(ctx.args[2], "sync") || IsOption(ctx.args[2], "async"))) {
    return true;
  }
  if (ctx.args.size() == 2) return true;
  ctx.Error(std::string("ERR ") + what);
  return false;
}

void ScriptFlushCommand(CommandContext& ctx) {
  if (!FlushModeOk(ctx, "SCRIPT FLUSH only support SYNC|ASYNC option")) return;
  Scripts(ctx).FlushScripts();
  ctx.reply.Ok();
}

// SCRIPT KILL / FUNCTION KILL, without any lock: the running script's count hook sees the
// request and raises. A script that already wrote cannot be killed (its writes would be half
// done), exactly as in Redis.
void KillScript(CommandContext& ctx, bool is_eval) {
  scripting::ScriptRunState& state = ctx.server.script_state;
  std::lock_guard<std::mutex> lock(state.mu);
  if (state.started_ms.load() == 0) return ctx.Error("NOTBUSY No scripts in execution right now.");
  if (state.wrote) {
    return ctx.Error(
        "UNKILLABLE Sorry the script already executed write commands against the dataset. You "
        "can either wait the script termination or kill the server in a hard way using the "
        "SHUTDOWN NOSAVE command.");
  }
  if (is_eval && !state.is_eval.load()) {
    return ctx.Error(
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.");
  }
  if (!is_eval && state.is_eval.load()) {
    return ctx.Error(
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.");
  }
  state.kill_requested.store(true);
  ctx.reply.Ok();
}

void ScriptKillCommand(CommandContext& ctx) { KillScript(ctx, true); }
void FunctionKillCommand(CommandContext& ctx) { KillScript(ctx, false); }

void ScriptHelpCommand(CommandContext& ctx) {
  ReplyHelp(ctx, {
      "DEBUG (YES|SYNC|NO)",
      "    Set the debug mode for subsequent scripts executed.",
      "EXISTS <sha1> [<sha1> ...]",
      "    Return information about the existence of the scripts in the script cache.",
      "FLUSH [ASYNC|SYNC]",
      "    Flush the Lua scripts cache. Very dangerous on replicas.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the scripts cache.",
      "    * SYNC: Synchronously flush the scripts cache.",
      "KILL",
      "    Kill the currently executing Lua script.",
      "LOAD <script>",
      "    Load a script into the scripts cache without executing it.",
  });
}

void FunctionLoadCommand(CommandContext& ctx) {
  bool replace = false;
  size_t i = 2;
  for (; i + 1 < ctx.args.size(); ++i) {
    if (IsOption(ctx.args[i], "replace")) {
      replace = true;
    } else {
      return ctx.Error("ERR Unknown option given: " + std::string(ctx.args[i]));
    }
  }
  if (i >= ctx.args.size()) return ctx.Error("ERR Function code is missing");
  std::string name;
  std::string error = Scripts(ctx).functions().Load(std::string(ctx.args[i]), replace, &name);
  if (!error.empty()) return ctx.Error(error);
  ctx.reply.Bulk(name);
}

void FunctionDeleteCommand(CommandContext& ctx) {
  if (!Scripts(ctx).functions().Delete(std::string(ctx.args[2]))) {
    return ctx.Error("ERR Library not found");
  }
  ctx.reply.Ok();
}

void FunctionFlushCommand(CommandContext& ctx) {
  if (!FlushModeOk(ctx, "FUNCTION FLUSH only supports SYNC|ASYNC option")) return;
  Scripts(ctx).functions().Flush();
  ctx.reply.Ok();
}

// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]
void FunctionListCommand(CommandContext& ctx) {
  bool with_code = false;
  std::string pattern;
  bool has_pattern = false;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    if (IsOption(ctx.args[i], "withcode") && !with_code) {
      with_code = true;
    } else if (IsOption(ctx.args[i], "libraryname") && !has_pattern) {
      if (i + 1 >= ctx.args.size()) return ctx.Error("ERR library name argument was not given");
      pattern.assign(ctx.args[++i]);
      has_pattern = true;
    } else {
      return ctx.Error("ERR Unknown argument " + std::string(ctx.args[i]));
    }
  }
  std::vector<const scripting::Library*> libs;
  for (const auto& [name, lib] : Scripts(ctx).functions().libraries()) {
    if (has_pattern && !storage::GlobMatch(pattern, name)) continue;
    libs.push_back(&lib);
  }
  protocol::ReplyBuilder& r = ctx.reply;
  r.ArrayHeader(libs.size());
  for (const scripting::Library* lib : libs) {
    r.MapHeader(with_code ? 4 : 3);
    r.Bulk("library_name");
    r.Bulk(lib->name);
    r.Bulk("engine");
    r.Bulk("LUA");
    r.Bulk("functions");
    r.ArrayHeader(lib->functions.size());
    for (const auto& [fname, fn] : lib->functions) {
      r.MapHeader(3);
      r.Bulk("name");
      r.Bulk(fn.name);
      r.Bulk("description");
      if (fn.has_description) {
        r.Bulk(fn.description);
      } else {
        r.Null();
      }
      r.Bulk("flags");
      r.SetHeader(fn.flags.size());
      for (const std::string& f : fn.flags) r.SimpleString(f);
    }
    if (with_code) {
      r.Bulk("library_code");
      r.Bulk(lib->code);
    }
  }
}

// FUNCTION STATS: no lock (it is allowed while a script runs); reads the atomics.
void FunctionStatsCommand(CommandContext& ctx) {
  scripting::ScriptRunState& state = ctx.server.script_state;
  protocol::ReplyBuilder& r = ctx.reply;
  int64_t started = state.started_ms.load();
  // Redis answers BUSY to FUNCTION STATS while an EVAL script (not a function) runs.
  if (started != 0 && state.is_eval.load()) {
    return ctx.Error("BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
                     "SHUTDOWN NOSAVE.");
  }
  r.MapHeader(2);
  r.Bulk("running_script");
  if (started == 0 || state.is_eval.load()) {
    r.Null();
  } else {
    int64_t now = SteadyMs();
    std::lock_guard<std::mutex> lock(state.mu);
    r.MapHeader(3);
    r.Bulk("name");
    r.Bulk(state.name);
    r.Bulk("command");
    r.ArrayHeader(state.command.size());
    for (const std::string& arg : state.command) r.Bulk(arg);
    r.Bulk("duration_ms");
    r.Integer(now - started);
  }
  r.Bulk("engines");
  r.MapHeader(1);
  r.Bulk("LUA");
  r.MapHeader(2);
  r.Bulk("libraries_count");
  r.Integer(state.libraries.load());
  r.Bulk("functions_count");
  r.Integer(state.functions.load());
}

void FunctionDumpCommand(CommandContext& ctx) {
  ctx.reply.Bulk(scripting::DumpLibraries(Scripts(ctx).functions().Codes()));
}

// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]
void FunctionRestoreCommand(CommandContext& ctx) {
  if (ctx.args.size() > 4) {
    return ctx.Error("ERR unknown subcommand or wrong number of arguments for '" +
                     std::string(CStr(ctx.args[1])) + "'. Try FUNCTION HELP.");
  }
  std::string policy = "append";
  if (ctx.args.size() == 4) {
    policy = Lowercase(ctx.args[3]);
    if (policy != "flush" && policy != "append" && policy != "replace") {
      return ctx.Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or "
                       "REPLACE.");
    }
  }
  std::vector<std::string> codes;
  if (!scripting::ParseDump(ctx.args[2], &codes)) {
    return ctx.Error("ERR DUMP payload version or checksum are wrong");
  }
  std::string error = Scripts(ctx).functions().Restore(codes, policy);
  if (!error.empty()) return ctx.Error(error);
  ctx.reply.Ok();
}

void FunctionHelpCommand(CommandContext& ctx) {
  ReplyHelp(ctx, {
      "LOAD [REPLACE] <FUNCTION CODE>",
      "    Create a new library with the given library name and code.",
      "DELETE <LIBRARY NAME>",
      "    Delete the given library.",
      "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
      "    Return general information on all the libraries:",
      "    * Library name",
      "    * The engine used to run the Library",
      "    * Library description",
      "    * Functions list",
      "    * Library code (if WITHCODE is given)",
      "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
      "STATS",
      "    Return information about the current function running:",
      "    * Function name",
      "    * Command used to run the function",
      "    * Duration in MS that the function is running",
      "    If no function is running, return nil",
      "    In addition, returns a list of available engines.",
      "KILL",
      "    Kill the current running function.",
      "FLUSH [ASYNC|SYNC]",
      "    Delete all the libraries.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the libraries.",
      "    * SYNC: Synchronously flush the libraries.",
      "DUMP",
      "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
      "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
      "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
      "    control how to handle existing libraries (default APPEND):",
      "    * FLUSH: delete all existing libraries.",
      "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
      "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
      "      libraries with the new libraries (notice that even on this option there is a chance of failure",
      "      in case of functions name collision with another library).",
  });
}

}  // namespace

void RegisterScriptingCommands(CommandTable& table) {
  // Scripts run exclusively (see the file comment); their keys need no shard locks.
  constexpr uint32_t kEval =
      kNoscript | kSkipMonitor | kMayReplicate | kStale | kNoMandatoryKeys | kExclusive;
  // KEYS follow numkeys (argument 2); Redis notes on EVAL, EVAL_RO, FCALL and FCALL_RO's key
  // specs (not on EVALSHA's) that their use is unknown.
  constexpr const char* kRwNotes =
      "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE";
  constexpr const char* kRoNotes =
      "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS";
  table.Add({"eval", -3, kEval, 0, 0, 0, EvalCommand, "scripting",
             "Execute a Lua script server side", "2.6.0", "Depends on the script that is executed.",
             "slow scripting", nullptr, "RW access update", 2, kRwNotes});
  table.Add({"evalsha", -3, kEval, 0, 0, 0, EvalShaCommand, "scripting",
             "Execute a Lua script server side", "2.6.0", "Depends on the script that is executed.",
             "slow scripting", nullptr, "RW access update", 2});
  table.Add({"eval_ro", -3, kEval | kReadonly, 0, 0, 0, EvalRoCommand, "scripting",
             "Execute a read-only Lua script server side", "7.0.0",
             "Depends on the script that is executed.", "slow scripting", nullptr, "RO access", 2,
             kRoNotes});
  table.Add({"evalsha_ro", -3, kEval | kReadonly, 0, 0, 0, EvalShaRoCommand, "scripting",
             "Execute a read-only Lua script server side", "7.0.0",
             "Depends on the script that is executed.", "slow scripting", nullptr, "RO access", 2});
  table.Add({"fcall", -3, kEval, 0, 0, 0, FcallCommand, "scripting",
             "Invoke a function", "7.0.0", "Depends on the function that is executed.",
             "slow scripting", nullptr, "RW access update", 2, kRwNotes});
  table.Add({"fcall_ro", -3, kEval | kReadonly, 0, 0, 0, FcallRoCommand, "scripting",
             "Invoke a read-only function", "7.0.0", "Depends on the function that is executed.",
             "slow scripting", nullptr, "RO access", 2, kRoNotes});

  table.Add({"script", -2, kNoKeyspace, 0, 0, 0, ContainerCommand, "scripting",
             "A container for Lua scripts management commands", "2.6.0",
             "Depends on subcommand.", "slow"});
  auto script = [&table](const CommandSpec& spec) { table.AddSubcommand("script", spec); };
  script({"script|load", 3, kNoscript | kStale | kExclusive, 0, 0, 0, ScriptLoadCommand,
          "scripting", "Load a Lua script into the scripts cache", "2.6.0",
          "O(N) with N being the length in bytes of the script body.", "slow scripting"});
  script({"script|exists", -3, kNoscript | kExclusive, 0, 0, 0, ScriptExistsCommand,
          "scripting", "Check existence of scripts in the script cache.", "2.6.0",
          "O(N) with N being the number of scripts to check (so checking a single script is an "
          "O(1) operation).",
          "slow scripting", "request_policy:all_shards response_policy:agg_logical_and"});
  script({"script|flush", -2, kNoscript | kExclusive, 0, 0, 0, ScriptFlushCommand, "scripting",
          "Remove all the scripts from the script cache.", "2.6.0",
          "O(N) with N being the number of scripts in cache", "slow scripting",
          "request_policy:all_nodes response_policy:all_succeeded"});
  script({"script|kill", 2, kNoscript | kAllowBusy | kNoKeyspace, 0, 0, 0, ScriptKillCommand,
          "scripting", "Kill the script currently in execution.", "2.6.0", "O(1)",
          "slow scripting", "request_policy:all_shards response_policy:one_succeeded"});
  script({"script|help", 2, kLoading | kStale | kNoKeyspace, 0, 0, 0, ScriptHelpCommand,
          "scripting", "Show helpful text about the different subcommands", "5.0.0", "O(1)",
          "slow scripting"});

  table.Add({"function", -2, kNoKeyspace, 0, 0, 0, ContainerCommand, "scripting",
             "A container for function commands", "7.0.0", "Depends on subcommand.", "slow"});
  auto fn = [&table](const CommandSpec& spec) { table.AddSubcommand("function", spec); };
  fn({"function|load", -3, kWrite | kDenyOom | kNoscript | kMayReplicate | kExclusive, 0, 0, 0,
      FunctionLoadCommand, "scripting", "Create a function with the given arguments (name, code, "
      "description)", "7.0.0", "O(1) (considering compilation time is redundant)",
      "write slow scripting", "request_policy:all_shards response_policy:all_succeeded"});
  fn({"function|delete", 3, kWrite | kNoscript | kMayReplicate | kExclusive, 0, 0, 0,
      FunctionDeleteCommand, "scripting", "Delete a function by name", "7.0.0", "O(1)",
      "write slow scripting", "request_policy:all_shards response_policy:all_succeeded"});
  fn({"function|flush", -2, kWrite | kNoscript | kMayReplicate | kExclusive, 0, 0, 0,
      FunctionFlushCommand, "scripting", "Deleting all functions", "7.0.0",
      "O(N) where N is the number of functions deleted", "write slow scripting",
      "request_policy:all_shards response_policy:all_succeeded"});
  fn({"function|list", -2, kNoscript | kExclusive, 0, 0, 0, FunctionListCommand, "scripting",
      "List information about all the functions", "7.0.0", "O(N) where N is the number of "
      "functions", "slow scripting", "nondeterministic_output_order"});
  fn({"function|stats", 2, kNoscript | kAllowBusy | kNoKeyspace, 0, 0, 0, FunctionStatsCommand,
      "scripting", "Return information about the function currently running (name, "
      "description, duration)", "7.0.0", "O(1)", "slow scripting",
      "nondeterministic_output request_policy:all_shards response_policy:special"});
  fn({"function|kill", 2, kNoscript | kAllowBusy | kNoKeyspace, 0, 0, 0, FunctionKillCommand,
      "scripting", "Kill the function currently in execution.", "7.0.0", "O(1)",
      "slow scripting", "request_policy:all_shards response_policy:one_succeeded"});
  fn({"function|dump", 2, kNoscript | kExclusive, 0, 0, 0, FunctionDumpCommand, "scripting",
      "Dump all functions into a serialized binary payload", "7.0.0",
      "O(N) where N is the number of functions", "slow scripting"});
  fn({"function|restore", -3, kWrite | kDenyOom | kNoscript | kMayReplicate | kExclusive, 0, 0,
      0, FunctionRestoreCommand, "scripting", "Restore all the functions on the given payload",
      "7.0.0", "O(N) where N is the number of functions on the payload", "write slow scripting",
      "request_policy:all_shards response_policy:all_succeeded"});
  fn({"function|help", 2, kLoading | kStale | kNoKeyspace, 0, 0, 0, FunctionHelpCommand,
      "scripting", "Show helpful text about the different subcommands", "7.0.0", "O(1)",
      "slow scripting"});
}

}  // namespace stash::server
