// String commands, as Redis 7.0's t_string.c: GET, SET and friends, ranges, counters.
// LCS lives in strings_lcs.cc.
//
// Hit/miss accounting follows Redis: commands that look keys up with lookupKeyRead (GET, MGET,
// GETRANGE, STRLEN, GETEX, GETDEL, GETSET, SET ... GET) count keyspace hits and misses; those
// that use lookupKeyWrite (SET, APPEND, SETRANGE, INCR, MSETNX, ...) do not.
#include <climits>
#include <cmath>
#include <cstring>
#include <string>

#include "protocol/numbers.h"
#include "server/command_context.h"
#include "server/commands/lookup.h"
#include "server/commands/option.h"
#include "server/errors.h"
#include "storage/access_policy.h"

namespace stash::server {

void RegisterLcsCommand(CommandTable& table);  // strings_lcs.cc

namespace {

using storage::Entry;
using storage::ValueType;

// Refreshes the key's LRU clock (OBJECT IDLETIME, eviction), as Redis's lookups and writes do.
Entry Stamp(CommandContext& ctx, Entry e) {
  if (e) storage::StampAccess(e, ctx.now_ms);
  return e;
}

// Replies with a string value or null; false (after replying WRONGTYPE) for other types.
bool ReplyStringOrNull(CommandContext& ctx, Entry e) {
  if (!e) {
    ctx.reply.Null();
    return true;
  }
  if (e.type() != ValueType::kString) {
    ctx.Error(errors::kWrongType);
    return false;
  }
  ctx.reply.Bulk(e.value());
  return true;
}

// Redis's getGenericCommand: replies with the value or null; false after a WRONGTYPE error.
bool GetGeneric(CommandContext& ctx, const KeyRef& k) {
  return ReplyStringOrNull(ctx, LookupRead(ctx, k));
}

// Redis's checkStringLength: the size a string would reach, refused above proto-max-bulk-len.
bool CheckStringLength(CommandContext& ctx, uint64_t size, uint64_t append) {
  // size + append cannot wrap: size is at most INT64_MAX and append is an argument's length.
  if (size + append > static_cast<uint64_t>(ctx.server.config->proto_max_bulk_len())) {
    ctx.Error(errors::kStringTooLong);
    return false;
  }
  return true;
}

// Parses an integer argument as getLongLongFromObjectOrReply does.
bool ParseInt64OrReply(CommandContext& ctx, std::string_view arg, int64_t* out) {
  if (!protocol::StringToInt64(arg, out)) {
    ctx.Error(errors::kNotInteger);
    return false;
  }
  return true;
}

void GetCommand(CommandContext& ctx) { GetGeneric(ctx, ctx.Key(ctx.args[1])); }

// Flags of SET and GETEX, parsed as Redis's parseExtendedStringArgumentsOrReply does.
enum SetFlags : unsigned {
  kSetNx = 1 << 0,
  kSetXx = 1 << 1,
  kSetGet = 1 << 2,
  kSetKeepTtl = 1 << 3,
  kSetPersist = 1 << 4,
  kSetEx = 1 << 5,
  kSetPx = 1 << 6,
  kSetExAt = 1 << 7,
  kSetPxAt = 1 << 8,
};
constexpr unsigned kAnyExpire = kSetEx | kSetPx | kSetExAt | kSetPxAt;

enum class ExtendedFor { kSet, kGetEx };

// Parses options from args[first]. On error replies and returns false. *expire_arg receives
// the expiry argument, if any.
bool ParseExtendedArgs(CommandContext& ctx, size_t first, ExtendedFor kind, unsigned* flags,
                       std::string_view* expire_arg) {
  const auto& args = ctx.args;
  bool set = kind == ExtendedFor::kSet;
  for (size_t j = first; j < args.size(); ++j) {
    std::string_view opt = args[j];
    bool has_next = j + 1 < args.size();
    unsigned f = *flags;
    if (IsOption(opt, "nx") && !(f & kSetXx) && set) {
      *flags |= kSetNx;
    } else if (IsOption(opt, "xx") && !(f & kSetNx) && set) {
      *flags |= kSetXx;
    } else if (IsOption(opt, "get") && set) {
      *flags |= kSetGet;
    } else if (IsOption(opt, "keepttl") && !(f & kSetPersist) && !(f & kAnyExpire) && set) {
      *flags |= kSetKeepTtl;
    } else if (IsOption(opt, "persist") && !set && !(f & kAnyExpire) && !(f & kSetKeepTtl)) {
      *flags |= kSetPersist;
    } else if (IsOption(opt, "ex") && has_next &&
               !(f & (kSetKeepTtl | kSetPersist | kSetExAt | kSetPx | kSetPxAt))) {
      *flags |= kSetEx;
      *expire_arg = args[++j];
    } else if (IsOption(opt, "px") && has_next &&
               !(f & (kSetKeepTtl | kSetPersist | kSetEx | kSetExAt | kSetPxAt))) {
      *flags |= kSetPx;
      *expire_arg = args[++j];
    } else if (IsOption(opt, "exat") && has_next &&
               !(f & (kSetKeepTtl | kSetPersist | kSetEx | kSetPx | kSetPxAt))) {
      *flags |= kSetExAt;
      *expire_arg = args[++j];
    } else if (IsOption(opt, "pxat") && has_next &&
               !(f & (kSetKeepTtl | kSetPersist | kSetEx | kSetExAt | kSetPx))) {
      *flags |= kSetPxAt;
      *expire_arg = args[++j];
    } else {
      ctx.Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

// Turns the expiry argument into an absolute unix time in ms, as getExpireMillisecondsOrReply.
// The error names the running command ('set', 'setex', 'psetex', 'getex').
bool AbsoluteExpiry(CommandContext& ctx, unsigned flags, std::string_view arg, int64_t* out) {
  int64_t v;
  if (!ParseInt64OrReply(ctx, arg, &v)) return false;
  bool seconds = flags & (kSetEx | kSetExAt);
  if (v <= 0 || (seconds && v > INT64_MAX / 1000)) {
    ctx.Error(errors::InvalidExpireTime(ctx.command->full_name()));
    return false;
  }
  if (seconds) v *= 1000;
  if (flags & (kSetEx | kSetPx)) {
    // Redis adds mstime() and reports the (wrapped, negative) overflow as an invalid time.
    if (v > INT64_MAX - ctx.now_ms) {
      ctx.Error(errors::InvalidExpireTime(ctx.command->full_name()));
      return false;
    }
    v += ctx.now_ms;
  }
  *out = v;
  return true;
}

// Redis's setGenericCommand. `counted` selects SETNX's :1/:0 replies instead of +OK/null.
void SetGeneric(CommandContext& ctx, unsigned flags, std::string_view value,
                std::string_view expire_arg, bool counted) {
  int64_t expiry = storage::kNoExpiry;
  if ((flags & kAnyExpire) && !AbsoluteExpiry(ctx, flags, expire_arg, &expiry)) return;

  KeyRef k = ctx.Key(ctx.args[1]);
  // With GET the old value is read (and counted) first; the NX/XX test is a write lookup.
  if ((flags & kSetGet) && !GetGeneric(ctx, k)) return;
  Entry existing = k.shard->Find(k.key, k.hash, ctx.now_ms);
  bool found = static_cast<bool>(existing);
  if (((flags & kSetNx) && found) || ((flags & kSetXx) && !found)) {
    if (flags & kSetGet) return;
    if (counted) {
      ctx.reply.Integer(0);
    } else {
      ctx.reply.Null();
    }
    return;
  }
  if ((flags & kSetKeepTtl) && found) expiry = existing.expiry_ms();
  k.shard->Put(k.key, k.hash, ValueType::kString, value, expiry);
  ctx.Notify(kNotifyString, "set", k.key);
  if (flags & kAnyExpire) ctx.Notify(kNotifyGeneric, "expire", k.key);
  if (flags & kSetGet) return;
  if (counted) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.Ok();
  }
}

void SetCommand(CommandContext& ctx) {
  unsigned flags = 0;
  std::string_view expire_arg;
  if (!ParseExtendedArgs(ctx, 3, ExtendedFor::kSet, &flags, &expire_arg)) return;
  SetGeneric(ctx, flags, ctx.args[2], expire_arg, false);
}

void SetnxCommand(CommandContext& ctx) { SetGeneric(ctx, kSetNx, ctx.args[2], {}, true); }

void SetexCommand(CommandContext& ctx) { SetGeneric(ctx, kSetEx, ctx.args[3], ctx.args[2], false); }

void PsetexCommand(CommandContext& ctx) {
  SetGeneric(ctx, kSetPx, ctx.args[3], ctx.args[2], false);
}

// GETSET replies like GET, then sets like a plain SET (dropping any TTL).
void GetsetCommand(CommandContext& ctx) {
  KeyRef k = ctx.Key(ctx.args[1]);
  if (!GetGeneric(ctx, k)) return;
  k.shard->Put(k.key, k.hash, ValueType::kString, ctx.args[2], storage::kNoExpiry);
  ctx.Notify(kNotifyString, "set", k.key);
}

void GetdelCommand(CommandContext& ctx) {
  KeyRef k = ctx.Key(ctx.args[1]);
  Entry e = LookupRead(ctx, k);
  if (!ReplyStringOrNull(ctx, e)) return;
  if (e) k.shard->Erase(k.key, k.hash, ctx.now_ms);
  if (e) ctx.Notify(kNotifyGeneric, "del", k.key);
}

// GETEX: options are checked before the lookup, the expiry value only after it (a missing key
// answers null even with an invalid time).
void GetexCommand(CommandContext& ctx) {
  unsigned flags = 0;
  std::string_view expire_arg;
  if (!ParseExtendedArgs(ctx, 2, ExtendedFor::kGetEx, &flags, &expire_arg)) return;

  KeyRef k = ctx.Key(ctx.args[1]);
  Entry e = LookupRead(ctx, k);
  if (!e) {
    ctx.reply.Null();
    return;
  }
  if (e.type() != ValueType::kString) {
    ctx.Error(errors::kWrongType);
    return;
  }
  int64_t expiry = storage::kNoExpiry;
  if ((flags & kAnyExpire) && !AbsoluteExpiry(ctx, flags, expire_arg, &expiry)) return;
  ctx.reply.Bulk(e.value());

  if ((flags & (kSetExAt | kSetPxAt)) && expiry <= ctx.now_ms) {
    // An absolute time already past deletes the key (checkAlreadyExpired).
    k.shard->Erase(k.key, k.hash, ctx.now_ms);
    ctx.Notify(kNotifyGeneric, "del", k.key);
  } else if (flags & kAnyExpire) {
    k.shard->SetExpiry(k.key, k.hash, e, expiry);
    ctx.Notify(kNotifyGeneric, "expire", k.key);
  } else if ((flags & kSetPersist) && e.has_expiry()) {
    k.shard->SetExpiry(k.key, k.hash, e, storage::kNoExpiry);
    ctx.Notify(kNotifyGeneric, "persist", k.key);
  }
}

// MGET answers null for missing keys and for keys of other types alike.
void MgetCommand(CommandContext& ctx) {
  ctx.reply.ArrayHeader(ctx.args.size() - 1);
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    KeyRef k = ctx.Key(ctx.args[i]);
    Entry e = LookupRead(ctx, k);
    if (!e || e.type() != ValueType::kString) {
      ctx.reply.Null();
    } else {
      ctx.reply.Bulk(e.value());
    }
  }
}

// Redis's msetGenericCommand. MSETNX sets nothing if any key exists; its existence check stops
// at the first existing key, as Redis's does.
void MsetGeneric(CommandContext& ctx, bool nx) {
  const auto& args = ctx.args;
  if (args.size() % 2 == 0) {
    ctx.Error(errors::WrongArity(ctx.command->full_name()));
    return;
  }
  if (nx) {
    for (size_t j = 1; j < args.size(); j += 2) {
      KeyRef k = ctx.Key(args[j]);
      if (k.shard->Find(k.key, k.hash, ctx.now_ms)) {
        ctx.reply.Integer(0);
        return;
      }
    }
  }
  for (size_t j = 1; j < args.size(); j += 2) {
    KeyRef k = ctx.Key(args[j]);
    // setKey's lookupKeyWrite: lazily expires the old entry (counted in expired_keys).
    if (!nx) k.shard->Find(k.key, k.hash, ctx.now_ms);
    k.shard->Put(k.key, k.hash, ValueType::kString, args[j + 1], storage::kNoExpiry);
    ctx.Notify(kNotifyString, "set", k.key);
  }
  if (nx) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.Ok();
  }
}

void MsetCommand(CommandContext& ctx) { MsetGeneric(ctx, false); }
void MsetnxCommand(CommandContext& ctx) { MsetGeneric(ctx, true); }

// APPEND creates a missing key with the argument as is (even empty); on an existing key the
// result is a raw string (Redis unshares it), keeping the TTL.
void AppendCommand(CommandContext& ctx) {
  KeyRef k = ctx.Key(ctx.args[1]);
  std::string_view tail = ctx.args[2];
  Entry e = k.shard->Find(k.key, k.hash, ctx.now_ms);
  if (!e) {
    k.shard->Put(k.key, k.hash, ValueType::kString, tail, storage::kNoExpiry);
    ctx.Notify(kNotifyString, "append", k.key);
    ctx.reply.Integer(static_cast<int64_t>(tail.size()));
    return;
  }
  if (e.type() != ValueType::kString) {
    ctx.Error(errors::kWrongType);
    return;
  }
  size_t old_len = e.value().size();
  if (!CheckStringLength(ctx, old_len, tail.size())) return;
  e = Stamp(ctx, k.shard->ResizeValue(k.key, k.hash, e, old_len + tail.size()));
  if (!tail.empty()) memcpy(e.value_data() + old_len, tail.data(), tail.size());
  e.set_raw_string(true);
  k.shard->Touch(k.key);
  ctx.Notify(kNotifyString, "append", k.key);
  ctx.reply.Integer(static_cast<int64_t>(old_len + tail.size()));
}

void StrlenCommand(CommandContext& ctx) {
  KeyRef k = ctx.Key(ctx.args[1]);
  Entry e = LookupRead(ctx, k);
  if (!e) {
    ctx.reply.Integer(0);
    return;
  }
  if (e.type() != ValueType::kString) {
    ctx.Error(errors::kWrongType);
    return;
  }
  ctx.reply.Integer(static_cast<int64_t>(e.value().size()));
}

// GETRANGE (and SUBSTR): both indexes are parsed before the lookup; a missing key is "".
void GetrangeCommand(CommandContext& ctx) {
  int64_t start, end;
  if (!ParseInt64OrReply(ctx, ctx.args[2], &start) || !ParseInt64OrReply(ctx, ctx.args[3], &end)) {
    return;
  }
  KeyRef k = ctx.Key(ctx.args[1]);
  Entry e = LookupRead(ctx, k);
  if (!e) {
    ctx.reply.Bulk("");
    return;
  }
  if (e.type() != ValueType::kString) {
    ctx.Error(errors::kWrongType);
    return;
  }
  std::string_view str = e.value();
  int64_t len = static_cast<int64_t>(str.size());
  // Both negative with start after end: empty, before any clamping (Redis 7.0).
  if (start < 0 && end < 0 && start > end) {
    ctx.reply.Bulk("");
    return;
  }
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) {
    ctx.reply.Bulk("");
  } else {
    ctx.reply.Bulk(str.substr(start, end - start + 1));
  }
}

// SETRANGE: zero-pads up to offset. Setting nothing never creates a key, and on an existing key
// just reports its length. The result is a raw string, keeping the TTL.
void SetrangeCommand(CommandContext& ctx) {
  int64_t offset;
  if (!ParseInt64OrReply(ctx, ctx.args[2], &offset)) return;
  if (offset < 0) {
    ctx.Error("ERR offset is out of range");
    return;
  }
  std::string_view value = ctx.args[3];
  KeyRef k = ctx.Key(ctx.args[1]);
  Entry e = k.shard->Find(k.key, k.hash, ctx.now_ms);
  size_t end = 0;
  if (!e) {
    if (value.empty()) {
      ctx.reply.Integer(0);
      return;
    }
    if (!CheckStringLength(ctx, offset, value.size())) return;
    end = static_cast<size_t>(offset) + value.size();
    e = Stamp(
        ctx, k.shard->PutUninitialized(k.key, k.hash, ValueType::kString, end, storage::kNoExpiry));
    memset(e.value_data(), 0, offset);
  } else {
    if (e.type() != ValueType::kString) {
      ctx.Error(errors::kWrongType);
      return;
    }
    size_t old_len = e.value().size();
    if (value.empty()) {
      ctx.reply.Integer(static_cast<int64_t>(old_len));
      return;
    }
    if (!CheckStringLength(ctx, offset, value.size())) return;
    end = static_cast<size_t>(offset) + value.size();
    if (end > old_len) {
      e = Stamp(ctx, k.shard->ResizeValue(k.key, k.hash, e, end));
      // Bytes between the old end and the offset read as zeros (sdsgrowzero).
      if (static_cast<size_t>(offset) > old_len) {
        memset(e.value_data() + old_len, 0, offset - old_len);
      }
    } else {
      end = old_len;
    }
  }
  memcpy(e.value_data() + offset, value.data(), value.size());
  e.set_raw_string(true);
  k.shard->Touch(k.key);
  ctx.Notify(kNotifyString, "setrange", k.key);
  ctx.reply.Integer(static_cast<int64_t>(end));
}

// Redis's incrDecrCommand. The new value is formatted on the stack and written over the old one
// (in place when the length is unchanged); the TTL is kept, as dbOverwrite keeps it.
void IncrDecr(CommandContext& ctx, int64_t incr) {
  KeyRef k = ctx.Key(ctx.args[1]);
  Entry e = k.shard->Find(k.key, k.hash, ctx.now_ms);
  int64_t value = 0;
  if (e) {
    if (e.type() != ValueType::kString) {
      ctx.Error(errors::kWrongType);
      return;
    }
    if (!ParseInt64OrReply(ctx, e.value(), &value)) return;
  }
  if ((incr < 0 && value < 0 && incr < INT64_MIN - value) ||
      (incr > 0 && value > 0 && incr > INT64_MAX - value)) {
    ctx.Error(errors::kOverflow);
    return;
  }
  value += incr;
  char buf[24];
  size_t n = protocol::FormatInt64(buf, value);
  int64_t expiry = e ? e.expiry_ms() : storage::kNoExpiry;
  k.shard->Put(k.key, k.hash, ValueType::kString, std::string_view(buf, n), expiry);
  ctx.Notify(kNotifyString, "incrby", k.key);
  ctx.reply.Integer(value);
}

void IncrCommand(CommandContext& ctx) { IncrDecr(ctx, 1); }
void DecrCommand(CommandContext& ctx) { IncrDecr(ctx, -1); }

void IncrbyCommand(CommandContext& ctx) {
  int64_t incr;
  if (!ParseInt64OrReply(ctx, ctx.args[2], &incr)) return;
  IncrDecr(ctx, incr);
}

void DecrbyCommand(CommandContext& ctx) {
  int64_t decr;
  if (!ParseInt64OrReply(ctx, ctx.args[2], &decr)) return;
  // Negating LLONG_MIN would overflow: Redis refuses it before looking at the key.
  if (decr == INT64_MIN) {
    ctx.Error("ERR decrement would overflow");
    return;
  }
  IncrDecr(ctx, -decr);
}

// INCRBYFLOAT: the stored value is checked before the increment; the result is stored in the
// human "%.17Lf" form, keeping the TTL.
void IncrbyfloatCommand(CommandContext& ctx) {
  KeyRef k = ctx.Key(ctx.args[1]);
  Entry e = k.shard->Find(k.key, k.hash, ctx.now_ms);
  long double value = 0;
  if (e) {
    if (e.type() != ValueType::kString) {
      ctx.Error(errors::kWrongType);
      return;
    }
    if (!protocol::StringToLongDouble(e.value(), &value)) {
      ctx.Error(errors::kNotFloat);
      return;
    }
  }
  long double incr;
  if (!protocol::StringToLongDouble(ctx.args[2], &incr)) {
    ctx.Error(errors::kNotFloat);
    return;
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) {
    ctx.Error("ERR increment would produce NaN or Infinity");
    return;
  }
  std::string text = protocol::FormatLongDoubleHuman(value);
  int64_t expiry = e ? e.expiry_ms() : storage::kNoExpiry;
  k.shard->Put(k.key, k.hash, ValueType::kString, text, expiry);
  ctx.Notify(kNotifyString, "incrbyfloat", k.key);
  ctx.reply.Bulk(text);
}

}  // namespace

void RegisterStringCommands(CommandTable& table) {
  table.Add({"get", 2, kReadonly | kFast, 1, 1, 1, GetCommand, "string", "Get the value of a key",
             "1.0.0", "O(1)", "read string fast"});
  table.Add({"set", -3, kWrite | kDenyOom, 1, 1, 1, SetCommand, "string",
             "Set the string value of a key", "1.0.0", "O(1)", "write string slow"});
  table.Add({"setnx", 3, kWrite | kDenyOom | kFast, 1, 1, 1, SetnxCommand, "string",
             "Set the value of a key, only if the key does not exist", "1.0.0", "O(1)",
             "write string fast"});
  table.Add({"setex", 4, kWrite | kDenyOom, 1, 1, 1, SetexCommand, "string",
             "Set the value and expiration of a key", "2.0.0", "O(1)", "write string slow"});
  table.Add({"psetex", 4, kWrite | kDenyOom, 1, 1, 1, PsetexCommand, "string",
             "Set the value and expiration in milliseconds of a key", "2.6.0", "O(1)",
             "write string slow"});
  table.Add({"getset", 3, kWrite | kDenyOom | kFast, 1, 1, 1, GetsetCommand, "string",
             "Set the string value of a key and return its old value", "1.0.0", "O(1)",
             "write string fast"});
  table.Add({"getdel", 2, kWrite | kFast, 1, 1, 1, GetdelCommand, "string",
             "Get the value of a key and delete the key", "6.2.0", "O(1)", "write string fast"});
  table.Add({"getex", -2, kWrite | kFast, 1, 1, 1, GetexCommand, "string",
             "Get the value of a key and optionally set its expiration", "6.2.0", "O(1)",
             "write string fast"});
  table.Add({"mget", -2, kReadonly | kFast, 1, -1, 1, MgetCommand, "string",
             "Get the values of all the given keys", "1.0.0",
             "O(N) where N is the number of keys to retrieve.", "read string fast"});
  table.Add({"mset", -3, kWrite | kDenyOom, 1, -1, 2, MsetCommand, "string",
             "Set multiple keys to multiple values", "1.0.1",
             "O(N) where N is the number of keys to set.", "write string slow"});
  table.Add({"msetnx", -3, kWrite | kDenyOom, 1, -1, 2, MsetnxCommand, "string",
             "Set multiple keys to multiple values, only if none of the keys exist", "1.0.1",
             "O(N) where N is the number of keys to set.", "write string slow"});
  table.Add({"append", 3, kWrite | kDenyOom | kFast, 1, 1, 1, AppendCommand, "string",
             "Append a value to a key", "2.0.0",
             "O(1). The amortized time complexity is O(1) assuming the appended value is small "
             "and the already present value is of any size, since the dynamic string library "
             "used by Redis will double the free space available on every reallocation.",
             "write string fast"});
  table.Add({"strlen", 2, kReadonly | kFast, 1, 1, 1, StrlenCommand, "string",
             "Get the length of the value stored in a key", "2.2.0", "O(1)", "read string fast"});
  constexpr const char* kGetrangeComplexity =
      "O(N) where N is the length of the returned string. The complexity is ultimately "
      "determined by the returned length, but because creating a substring from an existing "
      "string is very cheap, it can be considered O(1) for small strings.";
  table.Add({"getrange", 4, kReadonly, 1, 1, 1, GetrangeCommand, "string",
             "Get a substring of the string stored at a key", "2.4.0", kGetrangeComplexity,
             "read string slow"});
  table.Add({"substr", 4, kReadonly, 1, 1, 1, GetrangeCommand, "string",
             "Get a substring of the string stored at a key", "1.0.0", kGetrangeComplexity,
             "read string slow"});
  table.Add({"setrange", 4, kWrite | kDenyOom, 1, 1, 1, SetrangeCommand, "string",
             "Overwrite part of a string at key starting at the specified offset", "2.2.0",
             "O(1), not counting the time taken to copy the new string in place. Usually, this "
             "string is very small so the amortized complexity is O(1). Otherwise, complexity "
             "is O(M) with M being the length of the value argument.",
             "write string slow"});
  table.Add({"incr", 2, kWrite | kDenyOom | kFast, 1, 1, 1, IncrCommand, "string",
             "Increment the integer value of a key by one", "1.0.0", "O(1)", "write string fast"});
  table.Add({"decr", 2, kWrite | kDenyOom | kFast, 1, 1, 1, DecrCommand, "string",
             "Decrement the integer value of a key by one", "1.0.0", "O(1)", "write string fast"});
  table.Add({"incrby", 3, kWrite | kDenyOom | kFast, 1, 1, 1, IncrbyCommand, "string",
             "Increment the integer value of a key by the given amount", "1.0.0", "O(1)",
             "write string fast"});
  table.Add({"decrby", 3, kWrite | kDenyOom | kFast, 1, 1, 1, DecrbyCommand, "string",
             "Decrement the integer value of a key by the given number", "1.0.0", "O(1)",
             "write string fast"});
  table.Add({"incrbyfloat", 3, kWrite | kDenyOom | kFast, 1, 1, 1, IncrbyfloatCommand, "string",
             "Increment the float value of a key by the given amount", "2.6.0", "O(1)",
             "write string fast"});
  RegisterLcsCommand(table);
}

}  // namespace stash::server
