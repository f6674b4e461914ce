#include "server/scripting/lua_engine.h"

#include <cstdlib>
#include <cstring>

#include "server/dispatcher.h"
#include "server/scripting/conversions.h"
#include "server/scripting/redis_lib.h"

extern "C" {
#include <lauxlib.h>
#include <lualib.h>
int luaopen_cjson(lua_State* L);
int luaopen_bit(lua_State* L);
}

namespace stash::server::scripting {
namespace {

// Redis's error handler, kept as a global of that name as Redis has it: it turns whatever a
// script raised into {err=..., source=..., line=...}, naming the script's line rather than the
// C function (redis.call, error) that raised.
constexpr const char* kErrorHandler =
    "local dbg = debug\n"
    "function __redis__err__handler(err)\n"
    "  local i = dbg.getinfo(2,'nSl')\n"
    "  if i and i.what == 'C' then\n"
    "    i = dbg.getinfo(3,'nSl')\n"
    "  end\n"
    "  if type(err) ~= 'table' then\n"
    "    err = {err='ERR ' .. tostring(err)}\n"
    "  end\n"
    "  if i then\n"
    "    err['source'] = i.source\n"
    "    err['line'] = i.currentline\n"
    "  end\n"
    "  return err\n"
    "end\n";

// Globals Redis 7.0 does not give scripts.
constexpr const char* kRemovedGlobals[] = {"print",   "dofile", "loadfile", "getfenv",
                                           "setfenv", "newproxy", "module", "require"};
// Library tables scripts may read but not change.
constexpr const char* kProtectedLibraries[] = {"redis", "string", "math",     "table",
                                               "cjson", "bit",    "cmsgpack", "struct",
                                               "coroutine"};

const char kProtectedKey = 0;  // registry key (its address) of the weak set of protected tables

// Raises msg at the position of the Lua code that triggered the metamethod.
int RaiseAt(lua_State* L, const char* msg) {
  luaL_where(L, 1);
  lua_pushstring(L, msg);
  lua_concat(L, 2);
  return lua_error(L);
}

int ReadOnlyNewIndex(lua_State* L) { return RaiseAt(L, "Attempt to modify a readonly table"); }

int NonexistentGlobal(lua_State* L) {
  luaL_where(L, 1);
  lua_pushstring(L, "Script attempted to access nonexistent global variable '");
  lua_pushvalue(L, 2);
  lua_pushstring(L, "'");
  lua_concat(L, 4);
  return lua_error(L);
}

bool IsProtected(lua_State* L, int index) {
  lua_pushlightuserdata(L, const_cast<char*>(&kProtectedKey));
  lua_rawget(L, LUA_REGISTRYINDEX);
  lua_pushvalue(L, index);
  lua_rawget(L, -2);
  bool yes = lua_toboolean(L, -1);
  lua_pop(L, 2);
  return yes;
}

// rawset that refuses protected tables, as Redis's read-only tables do.
int GuardedRawset(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  luaL_checkany(L, 3);
  if (IsProtected(L, 1)) {
    lua_pushstring(L, "Attempt to modify a readonly table");
    return lua_error(L);
  }
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 1;
}

void Hook(lua_State* L, lua_Debug*) {
  LuaEngine* engine = LuaEngine::Of(L);
  if (!engine->state().kill_requested.load(std::memory_order_relaxed)) {
    // Past busy-reply-threshold the worker's other clients are served from here (they get
    // BUSY, or may kill this script), as Redis does from its own hook.
    RunContext* run = engine->run();
    if (run != nullptr && run->dispatcher != nullptr) run->dispatcher->PollWhileScriptBusy();
    if (!engine->state().kill_requested.load(std::memory_order_relaxed)) return;
  }
  // From now on on every line, so a pcall in the script cannot swallow the kill for good.
  lua_sethook(L, Hook, LUA_MASKLINE, 0);
  PushErrorTable(L, "Script killed by user with SCRIPT KILL...");
  lua_error(L);
}

// t[name] of the table on top, without metamethods: this runs outside any protected call, where
// an erroring __index would abort the process.
void RawGetField(lua_State* L, const char* name) {
  lua_pushstring(L, name);
  lua_rawget(L, -2);
}

void OpenLibrary(lua_State* L, const char* name, lua_CFunction open) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
  // Modules such as cjson return their table without setting the global.
  if (name[0] != '\0' && lua_istable(L, -1)) {
    lua_setglobal(L, name);
  } else {
    lua_pop(L, 1);
  }
}

void PushStringArray(lua_State* L, const std::vector<std::string_view>& items) {
  lua_createtable(L, static_cast<int>(items.size()), 0);
  for (size_t j = 0; j < items.size(); ++j) {
    lua_pushlstring(L, items[j].data(), items[j].size());
    lua_rawseti(L, -2, static_cast<int>(j + 1));
  }
}

}  // namespace

void PushReadOnlyProxy(lua_State* L) {
  // stack: table
  lua_newtable(L);  // proxy
  lua_newtable(L);  // its metatable
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadOnlyNewIndex);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");  // getmetatable() cannot reach the real table
  lua_setmetatable(L, -2);
  lua_replace(L, -2);
  // Remember the proxy so the guarded rawset refuses it too.
  lua_pushlightuserdata(L, const_cast<char*>(&kProtectedKey));
  lua_rawget(L, LUA_REGISTRYINDEX);
  lua_pushvalue(L, -2);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

void* LuaEngine::Alloc(void* ud, void* ptr, size_t osize, size_t nsize) {
  auto* engine = static_cast<LuaEngine*>(ud);
  engine->memory_ += static_cast<int64_t>(nsize) - static_cast<int64_t>(ptr ? osize : 0);
  if (nsize == 0) {
    free(ptr);
    return nullptr;
  }
  return realloc(ptr, nsize);
}

LuaEngine* LuaEngine::Of(lua_State* L) {
  void* ud = nullptr;
  lua_getallocf(L, &ud);
  return static_cast<LuaEngine*>(ud);
}

LuaEngine::LuaEngine(ScriptRunState& state, bool functions) : state_(state) {
  L_ = lua_newstate(Alloc, this);
  lua_State* L = L_;
  lua_pushlightuserdata(L, const_cast<char*>(&kProtectedKey));
  lua_newtable(L);
  lua_newtable(L);
  lua_pushstring(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_rawset(L, LUA_REGISTRYINDEX);

  OpenLibrary(L, "", luaopen_base);
  OpenLibrary(L, LUA_TABLIBNAME, luaopen_table);
  OpenLibrary(L, LUA_STRLIBNAME, luaopen_string);
  OpenLibrary(L, LUA_MATHLIBNAME, luaopen_math);
  OpenLibrary(L, LUA_DBLIBNAME, luaopen_debug);
  OpenLibrary(L, "cjson", luaopen_cjson);
  OpenLibrary(L, "bit", luaopen_bit);
  OpenLibrary(L, "struct", OpenStructLibrary);
  OpenLibrary(L, "cmsgpack", OpenCmsgpackLibrary);
  RegisterRedisLib(L, functions);
  for (const char* name : kRemovedGlobals) {
    lua_pushnil(L);
    lua_setglobal(L, name);
  }
  lua_pushcfunction(L, GuardedRawset);
  lua_setglobal(L, "rawset");
  luaL_dostring(L, kErrorHandler);
  lua_pushnil(L);
  lua_setglobal(L, "debug");
  Protect();
}

void LuaEngine::Protect() {
  lua_State* L = L_;
  lua_pushvalue(L, LUA_GLOBALSINDEX);  // the real globals
  for (const char* name : kProtectedLibraries) {
    lua_getfield(L, -1, name);
    if (lua_istable(L, -1)) {
      PushReadOnlyProxy(L);
      lua_setfield(L, -2, name);
    } else {
      lua_pop(L, 1);
    }
  }
  // Unknown globals raise instead of reading as nil.
  lua_newtable(L);
  lua_pushcfunction(L, NonexistentGlobal);
  lua_setfield(L, -2, "__index");
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, "stash_nonexistent_mt");  // also for FUNCTION LOAD's env
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  real_globals_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
  // Scripts see a read-only proxy of the globals, also as _G. getmetatable(_G) gives a table,
  // as Redis's (whose _G has a metatable), but not the one that guards it.
  PushReadOnlyProxy(L);
  lua_getmetatable(L, -1);
  lua_newtable(L);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, real_globals_ref_);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "_G");
  lua_pop(L, 1);
  lua_replace(L, LUA_GLOBALSINDEX);
}

LuaEngine::~LuaEngine() {
  if (L_ != nullptr) lua_close(L_);
}

void LuaEngine::SetRawGlobal(const char* name) {
  lua_rawgeti(L_, LUA_REGISTRYINDEX, real_globals_ref_);
  lua_insert(L_, -2);
  lua_setfield(L_, -2, name);
  lua_pop(L_, 1);
}

int LuaEngine::Load(std::string_view code, const char* chunkname, std::string* error) {
  if (luaL_loadbuffer(L_, code.data(), code.size(), chunkname) != 0) {
    *error = lua_tostring(L_, -1) ? lua_tostring(L_, -1) : "unknown error";
    lua_pop(L_, 1);
    return LUA_NOREF;
  }
  return luaL_ref(L_, LUA_REGISTRYINDEX);
}

void LuaEngine::Unref(int ref) { luaL_unref(L_, LUA_REGISTRYINDEX, ref); }

void LuaEngine::Call(RunContext& run, int ref, bool eval_mode,
                     const std::vector<std::string_view>& keys,
                     const std::vector<std::string_view>& args, protocol::ReplyBuilder& reply) {
  lua_State* L = L_;
  run_ = &run;
  lua_getglobal(L, "__redis__err__handler");
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  lua_sethook(L, Hook, LUA_MASKCOUNT, 100000);
  PushStringArray(L, keys);
  if (eval_mode) SetRawGlobal("KEYS");
  PushStringArray(L, args);
  if (eval_mode) SetRawGlobal("ARGV");
  int err = eval_mode ? lua_pcall(L, 0, 1, -2) : lua_pcall(L, 2, 1, -4);

  // A small collection step now and then, instead of a full cycle at a bad moment (as Redis).
  static thread_local int gc_count = 0;
  if (++gc_count == 50) {
    lua_gc(L, LUA_GCSTEP, 50);
    gc_count = 0;
  }

  if (err != 0) {
    if (!lua_istable(L, -1)) {
      std::string msg = lua_isstring(L, -1) ? lua_tostring(L, -1) : "execution failure";
      reply.Error("ERR Error running script " + run.name + ", " + msg.substr(0, 100) + "\n");
    } else {
      std::string msg, source, line;
      RawGetField(L, "err");
      if (lua_isstring(L, -1)) msg = lua_tostring(L, -1);
      lua_pop(L, 1);
      RawGetField(L, "source");
      bool has_source = lua_isstring(L, -1);
      if (has_source) source = lua_tostring(L, -1);
      lua_pop(L, 1);
      RawGetField(L, "line");
      bool has_line = lua_isstring(L, -1);
      if (has_line) line = lua_tostring(L, -1);
      lua_pop(L, 1);
      if (has_source && has_line) {
        msg += " script: " + run.name + ", on " + source + ":" + line + ".";
      }
      reply.Error(msg);
    }
    lua_pop(L, 1);
  } else {
    WriteLuaValue(L, reply, run.client.resp3);
  }
  lua_pop(L, 1);  // the error handler
  lua_sethook(L, nullptr, 0, 0);
  run_ = nullptr;
}

}  // namespace stash::server::scripting
