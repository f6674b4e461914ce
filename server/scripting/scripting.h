// Scripting as a whole: the EVAL engine and its script cache, the FUNCTION libraries, and
// running either as one atomic unit. Owned by ServerState; every method is called under the
// exclusive ExecLock (the scripting commands are kExclusive), except where noted.
#ifndef STASH_SERVER_SCRIPTING_SCRIPTING_H_
#define STASH_SERVER_SCRIPTING_SCRIPTING_H_

#include <memory>
#include <string>
#include <unordered_map>

#include "server/scripting/functions.h"
#include "server/scripting/lua_engine.h"
#include "server/scripting/script_state.h"

namespace stash::server {
class CommandContext;
}

namespace stash::server::scripting {

struct CachedScript {
  std::string body;
  int ref = LUA_NOREF;
  bool no_writes = false;  // "#!lua flags=no-writes"
};

class Scripting {
 public:
  explicit Scripting(ScriptRunState& state);

  // EVAL / EVALSHA / EVAL_RO / EVALSHA_RO. args[1] is the body or the sha.
  void Eval(CommandContext& ctx, bool by_sha, bool read_only);
  // FCALL / FCALL_RO.
  void Fcall(CommandContext& ctx, bool read_only);

  // SCRIPT LOAD: the sha, or "" with *error set.
  std::string LoadScript(std::string_view body, std::string* error);
  bool ScriptExists(std::string_view sha) const;
  void FlushScripts();

  FunctionRegistry& functions() { return functions_; }

 private:
  // Finds or compiles body; nullptr with *error on failure.
  const CachedScript* Compile(std::string_view body, const std::string& sha, std::string* error);
  void UpdateStats();

  ScriptRunState& state_;
  std::unique_ptr<LuaEngine> eval_engine_;
  std::unordered_map<std::string, CachedScript> scripts_;  // by sha
  FunctionRegistry functions_;
};

}  // namespace stash::server::scripting

#endif  // STASH_SERVER_SCRIPTING_SCRIPTING_H_
