// Hash commands, as Redis 7.0's t_hash.c. The value itself (listpack / hashtable encodings and
// the conversion rules) is storage::HashValue.
//
// Hit/miss accounting follows Redis: HGET, HMGET, HLEN, HSTRLEN, HEXISTS, HKEYS, HVALS, HGETALL,
// HRANDFIELD and HSCAN look their key up with lookupKeyRead (counted); HSET, HSETNX, HDEL,
// HINCRBY and HINCRBYFLOAT with lookupKeyWrite (not counted). Both refresh the LRU clock.
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "protocol/numbers.h"
#include "server/command_context.h"
#include "server/commands/collection_util.h"
#include "server/commands/keys.h"
#include "server/commands/lookup.h"
#include "server/errors.h"
#include "storage/access_policy.h"
#include "storage/glob.h"
#include "storage/types/hash_value.h"

namespace stash::server {
namespace {

using storage::Entry;
using storage::HashValue;
using storage::ValueType;

// lookupKeyRead / lookupKeyWrite + checkType: false after replying WRONGTYPE; *hash is null for
// a missing key.
bool ReadHash(CommandContext& ctx, std::string_view key, HashValue** hash) {
  return LookupTyped(ctx, ctx.Key(key), true, ValueType::kHash, hash);
}
bool WriteHash(CommandContext& ctx, const KeyRef& k, HashValue** hash) {
  return LookupTyped(ctx, k, false, ValueType::kHash, hash);
}

// hashTypeLookupWriteOrCreate: the hash at k, created empty when missing; null after
// WRONGTYPE. The caller stores at least one field in a created hash.
HashValue* WriteOrCreateHash(CommandContext& ctx, const KeyRef& k) {
  HashValue* hash;
  if (!WriteHash(ctx, k, &hash)) return nullptr;
  if (hash != nullptr) return hash;
  auto fresh = std::make_unique<HashValue>();
  hash = fresh.get();
  // New entries are stamped (LRU clock or LFU counter) by the shard.
  k.shard->PutObject(k.key, k.hash, ValueType::kHash, std::move(fresh), storage::kNoExpiry);
  return hash;
}

HashValue::Limits Limits(CommandContext& ctx) {
  HashValue::Limits limits;
  const Config& config = *ctx.server.config;
  limits.max_listpack_entries = static_cast<uint64_t>(config.hash_max_listpack_entries());
  limits.max_listpack_value = static_cast<uint64_t>(config.hash_max_listpack_value());
  return limits;
}

// HSET key field value [field value ...] and HMSET (which replies +OK).
void HsetCommand(CommandContext& ctx) {
  const auto& args = ctx.args;
  if (args.size() % 2 == 1) return ctx.Error(errors::WrongArity(ctx.command->full_name()));
  KeyRef k = ctx.Key(args[1]);
  HashValue* hash = WriteOrCreateHash(ctx, k);
  if (hash == nullptr) return;
  HashValue::Limits limits = Limits(ctx);
  hash->ConvertForArgs(args.data() + 2, args.size() - 2, limits);
  int64_t created = 0;
  for (size_t i = 2; i < args.size(); i += 2) {
    if (hash->Set(args[i], args[i + 1], limits)) ++created;
  }
  k.shard->Touch(k.key);
  // Redis tells the two apart by the command name's second letter.
  if (args[0][1] == 's' || args[0][1] == 'S') {
    ctx.reply.Integer(created);
  } else {
    ctx.reply.Ok();
  }
  ctx.Notify(kNotifyHash, "hset", k.key);  // after the reply, as Redis
}

void HsetnxCommand(CommandContext& ctx) {
  KeyRef k = ctx.Key(ctx.args[1]);
  HashValue* hash = WriteOrCreateHash(ctx, k);
  if (hash == nullptr) return;
  if (hash->Exists(ctx.args[2])) return ctx.reply.Integer(0);
  HashValue::Limits limits = Limits(ctx);
  hash->ConvertForArgs(ctx.args.data() + 2, 2, limits);
  hash->Set(ctx.args[2], ctx.args[3], limits);
  k.shard->Touch(k.key);
  ctx.reply.Integer(1);
  ctx.Notify(kNotifyHash, "hset", k.key);
}

void HgetCommand(CommandContext& ctx) {
  HashValue* hash;
  if (!ReadHash(ctx, ctx.args[1], &hash)) return;
  char buf[HashValue::kBufferSize];
  std::string_view value;
  if (hash == nullptr || !hash->Get(ctx.args[2], buf, &value)) return ctx.reply.Null();
  ctx.reply.Bulk(value);
}

void HmgetCommand(CommandContext& ctx) {
  HashValue* hash;
  if (!ReadHash(ctx, ctx.args[1], &hash)) return;
  ctx.reply.ArrayHeader(ctx.args.size() - 2);
  char buf[HashValue::kBufferSize];
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    std::string_view value;
    if (hash != nullptr && hash->Get(ctx.args[i], buf, &value)) {
      ctx.reply.Bulk(value);
    } else {
      ctx.reply.Null();
    }
  }
}

void HdelCommand(CommandContext& ctx) {
  KeyRef k = ctx.Key(ctx.args[1]);
  HashValue* hash;
  if (!WriteHash(ctx, k, &hash)) return;
  if (hash == nullptr) return ctx.reply.Integer(0);
  RemoveMembersAndReply(ctx, k, hash, kNotifyHash, "hdel",
                        [hash](std::string_view field) { return hash->Delete(field); });
}

void HlenCommand(CommandContext& ctx) {
  HashValue* hash;
  if (!ReadHash(ctx, ctx.args[1], &hash)) return;
  ctx.reply.Integer(hash == nullptr ? 0 : static_cast<int64_t>(hash->size()));
}

void HstrlenCommand(CommandContext& ctx) {
  HashValue* hash;
  if (!ReadHash(ctx, ctx.args[1], &hash)) return;
  char buf[HashValue::kBufferSize];
  std::string_view value;
  if (hash == nullptr || !hash->Get(ctx.args[2], buf, &value)) return ctx.reply.Integer(0);
  ctx.reply.Integer(static_cast<int64_t>(value.size()));
}

void HexistsCommand(CommandContext& ctx) {
  HashValue* hash;
  if (!ReadHash(ctx, ctx.args[1], &hash)) return;
  ctx.reply.Integer(hash != nullptr && hash->Exists(ctx.args[2]) ? 1 : 0);
}

// genericHgetallCommand: HGETALL replies with a map (a flat array in RESP2), HKEYS and HVALS
// with arrays.
void HgetallGeneric(CommandContext& ctx, bool keys, bool values) {
  HashValue* hash;
  if (!ReadHash(ctx, ctx.args[1], &hash)) return;
  size_t n = hash == nullptr ? 0 : hash->size();
  if (keys && values) {
    ctx.reply.MapHeader(n);
  } else {
    ctx.reply.ArrayHeader(n);
  }
  if (hash == nullptr) return;
  hash->ForEach([&](std::string_view field, std::string_view value) {
    if (keys) ctx.reply.Bulk(field);
    if (values) ctx.reply.Bulk(value);
  });
}

void HkeysCommand(CommandContext& ctx) { HgetallGeneric(ctx, true, false); }
void HvalsCommand(CommandContext& ctx) { HgetallGeneric(ctx, false, true); }
void HgetallCommand(CommandContext& ctx) { HgetallGeneric(ctx, true, true); }

void HincrbyCommand(CommandContext& ctx) {
  int64_t incr;
  if (!protocol::StringToInt64(ctx.args[3], &incr)) return ctx.Error(errors::kNotInteger);
  KeyRef k = ctx.Key(ctx.args[1]);
  HashValue* hash;
  if (!WriteHash(ctx, k, &hash)) return;
  int64_t value = 0;
  char buf[HashValue::kBufferSize];
  std::string_view current;
  if (hash != nullptr && hash->Get(ctx.args[2], buf, &current) &&
      !protocol::StringToInt64(current, &value)) {
    return ctx.Error("ERR hash value is not an integer");
  }
  if ((incr < 0 && value < 0 && incr < INT64_MIN - value) ||
      (incr > 0 && value > 0 && incr > INT64_MAX - value)) {
    return ctx.Error(errors::kOverflow);
  }
  value += incr;
  if (hash == nullptr) hash = WriteOrCreateHash(ctx, k);
  std::string text;
  protocol::AppendInt64(&text, value);
  hash->Set(ctx.args[2], text, Limits(ctx));
  k.shard->Touch(k.key);
  ctx.reply.Integer(value);
  ctx.Notify(kNotifyHash, "hincrby", k.key);
}

void HincrbyfloatCommand(CommandContext& ctx) {
  long double incr;
  if (!protocol::StringToLongDouble(ctx.args[3], &incr)) return ctx.Error(errors::kNotFloat);
  if (std::isnan(incr) || std::isinf(incr)) return ctx.Error("ERR value is NaN or Infinity");
  KeyRef k = ctx.Key(ctx.args[1]);
  HashValue* hash;
  if (!WriteHash(ctx, k, &hash)) return;
  long double value = 0;
  char buf[HashValue::kBufferSize];
  std::string_view current;
  if (hash != nullptr && hash->Get(ctx.args[2], buf, &current) &&
      !protocol::StringToLongDouble(current, &value)) {
    return ctx.Error("ERR hash value is not a float");
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) {
    return ctx.Error("ERR increment would produce NaN or Infinity");
  }
  std::string text = protocol::FormatLongDoubleHuman(value);
  if (hash == nullptr) hash = WriteOrCreateHash(ctx, k);
  hash->Set(ctx.args[2], text, Limits(ctx));
  k.shard->Touch(k.key);
  ctx.reply.Bulk(text);
  ctx.Notify(kNotifyHash, "hincrbyfloat", k.key);
}

// One field (and its value when asked) of an HRANDFIELD reply; RESP3 pairs them in arrays.
void ReplyPair(CommandContext& ctx, std::string_view field, std::string_view value,
               bool withvalues) {
  if (withvalues && ctx.reply.resp3()) ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(field);
  if (withvalues) ctx.reply.Bulk(value);
}

void ReplyPairsHeader(CommandContext& ctx, size_t n, bool withvalues) {
  ctx.reply.ArrayHeader(withvalues && !ctx.reply.resp3() ? n * 2 : n);
}

// hrandfieldWithCountCommand.
void HrandfieldWithCount(CommandContext& ctx, int64_t l, bool withvalues) {
  HashValue* hash;
  if (!ReadHash(ctx, ctx.args[1], &hash)) return;
  if (hash == nullptr || l == 0) return ctx.reply.EmptyArray();
  auto& rng = Rng();
  const size_t size = hash->size();
  // A negative count may repeat fields: `count` independent draws.
  if (l < 0 || l == 1) {
    uint64_t count = l < 0 ? static_cast<uint64_t>(-l) : 1;
    ReplyPairsHeader(ctx, count, withvalues);
    if (hash->is_listpack()) {
      auto pairs = hash->Pairs();  // small: index it once instead of walking per draw
      for (uint64_t i = 0; i < count; ++i) {
        const auto& p = pairs[rng() % pairs.size()];
        ReplyPair(ctx, p.first, p.second, withvalues);
      }
    } else {
      std::string field, value;
      for (uint64_t i = 0; i < count; ++i) {
        hash->RandomPair(rng(), &field, &value);
        ReplyPair(ctx, field, value, withvalues);
      }
    }
    return;
  }
  const uint64_t count = static_cast<uint64_t>(l);
  // The whole hash, in its own order.
  if (count >= size) {
    ReplyPairsHeader(ctx, size, withvalues);
    hash->ForEach(
        [&](std::string_view f, std::string_view v) { ReplyPair(ctx, f, v, withvalues); });
    return;
  }
  ReplyPairsHeader(ctx, count, withvalues);
  // A listpack gives a random subset in listpack order (Redis's lpRandomPairsUnique): selection
  // sampling keeps each remaining pair with probability needed / remaining.
  if (hash->is_listpack()) {
    uint64_t needed = count, remaining = size;
    hash->ForEach([&](std::string_view f, std::string_view v) {
      if (needed > 0 && rng() % remaining < needed) {
        ReplyPair(ctx, f, v, withvalues);
        --needed;
      }
      --remaining;
    });
    return;
  }
  // A count close to the size: shuffle a copy and take a prefix (Redis removes random fields
  // from a copy instead; either gives a uniform subset in no particular order).
  if (count * 3 > size) {
    auto pairs = hash->Pairs();
    for (uint64_t i = 0; i < count; ++i) {
      std::swap(pairs[i], pairs[i + rng() % (pairs.size() - i)]);
      ReplyPair(ctx, pairs[i].first, pairs[i].second, withvalues);
    }
    return;
  }
  // A small count: draw until enough distinct fields were met.
  std::unordered_set<std::string> seen;
  std::string field, value;
  while (seen.size() < count) {
    hash->RandomPair(rng(), &field, &value);
    if (!seen.insert(field).second) continue;
    ReplyPair(ctx, field, value, withvalues);
  }
}

void HrandfieldCommand(CommandContext& ctx) {
  const auto& args = ctx.args;
  if (args.size() >= 3) {
    int64_t l;
    bool withvalues;
    if (!ParseRandomCount(ctx, "withvalues", &l, &withvalues)) return;
    return HrandfieldWithCount(ctx, l, withvalues);
  }
  HashValue* hash;
  if (!ReadHash(ctx, args[1], &hash)) return;
  if (hash == nullptr) return ctx.reply.Null();
  std::string field, value;
  hash->RandomPair(Rng()(), &field, &value);
  ctx.reply.Bulk(field);
}

// HSCAN key cursor [MATCH pattern] [COUNT count], as Redis's scanGenericCommand. The options
// are parsed only once the key was found to be a hash, as in Redis. A listpack comes back whole
// with cursor 0; a hashtable's cursor is a position in the table's hash order (see
// CompactTable::Scan), which stays valid however the table grows or shrinks between calls.
void HscanCommand(CommandContext& ctx) {
  HashValue* hash;
  uint64_t cursor;
  keycmd::ScanOptions options;
  if (!BeginCollectionScan(ctx, ValueType::kHash, &hash, &cursor, &options)) return;
  std::vector<std::string> out;
  uint64_t next = hash->Scan(cursor, options.Want(), [&](std::string_view f, std::string_view v) {
    if (options.use_pattern && !storage::GlobMatch(options.pattern, f)) return;
    out.emplace_back(f);
    out.emplace_back(v);
  });
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.ArrayHeader(out.size());
  for (const std::string& s : out) ctx.reply.Bulk(s);
}

}  // namespace

void RegisterHashCommands(CommandTable& table) {
  table.Add({"hset", -4, kWrite | kDenyOom | kFast, 1, 1, 1, HsetCommand, "hash",
             "Set the string value of a hash field", "2.0.0",
             "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the "
             "command is called with multiple field/value pairs.",
             "write hash fast", nullptr, "RW update"});
  table.Add({"hsetnx", 4, kWrite | kDenyOom | kFast, 1, 1, 1, HsetnxCommand, "hash",
             "Set the value of a hash field, only if the field does not exist", "2.0.0", "O(1)",
             "write hash fast", nullptr, "RW insert"});
  table.Add({"hget", 3, kReadonly | kFast, 1, 1, 1, HgetCommand, "hash",
             "Get the value of a hash field", "2.0.0", "O(1)", "read hash fast"});
  table.Add({"hmget", -3, kReadonly | kFast, 1, 1, 1, HmgetCommand, "hash",
             "Get the values of all the given hash fields", "2.0.0",
             "O(N) where N is the number of fields being requested.", "read hash fast"});
  table.Add({"hmset", -4, kWrite | kDenyOom | kFast, 1, 1, 1, HsetCommand, "hash",
             "Set multiple hash fields to multiple values", "2.0.0",
             "O(N) where N is the number of fields being set.", "write hash fast", nullptr,
             "RW update"});
  table.Add({"hdel", -3, kWrite | kFast, 1, 1, 1, HdelCommand, "hash",
             "Delete one or more hash fields", "2.0.0",
             "O(N) where N is the number of fields to be removed.", "write hash fast", nullptr,
             "RW delete"});
  table.Add({"hexists", 3, kReadonly | kFast, 1, 1, 1, HexistsCommand, "hash",
             "Determine if a hash field exists", "2.0.0", "O(1)", "read hash fast", nullptr,
             "RO"});
  table.Add({"hlen", 2, kReadonly | kFast, 1, 1, 1, HlenCommand, "hash",
             "Get the number of fields in a hash", "2.0.0", "O(1)", "read hash fast", nullptr,
             "RO"});
  table.Add({"hstrlen", 3, kReadonly | kFast, 1, 1, 1, HstrlenCommand, "hash",
             "Get the length of the value of a hash field", "3.2.0", "O(1)", "read hash fast",
             nullptr, "RO"});
  table.Add({"hkeys", 2, kReadonly, 1, 1, 1, HkeysCommand, "hash", "Get all the fields in a hash",
             "2.0.0", "O(N) where N is the size of the hash.", "read hash slow",
             "nondeterministic_output_order"});
  table.Add({"hvals", 2, kReadonly, 1, 1, 1, HvalsCommand, "hash", "Get all the values in a hash",
             "2.0.0", "O(N) where N is the size of the hash.", "read hash slow",
             "nondeterministic_output_order"});
  table.Add({"hgetall", 2, kReadonly, 1, 1, 1, HgetallCommand, "hash",
             "Get all the fields and values in a hash", "2.0.0",
             "O(N) where N is the size of the hash.", "read hash slow",
             "nondeterministic_output_order"});
  table.Add({"hincrby", 4, kWrite | kDenyOom | kFast, 1, 1, 1, HincrbyCommand, "hash",
             "Increment the integer value of a hash field by the given number", "2.0.0", "O(1)",
             "write hash fast", nullptr, "RW access update"});
  table.Add({"hincrbyfloat", 4, kWrite | kDenyOom | kFast, 1, 1, 1, HincrbyfloatCommand, "hash",
             "Increment the float value of a hash field by the given amount", "2.6.0", "O(1)",
             "write hash fast", nullptr, "RW access update"});
  table.Add({"hrandfield", -2, kReadonly, 1, 1, 1, HrandfieldCommand, "hash",
             "Get one or multiple random fields from a hash", "6.2.0",
             "O(N) where N is the number of fields returned", "read hash slow",
             "nondeterministic_output"});
  table.Add({"hscan", -3, kReadonly, 1, 1, 1, HscanCommand, "hash",
             "Incrementally iterate hash fields and associated values", "2.8.0",
             "O(1) for every call. O(N) for a complete iteration, including enough command calls "
             "for the cursor to return back to 0. N is the number of elements inside the "
             "collection..",
             "read hash slow", "nondeterministic_output"});
}

}  // namespace stash::server
