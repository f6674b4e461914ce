#include "server/scripting/scripting.h"

#include <cctype>
#include <chrono>

#include "protocol/numbers.h"
#include "server/clock.h"
#include "server/command_context.h"
#include "server/scripting/sha1.h"

namespace stash::server::scripting {
namespace {

// Parses "#!lua [flags=a,b]" at the start of an EVAL body (Redis 7). Returns the error text or "".
std::string ParseShebang(std::string_view body, bool* no_writes) {
  *no_writes = false;
  if (body.substr(0, 2) != "#!") return "";
  size_t eol = body.find('\n');
  std::string_view line = body.substr(0, eol);
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos < line.size()) {
    size_t end = line.find(' ', pos);
    if (end == std::string_view::npos) end = line.size();
    if (end > pos) parts.push_back(line.substr(pos, end - pos));
    pos = end + 1;
  }
  if (parts.empty() || parts[0] != "#!lua") {
    return "ERR Unexpected engine in script shebang: " +
           std::string(parts.empty() ? line : parts[0]);
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string_view p = parts[i];
    if (p.substr(0, 6) != "flags=") return "ERR Unknown lua shebang option: " + std::string(p);
    p.remove_prefix(6);
    size_t start = 0;
    while (start <= p.size()) {
      size_t comma = p.find(',', start);
      if (comma == std::string_view::npos) comma = p.size();
      std::string_view flag = p.substr(start, comma - start);
      if (flag == "no-writes") {
        *no_writes = true;
      } else if (flag != "allow-oom" && flag != "allow-stale" && flag != "no-cluster" &&
                 flag != "allow-cross-slot-keys" && !flag.empty()) {
        return "ERR Unexpected flag in script shebang: " + std::string(flag);
      }
      start = comma + 1;
    }
  }
  return "";
}

// Marks a script as running for the other threads (BUSY, SCRIPT KILL) for its lifetime.
class RunningScope {
 public:
  RunningScope(ScriptRunState& state, bool is_eval, const std::string& name,
               const std::vector<std::string_view>& argv)
      : state_(state) {
    {
      std::lock_guard<std::mutex> lock(state.mu);
      state.name = name;
      state.command.assign(argv.begin(), argv.end());
      state.wrote = false;
      state.force_kill = false;
      state.kill_requested.store(false);
    }
    state.is_eval.store(is_eval);
    state.started_ms.store(SteadyMs());
  }
  ~RunningScope() {
    state_.started_ms.store(0);
    state_.kill_requested.store(false);
  }

 private:
  ScriptRunState& state_;
};

void PrepareRun(CommandContext& ctx, RunContext* run) {
  run->server = &ctx.server;
  run->dispatcher = ctx.dispatcher;
  run->client.db = ctx.client.db;
  run->client.authenticated = true;
  run->client.resp3 = false;
}

}  // namespace

Scripting::Scripting(ScriptRunState& state)
    : state_(state),
      eval_engine_(std::make_unique<LuaEngine>(state, /*functions=*/false)),
      functions_(state) {
  UpdateStats();
}

void Scripting::UpdateStats() {
  int64_t bytes = 0;
  for (const auto& [sha, script] : scripts_) bytes += static_cast<int64_t>(script.body.size());
  state_.cached_scripts.store(static_cast<int64_t>(scripts_.size()));
  state_.cached_scripts_bytes.store(bytes);
  state_.lua_eval_bytes.store(eval_engine_->memory());
}

const CachedScript* Scripting::Compile(std::string_view body, const std::string& sha,
                                       std::string* error) {
  auto it = scripts_.find(sha);
  if (it != scripts_.end()) return &it->second;
  CachedScript script;
  std::string shebang_error = ParseShebang(body, &script.no_writes);
  if (!shebang_error.empty()) {
    *error = shebang_error;
    return nullptr;
  }
  std::string code(body);
  // The shebang stays as a comment so line numbers match the script as given.
  if (code.compare(0, 2, "#!") == 0) code[0] = code[1] = '-';
  std::string lua_error;
  script.ref = eval_engine_->Load(code, "@user_script", &lua_error);
  if (script.ref == LUA_NOREF) {
    *error = "ERR Error compiling script (new function): " + lua_error;
    return nullptr;
  }
  script.body.assign(body);
  auto [pos, inserted] = scripts_.emplace(sha, std::move(script));
  UpdateStats();
  return &pos->second;
}

std::string Scripting::LoadScript(std::string_view body, std::string* error) {
  std::string sha = Sha1Hex(body);
  return Compile(body, sha, error) ? sha : std::string();
}

bool Scripting::ScriptExists(std::string_view sha) const {
  std::string lower(sha);
  for (char& c : lower) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return scripts_.count(lower) > 0;
}

void Scripting::FlushScripts() {
  scripts_.clear();
  eval_engine_ = std::make_unique<LuaEngine>(state_, /*functions=*/false);
  UpdateStats();
}

// Keys and args after "numkeys"; false (error replied) when numkeys is bad.
static bool SplitKeysArgs(CommandContext& ctx, bool fcall, std::vector<std::string_view>* keys,
                          std::vector<std::string_view>* args) {
  int64_t numkeys;
  if (!protocol::StringToInt64(ctx.args[2], &numkeys)) {
    ctx.Error(fcall ? "ERR Bad number of keys provided" : "ERR value is not an integer or out of range");
    return false;
  }
  if (numkeys > static_cast<int64_t>(ctx.args.size()) - 3) {
    ctx.Error("ERR Number of keys can't be greater than number of args");
    return false;
  }
  if (numkeys < 0) {
    ctx.Error("ERR Number of keys can't be negative");
    return false;
  }
  keys->assign(ctx.args.begin() + 3, ctx.args.begin() + 3 + numkeys);
  args->assign(ctx.args.begin() + 3 + numkeys, ctx.args.end());
  return true;
}

void Scripting::Eval(CommandContext& ctx, bool by_sha, bool read_only) {
  std::vector<std::string_view> keys, args;
  if (!SplitKeysArgs(ctx, false, &keys, &args)) return;
  const CachedScript* script = nullptr;
  std::string sha;
  if (by_sha) {
    sha.assign(ctx.args[1]);
    for (char& c : sha) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    auto it = sha.size() == 40 ? scripts_.find(sha) : scripts_.end();
    if (it == scripts_.end()) return ctx.Error("NOSCRIPT No matching script. Please use EVAL.");
    script = &it->second;
  } else {
    sha = Sha1Hex(ctx.args[1]);
    std::string error;
    script = Compile(ctx.args[1], sha, &error);
    if (script == nullptr) return ctx.Error(error);
  }
  RunContext run;
  PrepareRun(ctx, &run);
  run.name = sha;
  run.read_only = read_only || script->no_writes;
  size_t mark = ctx.reply.buffer()->size();
  {
    RunningScope running(state_, /*is_eval=*/true, sha, ctx.args);
    eval_engine_->Call(run, script->ref, /*eval_mode=*/true, keys, args, ctx.reply);
  }
  if (ctx.reply.buffer()->size() > mark && (*ctx.reply.buffer())[mark] == '-') ctx.failed = true;
  state_.lua_eval_bytes.store(eval_engine_->memory());
}

void Scripting::Fcall(CommandContext& ctx, bool read_only) {
  std::vector<std::string_view> keys, args;
  std::string name(ctx.args[1]);
  const Library* library = nullptr;
  const FunctionInfo* fn = functions_.Find(name, &library);
  if (fn == nullptr) return ctx.Error("ERR Function not found");
  if (!SplitKeysArgs(ctx, true, &keys, &args)) return;
  bool no_writes = false;
  for (const std::string& f : fn->flags) no_writes = no_writes || f == "no-writes";
  if (read_only && !no_writes) {
    return ctx.Error("ERR Can not execute a script with write flag using *_ro command.");
  }
  RunContext run;
  PrepareRun(ctx, &run);
  run.name = name;
  run.read_only = read_only || no_writes;
  size_t mark = ctx.reply.buffer()->size();
  {
    RunningScope running(state_, /*is_eval=*/false, name, ctx.args);
    functions_.engine().Call(run, fn->ref, /*eval_mode=*/false, keys, args, ctx.reply);
  }
  if (ctx.reply.buffer()->size() > mark && (*ctx.reply.buffer())[mark] == '-') ctx.failed = true;
  state_.lua_functions_bytes.store(functions_.engine().memory());
}

}  // namespace stash::server::scripting
