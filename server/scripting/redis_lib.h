// The redis.* API scripts call (redis.call, redis.pcall, error_reply, status_reply, sha1hex,
// log, setresp, set_repl, replicate_commands, ...) and Redis's deterministic math.random.
#ifndef STASH_SERVER_SCRIPTING_REDIS_LIB_H_
#define STASH_SERVER_SCRIPTING_REDIS_LIB_H_

extern "C" {
#include <lua.h>
}

namespace stash::server::scripting {

// Defines the global `redis` table and replaces math.random / math.randomseed. The functions
// engine also gets redis.register_function (usable only while a library loads).
void RegisterRedisLib(lua_State* L, bool functions);

// The `struct` library (lua_struct.cc): returns its table.
int OpenStructLibrary(lua_State* L);
// The `cmsgpack` library (lua_cmsgpack.cc): returns its table.
int OpenCmsgpackLibrary(lua_State* L);

}  // namespace stash::server::scripting

#endif  // STASH_SERVER_SCRIPTING_REDIS_LIB_H_
