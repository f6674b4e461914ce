// The `cmsgpack` library Redis gives scripts (lua-cmsgpack as Redis ships it):
// cmsgpack.pack(v1, v2, ...) concatenates the MessagePack encodings of its arguments;
// cmsgpack.unpack(s) returns every value in s; unpack_one(s [, offset]) and
// unpack_limit(s, limit [, offset]) return the next offset (-1 at the end) and the values.
// Encoding as Redis's: integral numbers as the smallest integer type, others float32 when
// exact else float64, tables as arrays when their keys are exactly 1..n, else maps; nesting
// deeper than 16 encodes nil. Debian has no Lua 5.1 package of it, so it lives here.
//
// C-style on purpose: luaL_error longjmps, so no C++ object with a destructor may be alive.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

namespace stash::server::scripting {
namespace {

constexpr int kMaxNesting = 16;

// The output, grown with realloc (luaL_Buffer cannot be used: it owns the top of the stack,
// and encoding tables pushes keys and values there). Nothing in encoding raises a Lua error
// (nesting is capped at 16), so the buffer is always freed.
struct Buf {
  char* data = nullptr;
  size_t len = 0, cap = 0;
};

void BufAdd(Buf* b, const char* s, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = (b->len + n) * 2;
    char* p = static_cast<char*>(realloc(b->data, cap));
    if (p == nullptr) abort();
    b->data = p;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
}

void BufChar(Buf* b, char c) { BufAdd(b, &c, 1); }

void PutBigEndian(Buf* b, unsigned char type, uint64_t v, int bytes) {
  BufChar(b, static_cast<char>(type));
  for (int i = bytes - 1; i >= 0; --i) BufChar(b, static_cast<char>((v >> (8 * i)) & 0xff));
}

void EncodeInteger(Buf* b, int64_t n) {
  if (n >= 0) {
    if (n <= 127) {
      BufChar(b, static_cast<char>(n));
    } else if (n <= 0xff) {
      PutBigEndian(b, 0xcc, static_cast<uint64_t>(n), 1);
    } else if (n <= 0xffff) {
      PutBigEndian(b, 0xcd, static_cast<uint64_t>(n), 2);
    } else if (n <= 0xffffffffLL) {
      PutBigEndian(b, 0xce, static_cast<uint64_t>(n), 4);
    } else {
      PutBigEndian(b, 0xcf, static_cast<uint64_t>(n), 8);
    }
  } else {
    if (n >= -32) {
      BufChar(b, static_cast<char>(static_cast<int8_t>(n)));
    } else if (n >= -128) {
      PutBigEndian(b, 0xd0, static_cast<uint64_t>(n), 1);
    } else if (n >= -32768) {
      PutBigEndian(b, 0xd1, static_cast<uint64_t>(n), 2);
    } else if (n >= -2147483648LL) {
      PutBigEndian(b, 0xd2, static_cast<uint64_t>(n), 4);
    } else {
      PutBigEndian(b, 0xd3, static_cast<uint64_t>(n), 8);
    }
  }
}

void EncodeNumber(Buf* b, lua_Number n) {
  // Redis's IS_INT64_EQUIVALENT: finite, integral and within int64.
  if (!std::isinf(n) && !std::isnan(n) && n == static_cast<lua_Number>(static_cast<int64_t>(n))) {
    EncodeInteger(b, static_cast<int64_t>(n));
    return;
  }
  float f = static_cast<float>(n);
  if (n == static_cast<double>(f)) {
    uint32_t bits;
    memcpy(&bits, &f, 4);
    PutBigEndian(b, 0xca, bits, 4);
  } else {
    uint64_t bits;
    memcpy(&bits, &n, 8);
    PutBigEndian(b, 0xcb, bits, 8);
  }
}

void EncodeLength(Buf* b, size_t len, unsigned char fix, size_t fix_max,
                  unsigned char t8, unsigned char t16, unsigned char t32) {
  if (len <= fix_max) {
    BufChar(b, static_cast<char>(fix | len));
  } else if (t8 != 0 && len <= 0xff) {
    PutBigEndian(b, t8, len, 1);
  } else if (len <= 0xffff) {
    PutBigEndian(b, t16, len, 2);
  } else {
    PutBigEndian(b, t32, len, 4);
  }
}

// Keys exactly 1..n (the empty table included): an array.
bool IsArray(lua_State* L) {
  int top = lua_gettop(L);
  long count = 0, max = 0;
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TNUMBER) {
      lua_settop(L, top);
      return false;
    }
    lua_Number n = lua_tonumber(L, -1);
    long idx = static_cast<long>(n);
    if (idx != n || idx < 1) {
      lua_settop(L, top);
      return false;
    }
    ++count;
    if (idx > max) max = idx;
  }
  lua_settop(L, top);
  return max == count;
}

// Encodes the value on top of the stack into b and pops it.
void Encode(lua_State* L, Buf* b, int level);

void EncodeTable(lua_State* L, Buf* b, int level) {
  luaL_checkstack(L, 3, "too deep");
  if (IsArray(L)) {
    size_t len = lua_objlen(L, -1);
    EncodeLength(b, len, 0x90, 15, 0, 0xdc, 0xdd);
    for (size_t j = 1; j <= len; ++j) {
      lua_pushnumber(L, static_cast<lua_Number>(j));
      lua_rawget(L, -2);
      Encode(L, b, level + 1);
    }
  } else {
    size_t len = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pop(L, 1);
      ++len;
    }
    EncodeLength(b, len, 0x80, 15, 0, 0xde, 0xdf);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pushvalue(L, -2);
      Encode(L, b, level + 1);  // key
      Encode(L, b, level + 1);  // value
    }
  }
}

void Encode(lua_State* L, Buf* b, int level) {
  int t = lua_type(L, -1);
  if (t == LUA_TTABLE && level == kMaxNesting) t = LUA_TNIL;
  switch (t) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, -1, &len);
      EncodeLength(b, len, 0xa0, 31, 0xd9, 0xda, 0xdb);
      BufAdd(b, s, len);
      break;
    }
    case LUA_TBOOLEAN:
      BufChar(b, static_cast<char>(lua_toboolean(L, -1) ? 0xc3 : 0xc2));
      break;
    case LUA_TNUMBER:
      EncodeNumber(b, lua_tonumber(L, -1));
      break;
    case LUA_TTABLE:
      EncodeTable(L, b, level);
      break;
    default:
      BufChar(b, static_cast<char>(0xc0));
  }
  lua_pop(L, 1);
}

int Pack(lua_State* L) {
  int nargs = lua_gettop(L);
  if (nargs == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  if (!lua_checkstack(L, 8)) return luaL_argerror(L, 0, "Too many arguments for MessagePack pack.");
  Buf b;
  for (int i = 1; i <= nargs; ++i) {
    lua_pushvalue(L, i);
    Encode(L, &b, 0);
  }
  lua_pushlstring(L, b.data ? b.data : "", b.len);
  free(b.data);
  return 1;
}

struct Cursor {
  const unsigned char* p;
  size_t left;
  int error;  // 0, 1 = missing bytes, 2 = bad format
};

uint64_t ReadBig(Cursor* c, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | c->p[i];
  c->p += bytes;
  c->left -= bytes;
  return v;
}

bool Need(Cursor* c, size_t n) {
  if (c->left < n) {
    c->error = 1;
    return false;
  }
  return true;
}

void Decode(lua_State* L, Cursor* c);

void DecodeString(lua_State* L, Cursor* c, size_t len) {
  if (!Need(c, len)) return;
  lua_pushlstring(L, reinterpret_cast<const char*>(c->p), len);
  c->p += len;
  c->left -= len;
}

void DecodeArray(lua_State* L, Cursor* c, size_t len) {
  lua_newtable(L);
  for (size_t j = 1; j <= len && c->error == 0; ++j) {
    lua_pushnumber(L, static_cast<lua_Number>(j));
    Decode(L, c);
    if (c->error) return;
    lua_settable(L, -3);
  }
}

void DecodeMap(lua_State* L, Cursor* c, size_t len) {
  lua_newtable(L);
  for (size_t j = 0; j < len && c->error == 0; ++j) {
    Decode(L, c);
    if (c->error) return;
    Decode(L, c);
    if (c->error) return;
    lua_settable(L, -3);
  }
}

void Decode(lua_State* L, Cursor* c) {
  luaL_checkstack(L, 3, "too deep");
  if (!Need(c, 1)) return;
  unsigned char t = *c->p;
  c->p++;
  c->left--;
  if (t <= 0x7f) return lua_pushnumber(L, t);
  if (t >= 0xe0) return lua_pushnumber(L, static_cast<int8_t>(t));
  if ((t & 0xe0) == 0xa0) return DecodeString(L, c, t & 0x1f);
  if ((t & 0xf0) == 0x90) return DecodeArray(L, c, t & 0x0f);
  if ((t & 0xf0) == 0x80) return DecodeMap(L, c, t & 0x0f);
  switch (t) {
    case 0xc0: return lua_pushnil(L);
    case 0xc2: return lua_pushboolean(L, 0);
    case 0xc3: return lua_pushboolean(L, 1);
    case 0xcc: if (Need(c, 1)) lua_pushnumber(L, static_cast<lua_Number>(ReadBig(c, 1))); return;
    case 0xcd: if (Need(c, 2)) lua_pushnumber(L, static_cast<lua_Number>(ReadBig(c, 2))); return;
    case 0xce: if (Need(c, 4)) lua_pushnumber(L, static_cast<lua_Number>(ReadBig(c, 4))); return;
    case 0xcf: if (Need(c, 8)) lua_pushnumber(L, static_cast<lua_Number>(ReadBig(c, 8))); return;
    case 0xd0: if (Need(c, 1)) lua_pushnumber(L, static_cast<int8_t>(ReadBig(c, 1))); return;
    case 0xd1: if (Need(c, 2)) lua_pushnumber(L, static_cast<int16_t>(ReadBig(c, 2))); return;
    case 0xd2: if (Need(c, 4)) lua_pushnumber(L, static_cast<int32_t>(ReadBig(c, 4))); return;
    case 0xd3:
      if (Need(c, 8)) lua_pushnumber(L, static_cast<lua_Number>(static_cast<int64_t>(ReadBig(c, 8))));
      return;
    case 0xca:
      if (Need(c, 4)) {
        uint32_t bits = static_cast<uint32_t>(ReadBig(c, 4));
        float f;
        memcpy(&f, &bits, 4);
        lua_pushnumber(L, f);
      }
      return;
    case 0xcb:
      if (Need(c, 8)) {
        uint64_t bits = ReadBig(c, 8);
        double d;
        memcpy(&d, &bits, 8);
        lua_pushnumber(L, d);
      }
      return;
    case 0xd9: if (Need(c, 1)) DecodeString(L, c, ReadBig(c, 1)); return;
    case 0xda: if (Need(c, 2)) DecodeString(L, c, ReadBig(c, 2)); return;
    case 0xdb: if (Need(c, 4)) DecodeString(L, c, ReadBig(c, 4)); return;
    case 0xdc: if (Need(c, 2)) DecodeArray(L, c, ReadBig(c, 2)); return;
    case 0xdd: if (Need(c, 4)) DecodeArray(L, c, ReadBig(c, 4)); return;
    case 0xde: if (Need(c, 2)) DecodeMap(L, c, ReadBig(c, 2)); return;
    case 0xdf: if (Need(c, 4)) DecodeMap(L, c, ReadBig(c, 4)); return;
    default: c->error = 2; return;
  }
}

// Decodes up to limit values from offset (both 0: everything, and no offset returned).
int UnpackFull(lua_State* L, int limit, int offset) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  if (offset < 0 || limit < 0) {
    return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.", offset,
                      static_cast<int>(len));
  }
  if (static_cast<size_t>(offset) > len) {
    return luaL_error(L, "Start offset %d greater than input length %d.", offset,
                      static_cast<int>(len));
  }
  bool decode_all = !limit && !offset;
  if (decode_all) limit = INT32_MAX;
  Cursor c{reinterpret_cast<const unsigned char*>(s) + offset, len - offset, 0};
  int count = 0;
  for (; c.left > 0 && count < limit; ++count) {
    Decode(L, &c);
    if (c.error == 1) return luaL_error(L, "Missing bytes in input.");
    if (c.error == 2) return luaL_error(L, "Bad data format in input.");
  }
  if (!decode_all) {
    // The next offset (-1 once the input is used up), returned before the values.
    lua_pushinteger(L, c.left == 0 ? -1 : static_cast<lua_Integer>(len - c.left));
    lua_insert(L, 2);
    ++count;
  }
  return count;
}

int Unpack(lua_State* L) { return UnpackFull(L, 0, 0); }

int UnpackOne(lua_State* L) {
  int offset = static_cast<int>(luaL_optinteger(L, 2, 0));
  lua_settop(L, 1);
  return UnpackFull(L, 1, offset);
}

int UnpackLimit(lua_State* L) {
  int limit = static_cast<int>(luaL_checkinteger(L, 2));
  int offset = static_cast<int>(luaL_optinteger(L, 3, 0));
  lua_settop(L, 1);
  return UnpackFull(L, limit, offset);
}

}  // namespace

int OpenCmsgpackLibrary(lua_State* L) {
  static const luaL_Reg kFunctions[] = {{"pack", Pack},
                                        {"unpack", Unpack},
                                        {"unpack_one", UnpackOne},
                                        {"unpack_limit", UnpackLimit},
                                        {nullptr, nullptr}};
  lua_newtable(L);
  luaL_register(L, nullptr, kFunctions);
  lua_pushstring(L, "lua-cmsgpack");
  lua_setfield(L, -2, "_NAME");
  lua_pushstring(L, "lua-cmsgpack 0.4.0");
  lua_setfield(L, -2, "_VERSION");
  lua_pushstring(L, "Copyright (C) 2012, Salvatore Sanfilippo");
  lua_setfield(L, -2, "_COPYRIGHT");
  lua_pushstring(L, "MessagePack C implementation for Lua");
  lua_setfield(L, -2, "_DESCRIPTION");
  return 1;
}

}  // namespace stash::server::scripting
