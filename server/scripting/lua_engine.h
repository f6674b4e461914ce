// One Lua 5.1 interpreter set up as Redis sets up its own: the libraries scripts expect (base,
// table, string, math, cjson, bit, struct, cmsgpack), the redis.* API, Redis's error handler and
// a sandbox (no os/io/loadfile/dofile/print, read-only globals and library tables, errors for
// unknown globals). EVAL scripts and FUNCTION libraries each get their own engine, as in Redis 7.
//
// An engine is used only under the exclusive ExecLock (every scripting command that touches
// it runs exclusively), so it needs no lock of its own.
#ifndef STASH_SERVER_SCRIPTING_LUA_ENGINE_H_
#define STASH_SERVER_SCRIPTING_LUA_ENGINE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"
#include "server/client_state.h"
#include "server/scripting/script_state.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

namespace stash::server {
class Dispatcher;
struct ServerState;
}  // namespace stash::server

namespace stash::server::scripting {

// The script being run: who runs it and as which client its redis.call commands run.
struct RunContext {
  ServerState* server = nullptr;
  Dispatcher* dispatcher = nullptr;
  ClientState client;    // Redis's script client: its own db (SELECT stays inside), own RESP
  std::string name;      // the sha (EVAL) or the function name (FCALL), for error messages
  bool read_only = false;  // EVAL_RO / FCALL_RO / no-writes: write commands are refused
  bool allow_oom = false;
};

class LuaEngine {
 public:
  LuaEngine(ScriptRunState& state, bool functions);
  ~LuaEngine();
  LuaEngine(const LuaEngine&) = delete;
  LuaEngine& operator=(const LuaEngine&) = delete;

  lua_State* L() { return L_; }
  ScriptRunState& state() { return state_; }
  RunContext* run() { return run_; }
  // Bytes the interpreter holds (used_memory_lua).
  int64_t memory() const { return memory_; }
  static LuaEngine* Of(lua_State* L);

  // Compiles code as a chunk named chunkname; returns a registry reference to the function,
  // or LUA_NOREF with Lua's message in *error.
  int Load(std::string_view code, const char* chunkname, std::string* error);
  void Unref(int ref);

  // Runs the function held at ref. EVAL mode sets the KEYS and ARGV globals and calls it with no
  // argument; function mode passes the two tables as arguments. The result (or the error, in
  // Redis's "... script: NAME, on SOURCE:LINE." form) goes to reply.
  void Call(RunContext& run, int ref, bool eval_mode, const std::vector<std::string_view>& keys,
            const std::vector<std::string_view>& args, protocol::ReplyBuilder& reply);

  // Sets t["name"] on the real (unprotected) table behind a protected one: used while setting
  // up, before scripts run.
  void SetRawGlobal(const char* name);  // pops the value

 private:
  static void* Alloc(void* ud, void* ptr, size_t osize, size_t nsize);
  void Protect();

  ScriptRunState& state_;
  lua_State* L_ = nullptr;
  RunContext* run_ = nullptr;
  int64_t memory_ = 0;
  int real_globals_ref_ = LUA_NOREF;
};

// Pushes a read-only proxy of the table on top in its place: reads go to the table, writes
// raise Redis's "Attempt to modify a readonly table".
void PushReadOnlyProxy(lua_State* L);

}  // namespace stash::server::scripting

#endif  // STASH_SERVER_SCRIPTING_LUA_ENGINE_H_
