#include "server/scripting/functions.h"

#include <cctype>
#include <cstring>

#include "server/scripting/conversions.h"

extern "C" {
#include <lauxlib.h>
}

namespace stash::server::scripting {
namespace {

// While a library loads, redis.register_function adds to this (nullptr otherwise).
Library* g_loading = nullptr;
std::string* g_load_error = nullptr;

bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

constexpr const char* kKnownFlags[] = {"no-writes", "allow-oom", "allow-stale",
                                       "no-cluster", "allow-cross-slot-keys"};

int RaiseString(lua_State* L, const char* msg) {
  PushErrorTable(L, msg);
  return lua_error(L);
}

// Reads the arguments of register_function into *fn; returns an error text or nullptr.
const char* ReadRegistration(lua_State* L, FunctionInfo* fn) {
  int argc = lua_gettop(L);
  if (argc == 2) {
    if (lua_type(L, 1) != LUA_TSTRING) return "wrong argument given to redis.register_function";
    if (lua_type(L, 2) != LUA_TFUNCTION) return "wrong argument given to redis.register_function";
    fn->name = lua_tostring(L, 1);
    lua_pushvalue(L, 2);
    fn->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return nullptr;
  }
  if (argc != 1 || !lua_istable(L, 1)) return "wrong number of arguments to redis.register_function";
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      lua_pop(L, 2);
      return "named argument key given to redis.register_function is not a string";
    }
    std::string key = lua_tostring(L, -2);
    if (key == "function_name") {
      if (lua_type(L, -1) != LUA_TSTRING) {
        lua_pop(L, 2);
        return "function_name argument given to redis.register_function must be a string";
      }
      fn->name = lua_tostring(L, -1);
    } else if (key == "description") {
      if (lua_type(L, -1) != LUA_TSTRING) {
        lua_pop(L, 2);
        return "description argument given to redis.register_function must be a string";
      }
      fn->description = lua_tostring(L, -1);
      fn->has_description = true;
    } else if (key == "callback") {
      if (lua_type(L, -1) != LUA_TFUNCTION) {
        lua_pop(L, 2);
        return "callback argument given to redis.register_function must be a function";
      }
      lua_pushvalue(L, -1);
      fn->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    } else if (key == "flags") {
      if (!lua_istable(L, -1)) {
        lua_pop(L, 2);
        return "flags argument to redis.register_function must be a table representing function flags";
      }
      for (int j = 1;; ++j) {
        lua_rawgeti(L, -1, j);
        if (lua_isnil(L, -1)) {
          lua_pop(L, 1);
          break;
        }
        const char* flag = lua_isstring(L, -1) ? lua_tostring(L, -1) : "";
        bool known = false;
        for (const char* k : kKnownFlags) known = known || strcmp(k, flag) == 0;
        if (!known) {
          lua_pop(L, 3);
          return "unknown flag given";
        }
        fn->flags.emplace_back(flag);
        lua_pop(L, 1);
      }
    } else {
      lua_pop(L, 2);
      return "unknown argument given to redis.register_function";
    }
    lua_pop(L, 1);
  }
  if (fn->name.empty()) return "redis.register_function must get a function name argument";
  if (fn->ref == LUA_NOREF) return "redis.register_function must get a callback argument";
  return nullptr;
}

}  // namespace

int RegisterFunction(lua_State* L) {
  if (g_loading == nullptr) {
    return RaiseString(L, "redis.register_function can only be called on FUNCTION LOAD command");
  }
  FunctionInfo fn;
  const char* error = ReadRegistration(L, &fn);
  if (error != nullptr) {
    if (fn.ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, fn.ref);
    return RaiseString(L, error);
  }
  if (!ValidName(fn.name)) {
    luaL_unref(L, LUA_REGISTRYINDEX, fn.ref);
    // Redis 7.0 words this error about library names, though it is about the function's.
    return RaiseString(L, "Library names can only contain letters, numbers, or underscores(_) "
                          "and must be at least one character long");
  }
  if (g_loading->functions.count(fn.name)) {
    luaL_unref(L, LUA_REGISTRYINDEX, fn.ref);
    return RaiseString(L, "Function already exists in the library");
  }
  std::string name = fn.name;
  g_loading->functions.emplace(name, std::move(fn));
  return 0;
}

FunctionRegistry::FunctionRegistry(ScriptRunState& state)
    : state_(state), engine_(std::make_unique<LuaEngine>(state, /*functions=*/true)) {
  UpdateStats();
}

size_t FunctionRegistry::function_count() const {
  size_t n = 0;
  for (const auto& [name, lib] : libraries_) n += lib.functions.size();
  return n;
}

void FunctionRegistry::UpdateStats() {
  state_.functions.store(static_cast<int64_t>(function_count()));
  state_.libraries.store(static_cast<int64_t>(libraries_.size()));
  int64_t bytes = 0;
  for (const auto& [name, lib] : libraries_) bytes += static_cast<int64_t>(lib.code.size());
  state_.functions_bytes.store(bytes);
  state_.lua_functions_bytes.store(engine_->memory());
}

const FunctionInfo* FunctionRegistry::Find(const std::string& name,
                                           const Library** library) const {
  for (const auto& [lib_name, lib] : libraries_) {
    auto it = lib.functions.find(name);
    if (it != lib.functions.end()) {
      *library = &lib;
      return &it->second;
    }
  }
  return nullptr;
}

void FunctionRegistry::Unload(Library& lib) {
  for (auto& [name, fn] : lib.functions) engine_->Unref(fn.ref);
  lib.functions.clear();
}

std::string FunctionRegistry::Load(const std::string& code, bool replace,
                                   std::string* library_name) {
  // Metadata: "#!<engine> name=<library>" on the first line.
  if (code.compare(0, 2, "#!") != 0) return "ERR Missing library metadata";
  size_t eol = code.find('\n');
  std::string header = code.substr(2, eol == std::string::npos ? std::string::npos : eol - 2);
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(' ', pos);
    if (end == std::string::npos) end = header.size();
    if (end > pos) parts.push_back(header.substr(pos, end - pos));
    pos = end + 1;
  }
  if (parts.empty() || parts[0] != "lua") {
    return "ERR Engine '" + (parts.empty() ? std::string() : parts[0]) + "' not found";
  }
  std::string name;
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].compare(0, 5, "name=") == 0) {
      name = parts[i].substr(5);
    } else {
      return "ERR Invalid metadata value given: " + parts[i];
    }
  }
  if (name.empty()) return "ERR Library name was not given";
  if (!ValidName(name)) {
    return "ERR Library names can only contain letters, numbers, or underscores(_) and must be "
           "at least one character long";
  }
  auto existing = libraries_.find(name);
  if (existing != libraries_.end() && !replace) {
    return "ERR Library '" + name + "' already exists";
  }

  // The shebang stays as a comment so line numbers match the code as given.
  std::string body = code;
  body[0] = '-';
  body[1] = '-';
  std::string error;
  lua_State* L = engine_->L();
  int ref = engine_->Load(body, "@user_function", &error);
  if (ref == LUA_NOREF) return "ERR Error compiling function: " + error;

  Library lib;
  lib.name = name;
  lib.code = code;
  // While loading, the code sees only the load-time API (redis.register_function, redis.log,
  // the LOG_* levels and the version).
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  lua_newtable(L);  // load environment
  lua_newtable(L);  // its redis table
  lua_getglobal(L, "redis");
  for (const char* f : {"register_function", "log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE",
                        "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM"}) {
    lua_getfield(L, -1, f);
    lua_setfield(L, -3, f);
  }
  lua_pop(L, 1);
  lua_getfield(L, LUA_REGISTRYINDEX, "stash_nonexistent_mt");
  if (lua_istable(L, -1)) {
    lua_pushvalue(L, -1);
    lua_setmetatable(L, -3);  // redis
    lua_setmetatable(L, -3);  // env
  } else {
    lua_pop(L, 1);
  }
  PushReadOnlyProxy(L);
  lua_setfield(L, -2, "redis");
  // Nothing else: as in Redis 7.0, not even the standard libraries.
  PushReadOnlyProxy(L);
  lua_setfenv(L, -2);
  g_loading = &lib;
  g_load_error = &error;
  lua_getglobal(L, "__redis__err__handler");
  lua_insert(L, -2);
  int err = lua_pcall(L, 0, 0, -2);
  g_loading = nullptr;
  g_load_error = nullptr;
  std::string message;
  if (err != 0) {
    if (lua_istable(L, -1)) {
      lua_pushstring(L, "err");
      lua_rawget(L, -2);  // no metamethods: this is outside any protected call
      message = lua_isstring(L, -1) ? lua_tostring(L, -1) : "";
      lua_pop(L, 1);
    } else {
      message = lua_isstring(L, -1) ? lua_tostring(L, -1) : "";
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);  // the error handler
  engine_->Unref(ref);
  if (err != 0) {
    Unload(lib);
    return "ERR Error registering functions: " + message;
  }
  if (lib.functions.empty()) return "ERR No functions registered";
  // Function names are global across libraries.
  for (const auto& [fname, fn] : lib.functions) {
    for (const auto& [other_name, other] : libraries_) {
      if (other_name != name && other.functions.count(fname)) {
        Unload(lib);
        return "ERR Function " + fname + " already exists";
      }
    }
  }
  // At run time the callbacks see the full script globals (redis.call included).
  for (auto& [fname, fn] : lib.functions) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, fn.ref);
    lua_pushvalue(L, LUA_GLOBALSINDEX);
    lua_setfenv(L, -2);
    lua_pop(L, 1);
  }
  if (existing != libraries_.end()) {
    Unload(existing->second);
    libraries_.erase(existing);
  }
  *library_name = name;
  libraries_.emplace(name, std::move(lib));
  UpdateStats();
  return "";
}

std::vector<std::string> FunctionRegistry::Codes() const {
  std::vector<std::string> codes;
  for (const auto& [name, lib] : libraries_) codes.push_back(lib.code);
  return codes;
}

// All or nothing, as Redis's functionRestoreCommand: the payload's libraries are first loaded
// on their own (a scratch registry: bad code or a library twice in the payload fails there),
// then joined to the current ones (libraryJoin: a library name already present fails APPEND,
// REPLACE drops the old one; a function name still taken by another library fails both).
// Nothing changes until every check passed.
std::string FunctionRegistry::Restore(const std::vector<std::string>& codes,
                                      const std::string& policy) {
  std::string error;
  std::vector<std::string> replaced;
  {
    FunctionRegistry scratch(state_);
    for (const std::string& code : codes) {
      std::string name;
      error = scratch.Load(code, /*replace=*/false, &name);
      if (!error.empty()) break;
    }
    if (error.empty() && policy != "flush") {
      bool replace = policy == "replace";
      for (const auto& [name, lib] : scratch.libraries()) {
        if (!libraries_.count(name)) continue;
        if (!replace) {
          error = "ERR Library " + name + " already exists";
          break;
        }
        replaced.push_back(name);
      }
      for (const auto& [name, lib] : scratch.libraries()) {
        if (!error.empty()) break;
        for (const auto& [fname, fn] : lib.functions) {
          const Library* owner = nullptr;
          bool owner_replaced = false;
          if (Find(fname, &owner) != nullptr) {
            owner_replaced = replace && scratch.libraries().count(owner->name) > 0;
          }
          if (owner != nullptr && !owner_replaced) {
            error = "ERR Function " + fname + " already exists";
            break;
          }
        }
      }
    }
  }
  UpdateStats();  // the scratch registry reported its own figures
  if (!error.empty()) return error;
  if (policy == "flush") Flush();
  // REPLACE: every replaced library goes first (a new library may take over a function of
  // another replaced one, as in Redis), then all load as new.
  for (const std::string& name : replaced) Delete(name);
  for (const std::string& code : codes) {
    std::string name;
    error = Load(code, /*replace=*/false, &name);
    if (!error.empty()) return error;  // not reached: the checks above passed
  }
  return "";
}

bool FunctionRegistry::Delete(const std::string& library) {
  auto it = libraries_.find(library);
  if (it == libraries_.end()) return false;
  Unload(it->second);
  libraries_.erase(it);
  UpdateStats();
  return true;
}

void FunctionRegistry::Flush() {
  for (auto& [name, lib] : libraries_) Unload(lib);
  libraries_.clear();
  engine_ = std::make_unique<LuaEngine>(state_, /*functions=*/true);
  UpdateStats();
}

}  // namespace stash::server::scripting
