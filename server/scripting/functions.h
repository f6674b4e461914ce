// FUNCTION libraries (Redis 7): code that starts with "#!lua name=<library>" and registers
// functions with redis.register_function; FCALL / FCALL_RO run them by name.
#ifndef STASH_SERVER_SCRIPTING_FUNCTIONS_H_
#define STASH_SERVER_SCRIPTING_FUNCTIONS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server/scripting/lua_engine.h"

namespace stash::server::scripting {

struct FunctionInfo {
  std::string name;
  std::string description;  // empty: none
  bool has_description = false;
  std::vector<std::string> flags;  // "no-writes", "allow-oom", ...
  int ref = LUA_NOREF;             // the callback, in the functions engine's registry
};

struct Library {
  std::string name;
  std::string code;
  std::map<std::string, FunctionInfo> functions;
};

// redis.register_function, for the functions engine (Lua C function).
int RegisterFunction(lua_State* L);

class FunctionRegistry {
 public:
  explicit FunctionRegistry(ScriptRunState& state);

  // FUNCTION LOAD: on success returns "" and sets *library_name; else the error text.
  std::string Load(const std::string& code, bool replace, std::string* library_name);
  bool Delete(const std::string& library);
  // FUNCTION RESTORE of already parsed library codes, with policy "flush", "append" or
  // "replace". Returns "" or the error text; on error nothing has changed.
  std::string Restore(const std::vector<std::string>& codes, const std::string& policy);
  // The codes of every library, for FUNCTION DUMP (in name order).
  std::vector<std::string> Codes() const;
  void Flush();
  const FunctionInfo* Find(const std::string& name, const Library** library) const;
  const std::map<std::string, Library>& libraries() const { return libraries_; }
  size_t function_count() const;
  LuaEngine& engine() { return *engine_; }

 private:
  void Unload(Library& lib);
  void UpdateStats();
  ScriptRunState& state_;
  std::unique_ptr<LuaEngine> engine_;
  std::map<std::string, Library> libraries_;
};

}  // namespace stash::server::scripting

#endif  // STASH_SERVER_SCRIPTING_FUNCTIONS_H_
