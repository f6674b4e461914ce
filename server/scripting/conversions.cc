#include "server/scripting/conversions.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "protocol/numbers.h"

extern "C" {
#include <lauxlib.h>
}

namespace stash::server::scripting {

long long LuaNumberToInt64(double d) {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return INT64_MIN;
  return static_cast<long long>(d);
}

void PushErrorTable(lua_State* L, std::string_view error) {
  std::string code = "ERR";
  std::string_view msg = error;
  if (!error.empty() && error[0] == '-') {
    size_t space = error.find(' ');
    if (space == std::string_view::npos) {
      msg = error.substr(1);
    } else {
      code.assign(error.substr(1, space - 1));
      msg = error.substr(space + 1);
    }
  }
  // sdstrim(msg, "\r\n"): both ends.
  while (!msg.empty() && (msg.front() == '\r' || msg.front() == '\n')) msg.remove_prefix(1);
  while (!msg.empty() && (msg.back() == '\r' || msg.back() == '\n')) msg.remove_suffix(1);
  std::string final_msg = code + " " + std::string(msg);
  lua_newtable(L);
  lua_pushstring(L, "err");
  // lua_pushstring: the message stops at a NUL, as in Redis.
  lua_pushstring(L, final_msg.c_str());
  lua_settable(L, -3);
}

namespace {

void SkipReply(protocol::ReplyReader& reader) {
  protocol::ReplyItem item;
  if (!reader.Next(&item)) return;
  int64_t children = 0;
  switch (item.type) {
    case protocol::ReplyType::kArray:
    case protocol::ReplyType::kSet:
    case protocol::ReplyType::kPush:
      children = item.integer;
      break;
    case protocol::ReplyType::kMap:
      children = item.integer * 2;
      break;
    case protocol::ReplyType::kAttribute:
      children = item.integer * 2 + 1;
      break;
    default:
      break;
  }
  for (int64_t i = 0; i < children; ++i) SkipReply(reader);
}

void PushTaggedTable(lua_State* L, const char* tag) {
  lua_newtable(L);
  lua_pushstring(L, tag);
}

}  // namespace

void PushReply(lua_State* L, protocol::ReplyReader& reader) {
  luaL_checkstack(L, 5, "lua stack limit reach when parsing redis.call reply");
  protocol::ReplyItem item;
  if (!reader.Next(&item)) {
    lua_pushnil(L);
    return;
  }
  using protocol::ReplyType;
  switch (item.type) {
    case ReplyType::kInteger:
      lua_pushnumber(L, static_cast<lua_Number>(item.integer));
      return;
    case ReplyType::kBulk:
      lua_pushlstring(L, item.text.data(), item.text.size());
      return;
    case ReplyType::kNullBulk:
    case ReplyType::kNullArray:
      lua_pushboolean(L, 0);
      return;
    case ReplyType::kSimpleString:
      PushTaggedTable(L, "ok");
      lua_pushlstring(L, item.text.data(), item.text.size());
      lua_settable(L, -3);
      return;
    case ReplyType::kError:
      PushErrorTable(L, "-" + std::string(item.text));
      // The called command's error was counted already: the script's error must not be again.
      lua_pushstring(L, "ignore_error_stats_update");
      lua_pushboolean(L, 1);
      lua_settable(L, -3);
      return;
    case ReplyType::kArray:
    case ReplyType::kPush:
      lua_newtable(L);
      for (int64_t j = 0; j < item.integer; ++j) {
        lua_pushnumber(L, static_cast<lua_Number>(j + 1));
        PushReply(L, reader);
        lua_settable(L, -3);
      }
      return;
    case ReplyType::kMap:
      PushTaggedTable(L, "map");
      lua_newtable(L);
      for (int64_t j = 0; j < item.integer; ++j) {
        PushReply(L, reader);
        PushReply(L, reader);
        lua_settable(L, -3);
      }
      lua_settable(L, -3);
      return;
    case ReplyType::kSet:
      PushTaggedTable(L, "set");
      lua_newtable(L);
      for (int64_t j = 0; j < item.integer; ++j) {
        PushReply(L, reader);
        lua_pushboolean(L, 1);
        lua_settable(L, -3);
      }
      lua_settable(L, -3);
      return;
    case ReplyType::kNull:
      lua_pushnil(L);
      return;
    case ReplyType::kBool:
      lua_pushboolean(L, item.integer != 0);
      return;
    case ReplyType::kDouble:
      PushTaggedTable(L, "double");
      lua_pushnumber(L, item.number);
      lua_settable(L, -3);
      return;
    case ReplyType::kBigNumber:
      PushTaggedTable(L, "big_number");
      lua_pushlstring(L, item.text.data(), item.text.size());
      lua_settable(L, -3);
      return;
    case ReplyType::kVerbatim: {
      std::string_view format = item.text.substr(0, 3);
      std::string_view text = item.text.size() >= 4 ? item.text.substr(4) : std::string_view();
      PushTaggedTable(L, "verbatim_string");
      lua_newtable(L);
      lua_pushstring(L, "string");
      lua_pushlstring(L, text.data(), text.size());
      lua_settable(L, -3);
      lua_pushstring(L, "format");
      lua_pushlstring(L, format.data(), format.size());
      lua_settable(L, -3);
      lua_settable(L, -3);
      return;
    }
    case ReplyType::kAttribute:
      for (int64_t j = 0; j < item.integer * 2; ++j) SkipReply(reader);
      PushReply(L, reader);
      return;
  }
  lua_pushnil(L);
}

namespace {

// Field `name` of the table on top, pushed; returns its type.
int RawField(lua_State* L, const char* name) {
  lua_pushstring(L, name);
  lua_rawget(L, -2);
  return lua_type(L, -1);
}

void Header(protocol::ReplyBuilder& reply, char type, size_t n) {
  std::string h(1, type);
  h += std::to_string(n);
  h += "\r\n";
  reply.Raw(h);
}

}  // namespace

void WriteLuaValue(lua_State* L, protocol::ReplyBuilder& reply, bool script_resp3) {
  if (!lua_checkstack(L, 4)) {
    reply.Error("ERR reached lua stack limit");
    lua_pop(L, 1);
    return;
  }
  switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, -1, &len);
      reply.Bulk(std::string_view(s, len));
      break;
    }
    case LUA_TBOOLEAN:
      if (!script_resp3) {
        if (lua_toboolean(L, -1)) {
          reply.Integer(1);
        } else {
          reply.Null();
        }
      } else {
        reply.Bool(lua_toboolean(L, -1));
      }
      break;
    case LUA_TNUMBER:
      reply.Integer(LuaNumberToInt64(lua_tonumber(L, -1)));
      break;
    case LUA_TTABLE: {
      if (RawField(L, "err") == LUA_TSTRING) {
        std::string msg = lua_tostring(L, -1);
        lua_pop(L, 2);
        // addReplyErrorFormat("-%s"): the text is used as is, code included.
        reply.Error(msg);
        return;
      }
      lua_pop(L, 1);
      if (RawField(L, "ok") == LUA_TSTRING) {
        std::string ok = lua_tostring(L, -1);
        for (char& c : ok) {
          if (c == '\r' || c == '\n') c = ' ';
        }
        reply.SimpleString(ok);
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (RawField(L, "double") == LUA_TNUMBER) {
        reply.Double(lua_tonumber(L, -1));
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (RawField(L, "big_number") == LUA_TSTRING) {
        size_t len;
        const char* s = lua_tolstring(L, -1, &len);
        std::string num(s, len);
        for (char& c : num) {
          if (c == '\r' || c == '\n') c = ' ';
        }
        if (reply.resp3()) {
          reply.Raw("(" + num + "\r\n");
        } else {
          reply.Bulk(num);
        }
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (RawField(L, "verbatim_string") == LUA_TTABLE) {
        if (RawField(L, "format") == LUA_TSTRING) {
          std::string format = lua_tostring(L, -1);
          lua_pushstring(L, "string");
          lua_rawget(L, -3);  // from the verbatim_string table, below the format
          if (lua_type(L, -1) == LUA_TSTRING) {
            size_t len;
            const char* s = lua_tolstring(L, -1, &len);
            if (reply.resp3()) {
              format.resize(3, ' ');
              Header(reply, '=', len + 4);
              reply.Raw(format + ":");
              reply.Raw(std::string_view(s, len));
              reply.Raw("\r\n");
            } else {
              reply.Bulk(std::string_view(s, len));
            }
            lua_pop(L, 4);
            return;
          }
          lua_pop(L, 1);
        }
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
      if (RawField(L, "map") == LUA_TTABLE) {
        size_t n = 0;
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          lua_pop(L, 1);
          ++n;
        }
        reply.MapHeader(n);
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          lua_pushvalue(L, -2);
          WriteLuaValue(L, reply, script_resp3);  // key
          WriteLuaValue(L, reply, script_resp3);  // value
        }
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (RawField(L, "set") == LUA_TTABLE) {
        size_t n = 0;
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          lua_pop(L, 1);
          ++n;
        }
        reply.SetHeader(n);
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          lua_pop(L, 1);
          lua_pushvalue(L, -1);
          WriteLuaValue(L, reply, script_resp3);
        }
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      // An array, cut at the first nil.
      size_t n = 0;
      while (true) {
        lua_pushnumber(L, static_cast<lua_Number>(n + 1));
        lua_rawget(L, -2);
        bool nil = lua_type(L, -1) == LUA_TNIL;
        lua_pop(L, 1);
        if (nil) break;
        ++n;
      }
      reply.ArrayHeader(n);
      for (size_t j = 1; j <= n; ++j) {
        lua_pushnumber(L, static_cast<lua_Number>(j));
        lua_rawget(L, -2);
        WriteLuaValue(L, reply, script_resp3);
      }
      break;
    }
    default:
      reply.Null();
  }
  lua_pop(L, 1);
}

}  // namespace stash::server::scripting
