// Generic key commands, as Redis's db.c and object.c: DEL, UNLINK, EXISTS, TYPE, TOUCH, RENAME,
// RENAMENX, COPY, MOVE and OBJECT. Expiry commands live in expire.cc, keyspace walks (KEYS,
// SCAN, RANDOMKEY) in scan.cc.
//
// Redis counts keyspace hits and misses in lookupKeyRead (EXISTS, TYPE, TOUCH, OBJECT, COPY's
// source) but not in lookupKeyWrite (DEL, RENAME, MOVE, COPY's destination); the handlers below
// call ctx.Hit()/ctx.Miss() exactly where Redis does. Likewise a lookup without LOOKUP_NOTOUCH
// refreshes the key's access stamp (storage::StampAccess: LRU clock or LFU counter), which
// OBJECT IDLETIME and OBJECT FREQ read.
#include "server/commands/keys.h"

#include <climits>
#include <cstdint>
#include <iterator>
#include <string>

#include "protocol/numbers.h"
#include "server/command_context.h"
#include "server/commands/lookup.h"
#include "server/errors.h"
#include "storage/access_policy.h"
#include "storage/value.h"

namespace stash::server {
namespace {

using storage::Entry;
using storage::ValueType;

constexpr std::string_view kSameObject = "ERR source and destination objects are the same";

// Looks the destination up as lookupKeyWrite does (deleting it if expired, no statistics).
// That may erase an entry in the source's shard, after which *e (the source, which stays live)
// is looked up again.
bool DestinationExists(CommandContext& ctx, const KeyRef& src, const KeyRef& dst, Entry* e) {
  bool exists = static_cast<bool>(dst.shard->Find(dst.key, dst.hash, ctx.now_ms));
  if (dst.shard == src.shard) *e = src.shard->Peek(src.key, src.hash, ctx.now_ms);
  return exists;
}

// Stores a copy of the string entry e (bytes, expiry, encoding hint) under dst, replacing
// whatever is there. e may live in dst's shard: Put copies the value before it frees anything.
Entry StoreString(const KeyRef& dst, Entry e) {
  bool raw = e.raw_string();
  Entry fresh = dst.shard->Put(dst.key, dst.hash, ValueType::kString, e.value(), e.expiry_ms());
  fresh.set_raw_string(raw);
  return fresh;
}

// RENAME and MOVE: src's value, TTL and encoding go to dst (replacing whatever is there) and src
// is deleted. A collection's object changes owner rather than being copied.
void MoveValue(CommandContext& ctx, const KeyRef& src, const KeyRef& dst, Entry e) {
  // The value was just looked up (RENAME, MOVE use lookupKeyWrite, which stamped it); the
  // object keeps that access history under its new name.
  uint32_t meta = e.meta24();
  Entry fresh;
  if (e.type() == ValueType::kString) {
    fresh = StoreString(dst, e);
    src.shard->Erase(src.key, src.hash, ctx.now_ms);
  } else {
    fresh = dst.shard->PutValue(dst.key, dst.hash, src.shard->Take(src.key, src.hash));
  }
  fresh.set_meta24(meta);
}

// COPY: a duplicate of e (a deep copy for collections) under dst, stamped as a new object
// (LRU clock now, or LFU's initial counter), as Redis's duplicated object is.
void CopyValue(CommandContext& ctx, const KeyRef& dst, Entry e) {
  Entry fresh = e.type() == ValueType::kString
                    ? StoreString(dst, e)
                    : dst.shard->PutValue(dst.key, dst.hash, storage::Shard::CopyValue(e));
  fresh.set_meta24(storage::InitialMeta(ctx.now_ms));
}

// DEL and UNLINK (which only differs in freeing large values in the background in Redis).
// DEL, and UNLINK (lazy) whose big collections are detached here and freed by the lazy-free
// thread, so the reply does not wait for millions of element frees.
void DeleteKeys(CommandContext& ctx, bool lazy) {
  int64_t removed = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    KeyRef k = ctx.Key(ctx.args[i]);
    if (lazy) {
      Entry e = k.shard->Find(k.key, k.hash, ctx.now_ms);
      if (e && e.type() != storage::ValueType::kString &&
          storage::LazyFreer::WorthIt(*storage::ObjectOf(e))) {
        ctx.server.lazy_free.Free(k.shard->Take(k.key, k.hash).object);
        ++removed;
        ctx.Notify(kNotifyGeneric, "del", k.key);
        continue;
      }
    }
    if (!k.shard->Erase(k.key, k.hash, ctx.now_ms)) continue;
    ++removed;
    ctx.Notify(kNotifyGeneric, "del", k.key);
  }
  ctx.reply.Integer(removed);
}

void DelCommand(CommandContext& ctx) {
  DeleteKeys(ctx, ctx.server.config->lazyfree_lazy_user_del());
}
void UnlinkCommand(CommandContext& ctx) { DeleteKeys(ctx, true); }

// EXISTS and TOUCH: how many of the keys exist, each argument looked up with `lookup` (a key
// named twice counts twice).
void CountExisting(CommandContext& ctx, Entry (*lookup)(CommandContext&, const KeyRef&)) {
  int64_t count = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    if (lookup(ctx, ctx.Key(ctx.args[i]))) ++count;
  }
  ctx.reply.Integer(count);
}

void ExistsCommand(CommandContext& ctx) { CountExisting(ctx, LookupNoTouch); }

void TypeCommand(CommandContext& ctx) {
  KeyRef k = ctx.Key(ctx.args[1]);
  Entry e = LookupNoTouch(ctx, k);
  ctx.reply.SimpleString(e ? keycmd::TypeName(e.type()) : "none");
}

void TouchCommand(CommandContext& ctx) { CountExisting(ctx, LookupRead); }

// RENAME and RENAMENX. The dispatcher holds both keys' shards (they are key positions 1 and 2).
void RenameGeneric(CommandContext& ctx, bool nx) {
  KeyRef src = ctx.Key(ctx.args[1]);
  KeyRef dst = ctx.Key(ctx.args[2]);
  Entry e = LookupWrite(ctx, src);
  if (!e) return ctx.Error(errors::kNoSuchKey);
  // Renaming a key to itself is a no-op, but only once the key is known to exist.
  if (src.key == dst.key) {
    if (nx) {
      ctx.reply.Integer(0);
    } else {
      ctx.reply.Ok();
    }
    return;
  }
  if (DestinationExists(ctx, src, dst, &e) && nx) {
    ctx.reply.Integer(0);
    return;
  }
  // The destination takes the source's value and TTL (a TTL of its own is dropped).
  MoveValue(ctx, src, dst, e);
  ctx.Notify(kNotifyGeneric, "rename_from", src.key);
  ctx.Notify(kNotifyGeneric, "rename_to", dst.key);
  if (nx) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.Ok();
  }
}

void RenameCommand(CommandContext& ctx) { RenameGeneric(ctx, /*nx=*/false); }
void RenamenxCommand(CommandContext& ctx) { RenameGeneric(ctx, /*nx=*/true); }

// COPY source destination [DB index] [REPLACE]. Runs exclusively (kExclusive): with DB the
// destination is in another database, whose shard the dispatcher cannot lock in order.
void CopyCommand(CommandContext& ctx) {
  const int src_db = ctx.client.db;
  int dst_db = src_db;
  bool replace = false;
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    size_t additional = ctx.args.size() - j - 1;
    if (IsOption(ctx.args[j], "replace")) {
      replace = true;
    } else if (IsOption(ctx.args[j], "db") && additional >= 1) {
      if (!keycmd::ParseDbIndex(ctx, ctx.args[j + 1], &dst_db)) return;
      ++j;
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  if (src_db == dst_db && ctx.args[1] == ctx.args[2]) return ctx.Error(kSameObject);

  KeyRef src = ctx.Key(ctx.args[1]);
  Entry e = LookupRead(ctx, src);
  if (!e) {
    ctx.reply.Integer(0);
    return;
  }
  KeyRef dst = ctx.KeyIn(dst_db, ctx.args[2]);
  if (DestinationExists(ctx, src, dst, &e) && !replace) {
    ctx.reply.Integer(0);
    return;
  }
  CopyValue(ctx, dst, e);
  NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "copy_to", dst.key, dst_db);
  ctx.reply.Integer(1);
}

// MOVE key db. Runs exclusively (kExclusive), as it touches two databases.
void MoveCommand(CommandContext& ctx) {
  int dst_db;
  if (!keycmd::ParseDbIndex(ctx, ctx.args[2], &dst_db)) return;
  if (dst_db == ctx.client.db) return ctx.Error(kSameObject);
  KeyRef src = ctx.Key(ctx.args[1]);
  Entry e = LookupWrite(ctx, src);
  if (!e) {
    ctx.reply.Integer(0);
    return;
  }
  // An existing key in the target database is left alone (and the reply is 0).
  KeyRef dst = ctx.KeyIn(dst_db, ctx.args[1]);
  if (DestinationExists(ctx, src, dst, &e)) {
    ctx.reply.Integer(0);
    return;
  }
  MoveValue(ctx, src, dst, e);
  ctx.Notify(kNotifyGeneric, "move_from", src.key);
  NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "move_to", dst.key, dst_db);
  ctx.reply.Integer(1);
}

// OBJECT's subcommands look their key up without touching it and reply null when it is missing.
Entry ObjectLookup(CommandContext& ctx) {
  KeyRef k = ctx.Key(ctx.args[2]);
  Entry e = LookupNoTouch(ctx, k);
  if (!e) ctx.reply.Null();
  return e;
}

// Redis's OBJ_ENCODING_* name for a string value: tryObjectEncoding stores a value that
// string2l accepts (at most 20 bytes) as "int", a short one as "embstr" (<= 44 bytes), and a
// longer one, or one modified in place (APPEND, SETRANGE), as "raw".
const char* StringEncoding(Entry e, int64_t* int_value) {
  if (e.raw_string()) return "raw";
  std::string_view v = e.value();
  if (v.size() <= 20 && protocol::StringToInt64(v, int_value)) return "int";
  return v.size() <= 44 ? "embstr" : "raw";
}

const char* Encoding(Entry e) {
  int64_t ignored;
  if (e.type() == ValueType::kString) return StringEncoding(e, &ignored);
  return storage::ObjectOf(e)->Encoding();  // each collection knows its own (listpack, ...)
}

// Whether entries carry LFU counters (allkeys-lfu, volatile-lfu) rather than LRU clocks.
bool LfuPolicy(CommandContext&) { return storage::Access().lfu.load(); }

void ObjectEncodingCommand(CommandContext& ctx) {
  Entry e = ObjectLookup(ctx);
  if (e) ctx.reply.Bulk(Encoding(e));
}

void ObjectRefcountCommand(CommandContext& ctx) {
  Entry e = ObjectLookup(ctx);
  if (!e) return;
  // Values 0..9999 stored as integers are Redis's shared integer objects, whose refcount is
  // OBJ_SHARED_REFCOUNT, unless maxmemory with an LRU/LFU policy disables sharing.
  int64_t v;
  bool shared = false;
  if (e.type() == ValueType::kString && StringEncoding(e, &v) == std::string_view("int") &&
      v >= 0 && v < 10000) {
    std::string policy = ctx.server.config->maxmemory_policy();
    bool lru_or_lfu =
        policy.find("lru") != std::string::npos || policy.find("lfu") != std::string::npos;
    shared = ctx.server.config->maxmemory() == 0 || !lru_or_lfu;
  }
  ctx.reply.Integer(shared ? INT_MAX : 1);
}

void ObjectIdletimeCommand(CommandContext& ctx) {
  Entry e = ObjectLookup(ctx);
  if (!e) return;
  if (LfuPolicy(ctx)) {
    return ctx.Error(
        "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
        "switching between policies at runtime LRU and LFU data will take some time to adjust.");
  }
  // estimateObjectIdleTime, in seconds.
  int64_t idle = storage::LruIdleMs(e.meta24(), ctx.now_ms) / 1000;
  ctx.reply.Integer(idle);
}

void ObjectFreqCommand(CommandContext& ctx) {
  Entry e = ObjectLookup(ctx);
  if (!e) return;
  if (!LfuPolicy(ctx)) {
    return ctx.Error(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
        "that when switching between policies at runtime LRU and LFU data will take some time to "
        "adjust.");
  }
  ctx.reply.Integer(storage::LfuDecrAndReturn(e.meta24(), ctx.now_ms,
                                               storage::Access().lfu_decay_time.load()));
}

void ObjectHelpCommand(CommandContext& ctx) {
  static constexpr const char* kLines[] = {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (const char* line : kLines) ctx.reply.SimpleString(line);
}

// The OBJECT container itself: the dispatcher always resolves a subcommand (or replies an
// arity or unknown-subcommand error) before a handler runs.
void ObjectCommand(CommandContext& ctx) { ctx.Error(errors::kSyntax); }

}  // namespace

void RegisterKeyCommands(CommandTable& table) {
  table.Add({"del", -2, kWrite, 1, -1, 1, DelCommand, "generic", "Delete a key", "1.0.0",
             "O(N) where N is the number of keys that will be removed. When a key to remove "
             "holds a value other than a string, the individual complexity for this key is O(M) "
             "where M is the number of elements in the list, set, sorted set or hash. Removing "
             "a single key that holds a string value is O(1).",
             "keyspace write slow", "request_policy:multi_shard response_policy:agg_sum",
             "RM delete"});
  table.Add({"unlink", -2, kWrite | kFast, 1, -1, 1, UnlinkCommand, "generic",
             "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but "
             "non blocking.",
             "4.0.0",
             "O(1) for each key removed regardless of its size. Then the command does O(N) work "
             "in a different thread in order to reclaim memory, where N is the number of "
             "allocations the deleted objects where composed of.",
             "keyspace write fast", "request_policy:multi_shard response_policy:agg_sum",
             "RM delete"});
  table.Add({"exists", -2, kReadonly | kFast, 1, -1, 1, ExistsCommand, "generic",
             "Determine if a key exists", "1.0.0", "O(N) where N is the number of keys to check.",
             "keyspace read fast", "request_policy:multi_shard response_policy:agg_sum", "RO"});
  table.Add({"type", 2, kReadonly | kFast, 1, 1, 1, TypeCommand, "generic",
             "Determine the type stored at key", "1.0.0", "O(1)", "keyspace read fast", nullptr,
             "RO"});
  table.Add({"touch", -2, kReadonly | kFast, 1, -1, 1, TouchCommand, "generic",
             "Alters the last access time of a key(s). Returns the number of existing keys "
             "specified.",
             "3.2.1", "O(N) where N is the number of keys that will be touched.",
             "keyspace read fast", "request_policy:multi_shard response_policy:agg_sum", "RO"});
  table.Add({"rename", 3, kWrite, 1, 2, 1, RenameCommand, "generic", "Rename a key", "1.0.0",
             "O(1)", "keyspace write slow", nullptr, "RW access delete;OW update"});
  table.Add({"renamenx", 3, kWrite | kFast, 1, 2, 1, RenamenxCommand, "generic",
             "Rename a key, only if the new key does not exist", "1.0.0", "O(1)",
             "keyspace write fast", nullptr, "RW access delete;OW insert"});
  table.Add({"copy", -3, kWrite | kDenyOom | kExclusive, 1, 2, 1, CopyCommand, "generic",
             "Copy a key", "6.2.0",
             "O(N) worst case for collections, where N is the number of nested items. O(1) for "
             "string values.",
             "keyspace write slow", nullptr, "RO access;OW update"});
  table.Add({"move", 3, kWrite | kFast | kExclusive, 1, 1, 1, MoveCommand, "generic",
             "Move a key to another database", "1.0.0", "O(1)", "keyspace write fast", nullptr,
             "RW access update"});

  table.Add({"object", -2, 0, 0, 0, 0, ObjectCommand, "generic",
             "A container for object introspection commands", "2.2.3", "Depends on subcommand.",
             "slow"});
  // In the order Redis 7.0 lists them (COMMAND INFO, COMMAND DOCS).
  table.AddSubcommand(
      "object",
      {"object|help", 2, kLoading | kStale | kNoKeyspace, 0, 0, 0, ObjectHelpCommand, "generic",
       "Show helpful text about the different subcommands", "6.2.0", "O(1)", "keyspace slow"});
  table.AddSubcommand("object",
                      {"object|idletime", 3, kReadonly, 2, 2, 1, ObjectIdletimeCommand, "generic",
                       "Get the time since a Redis object was last accessed", "2.2.3", "O(1)",
                       "keyspace read slow", "nondeterministic_output", "RO"});
  table.AddSubcommand("object",
                      {"object|refcount", 3, kReadonly, 2, 2, 1, ObjectRefcountCommand, "generic",
                       "Get the number of references to the value of the key", "2.2.3", "O(1)",
                       "keyspace read slow", "nondeterministic_output", "RO"});
  table.AddSubcommand(
      "object", {"object|freq", 3, kReadonly, 2, 2, 1, ObjectFreqCommand, "generic",
                 "Get the logarithmic access frequency counter of a Redis object", "4.0.0", "O(1)",
                 "keyspace read slow", "nondeterministic_output", "RO"});
  table.AddSubcommand("object",
                      {"object|encoding", 3, kReadonly, 2, 2, 1, ObjectEncodingCommand, "generic",
                       "Inspect the internal encoding of a Redis object", "2.2.3", "O(1)",
                       "keyspace read slow", "nondeterministic_output", "RO"});

  RegisterExpireCommands(table);
  RegisterScanCommands(table);
}

}  // namespace stash::server
