// The key lookups of Redis's db.c as the command families use them, and the lookup + checkType
// pair that every collection command starts with.
#ifndef STASH_SERVER_COMMANDS_LOOKUP_H_
#define STASH_SERVER_COMMANDS_LOOKUP_H_

#include "server/command_context.h"
#include "server/errors.h"
#include "storage/access_policy.h"
#include "storage/entry.h"
#include "storage/value.h"

namespace stash::server {

// lookupKeyRead: lazy expiry, a keyspace hit or miss (with its "keymiss" event), LRU/LFU refresh.
inline storage::Entry LookupRead(CommandContext& ctx, const KeyRef& k) {
  storage::Entry e = k.shard->Find(k.key, k.hash, ctx.now_ms);
  if (e) {
    ctx.Hit();
    storage::StampAccess(e, ctx.now_ms);
  } else {
    ctx.Miss(k.key);
  }
  return e;
}

// lookupKeyWrite: lazy expiry and LRU/LFU refresh, no statistics.
inline storage::Entry LookupWrite(CommandContext& ctx, const KeyRef& k) {
  storage::Entry e = k.shard->Find(k.key, k.hash, ctx.now_ms);
  if (e) storage::StampAccess(e, ctx.now_ms);
  return e;
}

// lookupKeyReadWithFlags(LOOKUP_NOTOUCH): statistics but no LRU/LFU refresh.
inline storage::Entry LookupNoTouch(CommandContext& ctx, const KeyRef& k) {
  storage::Entry e = k.shard->Find(k.key, k.hash, ctx.now_ms);
  if (e) {
    ctx.Hit();
  } else {
    ctx.Miss(k.key);
  }
  return e;
}

// lookupKeyRead (read) or lookupKeyWrite, then checkType: false after replying WRONGTYPE when
// the key holds another type than `type`; *value is null for a missing key.
template <typename Value>
bool LookupTyped(CommandContext& ctx, const KeyRef& k, bool read, storage::ValueType type,
                 Value** value) {
  storage::Entry e = read ? LookupRead(ctx, k) : LookupWrite(ctx, k);
  *value = nullptr;
  if (!e) return true;
  if (e.type() != type) {
    ctx.Error(errors::kWrongType);
    return false;
  }
  *value = storage::ObjectAs<Value>(e);
  return true;
}

}  // namespace stash::server

#endif  // STASH_SERVER_COMMANDS_LOOKUP_H_
