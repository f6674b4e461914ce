#include "server/scripting/redis_lib.h"

#include <cmath>
#include <cstdio>
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/reply_reader.h"
#include "server/command_context.h"
#include "server/dispatcher.h"
#include "server/logging.h"
#include "server/scripting/conversions.h"
#include "server/scripting/functions.h"
#include "server/scripting/lua_engine.h"
#include "server/scripting/sha1.h"

extern "C" {
#include <lauxlib.h>
}

namespace stash::server::scripting {
namespace {

// Runs one command for redis.call / redis.pcall and pushes its reply (or an error table).
// Returns true when what it pushed is an error. Plain C++ with no Lua error inside, so every
// destructor has run before the caller raises (Lua errors are longjmps).
bool RunCommandFromScript(lua_State* L) {
  RunContext* run = LuaEngine::Of(L)->run();
  if (run == nullptr) {
    PushErrorTable(L, "redis.call/pcall can only be called inside a script invocation");
    return true;
  }
  int argc = lua_gettop(L);
  if (argc == 0) {
    PushErrorTable(L, "Please specify at least one argument for this redis lib call");
    return true;
  }
  std::vector<std::string> argv;
  argv.reserve(argc);
  for (int j = 1; j <= argc; ++j) {
    if (lua_type(L, j) == LUA_TNUMBER) {
      // Not lua_tolstring: Lua prints numbers with "%.14g" and loses precision.
      char buf[64];
      int n = snprintf(buf, sizeof(buf), "%.17g", static_cast<double>(lua_tonumber(L, j)));
      argv.emplace_back(buf, n);
    } else {
      size_t len;
      const char* s = lua_tolstring(L, j, &len);
      if (s == nullptr) break;
      argv.emplace_back(s, len);
    }
  }
  lua_pop(L, argc);
  if (static_cast<int>(argv.size()) != argc) {
    PushErrorTable(L, "Lua redis lib command arguments must be strings or integers");
    return true;
  }
  std::vector<std::string_view> args(argv.begin(), argv.end());
  std::string ignored;
  const Command* cmd = Dispatcher::Resolve(args, &ignored);
  if (cmd == nullptr) {
    PushErrorTable(L, "Unknown Redis command called from script");
    return true;
  }
  int arity = cmd->spec.arity;
  if ((arity > 0 && static_cast<int>(args.size()) != arity) ||
      static_cast<int>(args.size()) < -arity) {
    PushErrorTable(L, "Wrong number of args calling Redis command from script");
    return true;
  }
  if (cmd->spec.flags & kNoscript) {
    PushErrorTable(L, "This Redis command is not allowed from script");
    return true;
  }
  ScriptRunState& state = LuaEngine::Of(L)->state();
  if (cmd->spec.flags & kWrite) {
    if (run->read_only) {
      PushErrorTable(L, "Write commands are not allowed from read-only scripts.");
      return true;
    }
    // Once a script writes it may no longer be killed (SCRIPT KILL answers UNKILLABLE).
    std::lock_guard<std::mutex> lock(state.mu);
    if (state.kill_requested.load()) {
      PushErrorTable(L, "Script killed by user with SCRIPT KILL...");
      return true;
    }
    state.wrote = true;
  }
  std::string out;
  protocol::ReplyBuilder reply(&out);
  reply.set_resp3(run->client.resp3);
  run->dispatcher->RunLocked(run->client, reply, cmd, args, /*exclusive=*/true);
  protocol::ReplyReader reader(out);
  PushReply(L, reader);
  return !out.empty() && out[0] == '-';
}

int RedisCall(lua_State* L) {
  if (RunCommandFromScript(L)) return lua_error(L);
  return 1;
}

int RedisPcallCommand(lua_State* L) {
  RunCommandFromScript(L);
  return 1;
}

// Redis's pcall: an error raised as a table (Redis 7 errors) comes back as its message.
int Pcall(lua_State* L) {
  int argc = lua_gettop(L);
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) != 0) {
    lua_remove(L, 1);
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1)) {
        lua_replace(L, -2);
      } else {
        lua_pop(L, 1);
      }
    }
    lua_pushboolean(L, 0);
    lua_insert(L, 1);
  }
  return lua_gettop(L);
}

int RaiseError(lua_State* L, const char* msg) {
  PushErrorTable(L, msg);
  return lua_error(L);
}

int Sha1hex(lua_State* L) {
  if (lua_gettop(L) != 1) return RaiseError(L, "wrong number of arguments");
  size_t len = 0;
  const char* s = lua_tolstring(L, 1, &len);
  std::string digest = Sha1Hex(std::string_view(s ? s : "", s ? len : 0));
  lua_pushstring(L, digest.c_str());
  return 1;
}

int SingleFieldTable(lua_State* L, const char* field) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    PushErrorTable(L, "wrong number or type of arguments");
    return 1;
  }
  lua_newtable(L);
  lua_pushstring(L, field);
  lua_pushvalue(L, -3);
  lua_settable(L, -3);
  return 1;
}

int StatusReply(lua_State* L) { return SingleFieldTable(L, "ok"); }

int ErrorReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    PushErrorTable(L, "wrong number or type of arguments");
    return 1;
  }
  std::string err = lua_tostring(L, -1);
  if (err.empty() || err[0] != '-') err = "-" + err;
  PushErrorTable(L, err);
  return 1;
}

int Log(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc < 2) return RaiseError(L, "redis.log() requires two arguments or more.");
  if (!lua_isnumber(L, -argc)) return RaiseError(L, "First argument must be a number (log level).");
  int level = static_cast<int>(lua_tonumber(L, -argc));
  if (level < 0 || level > 3) return RaiseError(L, "Invalid debug level.");
  std::string line;
  for (int j = 1; j < argc; ++j) {
    size_t len;
    const char* s = lua_tolstring(L, (-argc) + j, &len);
    if (s != nullptr) {
      if (j != 1) line += ' ';
      line.append(s, len);
    }
  }
  switch (level) {
    case 0: LogDebug(line); break;
    case 1: LogVerbose(line); break;
    case 2: LogNotice(line); break;
    default: LogWarning(line); break;
  }
  return 0;
}

int SetResp(lua_State* L) {
  RunContext* run = LuaEngine::Of(L)->run();
  if (run == nullptr) return RaiseError(L, "redis.setresp can only be called inside a script invocation");
  if (lua_gettop(L) != 1) return RaiseError(L, "redis.setresp() requires one argument.");
  int resp = static_cast<int>(lua_tonumber(L, -1));
  if (resp != 2 && resp != 3) return RaiseError(L, "RESP version must be 2 or 3.");
  run->client.resp3 = resp == 3;
  return 0;
}

// Stash has no replication: accepted and checked as Redis checks it, then ignored.
int SetRepl(lua_State* L) {
  if (LuaEngine::Of(L)->run() == nullptr) {
    return RaiseError(L, "redis.set_repl can only be called inside a script invocation");
  }
  if (lua_gettop(L) != 1) return RaiseError(L, "redis.set_repl() requires two arguments.");
  int flags = static_cast<int>(lua_tonumber(L, -1));
  if ((flags & ~3) != 0) {
    return RaiseError(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
  }
  return 0;
}

int ReplicateCommands(lua_State* L) {
  lua_pushboolean(L, 1);
  return 1;
}

int Breakpoint(lua_State* L) {
  lua_pushboolean(L, 0);
  return 1;
}

int DebugNoop(lua_State*) { return 0; }

// Redis's rand.c: the 48-bit linear congruential generator of drand48, one sequence for the
// whole server (never reseeded per script), so scripts are deterministic.
uint64_t g_rand_state = 0x1234ABCD330EULL;

int32_t Lrand48() {
  g_rand_state = (0x5DEECE66DULL * g_rand_state + 0xB) & ((1ULL << 48) - 1);
  return static_cast<int32_t>(g_rand_state >> 17);
}

constexpr int32_t kLrand48Max = INT32_MAX;

int MathRandom(lua_State* L) {
  lua_Number r = static_cast<lua_Number>(Lrand48() % kLrand48Max) /
                 static_cast<lua_Number>(kLrand48Max);
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, r);
      break;
    case 1: {
      int u = luaL_checkint(L, 1);
      luaL_argcheck(L, 1 <= u, 1, "interval is empty");
      lua_pushnumber(L, floor(r * u) + 1);
      break;
    }
    case 2: {
      int l = luaL_checkint(L, 1);
      int u = luaL_checkint(L, 2);
      luaL_argcheck(L, l <= u, 2, "interval is empty");
      lua_pushnumber(L, floor(r * (u - l + 1)) + l);
      break;
    }
    default:
      return luaL_error(L, "wrong number of arguments");
  }
  return 1;
}

int MathRandomseed(lua_State* L) {
  int32_t seed = luaL_checkint(L, 1);
  uint64_t low = static_cast<uint32_t>(seed) & 0xffff, high = (static_cast<uint32_t>(seed) >> 16) & 0xffff;
  g_rand_state = 0x330EULL | (low << 16) | (high << 32);
  return 0;
}

void SetFunction(lua_State* L, const char* name, lua_CFunction f) {
  lua_pushcfunction(L, f);
  lua_setfield(L, -2, name);
}

void SetNumber(lua_State* L, const char* name, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, name);
}

}  // namespace

void RegisterRedisLib(lua_State* L, bool functions) {
  lua_pushcfunction(L, Pcall);
  lua_setglobal(L, "pcall");

  lua_newtable(L);
  SetFunction(L, "call", RedisCall);
  SetFunction(L, "pcall", RedisPcallCommand);
  SetFunction(L, "log", Log);
  SetNumber(L, "LOG_DEBUG", 0);
  SetNumber(L, "LOG_VERBOSE", 1);
  SetNumber(L, "LOG_NOTICE", 2);
  SetNumber(L, "LOG_WARNING", 3);
  lua_pushstring(L, "7.0.15");
  lua_setfield(L, -2, "REDIS_VERSION");
  SetNumber(L, "REDIS_VERSION_NUM", 0x0007000f);
  SetFunction(L, "setresp", SetResp);
  SetFunction(L, "sha1hex", Sha1hex);
  SetFunction(L, "error_reply", ErrorReply);
  SetFunction(L, "status_reply", StatusReply);
  SetFunction(L, "set_repl", SetRepl);
  SetNumber(L, "REPL_NONE", 0);
  SetNumber(L, "REPL_AOF", 1);
  SetNumber(L, "REPL_SLAVE", 2);
  SetNumber(L, "REPL_REPLICA", 2);
  SetNumber(L, "REPL_ALL", 3);
  SetFunction(L, "replicate_commands", ReplicateCommands);
  SetFunction(L, "breakpoint", Breakpoint);
  SetFunction(L, "debug", DebugNoop);
  if (functions) SetFunction(L, "register_function", RegisterFunction);
  lua_setglobal(L, "redis");

  lua_getglobal(L, "math");
  SetFunction(L, "random", MathRandom);
  SetFunction(L, "randomseed", MathRandomseed);
  lua_pop(L, 1);
}

}  // namespace stash::server::scripting
