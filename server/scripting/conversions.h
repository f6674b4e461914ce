// Redis's conversions between RESP replies and Lua values, both ways (script_lua.c in Redis):
//   reply -> Lua: integer -> number, bulk -> string, null bulk / null array -> false,
//     status -> {ok=...}, error -> {err=...}, array -> table; with RESP3 also map -> {map=...},
//     set -> {set={k=true}}, null -> nil, boolean, double -> {double=n}, big number, verbatim.
//   Lua -> reply: string -> bulk, number -> integer (truncated), true -> 1 / false -> null
//     (booleans under RESP3), {err=}, {ok=}, {double=}, {big_number=}, {verbatim_string=},
//     {map=}, {set=}, other tables -> arrays cut at the first nil, anything else -> null.
#ifndef STASH_SERVER_SCRIPTING_CONVERSIONS_H_
#define STASH_SERVER_SCRIPTING_CONVERSIONS_H_

#include <string_view>

#include "protocol/reply_builder.h"
#include "protocol/reply_reader.h"

extern "C" {
#include <lua.h>
}

namespace stash::server::scripting {

// Pushes the next complete reply of reader as one Lua value (nothing on malformed input but
// a nil). Attributes are skipped, as Redis does.
void PushReply(lua_State* L, protocol::ReplyReader& reader);

// Writes the value on top of the stack to reply and pops it. script_resp3: the script called
// redis.setresp(3) (booleans then reply as booleans, not 1/null).
void WriteLuaValue(lua_State* L, protocol::ReplyBuilder& reply, bool script_resp3);

// Pushes {err="CODE message"} the way Redis's luaPushErrorBuff builds it from "-CODE message"
// (code taken up to the first space) or from "message" (code ERR).
void PushErrorTable(lua_State* L, std::string_view error);

// Redis's (long long) cast of a Lua number: out of range and NaN give INT64_MIN, as x86 does.
long long LuaNumberToInt64(double d);

}  // namespace stash::server::scripting

#endif  // STASH_SERVER_SCRIPTING_CONVERSIONS_H_
