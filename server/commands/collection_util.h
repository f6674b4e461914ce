// Steps that the collection families (hashes.cc, sets.cc, zsets.cc) share: removing members as
// HDEL, SREM and ZREM do, the start of HSCAN, SSCAN and ZSCAN, the count argument of HRANDFIELD
// and ZRANDMEMBER, and the random source of the commands that pick random members.
#ifndef STASH_SERVER_COMMANDS_COLLECTION_UTIL_H_
#define STASH_SERVER_COMMANDS_COLLECTION_UTIL_H_

#include <cstdint>
#include <random>
#include <string_view>

#include "protocol/numbers.h"
#include "server/command_context.h"
#include "server/commands/keys.h"
#include "server/commands/lookup.h"
#include "server/commands/option.h"
#include "server/errors.h"
#include "server/notify.h"
#include "storage/entry.h"

namespace stash::server {

// The random source of HRANDFIELD, SRANDMEMBER, SPOP and ZRANDMEMBER: one per thread.
inline std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

// HDEL, SREM and ZREM key member [member ...]: removes args[2..] from `value`, the collection
// stored at k, with remove(member) (true when it was there), and replies how many went. Redis
// never keeps an empty collection: the key is deleted with its last member, and the arguments
// left are not looked at. Notifies `event` (of class `type`) when anything was removed, then
// "del" when the key went, in Redis's order.
template <typename Collection, typename Remove>
void RemoveMembersAndReply(CommandContext& ctx, const KeyRef& k, Collection* value, int type,
                           std::string_view event, Remove remove) {
  int64_t removed = 0;
  bool key_deleted = false;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    if (!remove(ctx.args[i])) continue;
    ++removed;
    if (value->size() == 0) {
      k.shard->Erase(k.key, k.hash, ctx.now_ms);  // marks the key modified, as Touch does
      key_deleted = true;
      break;
    }
  }
  if (removed > 0 && !key_deleted) k.shard->Touch(k.key);
  if (removed > 0) ctx.Notify(type, event, k.key);
  if (key_deleted) ctx.Notify(kNotifyGeneric, "del", k.key);
  ctx.reply.Integer(removed);
}

// The start of HSCAN, SSCAN and ZSCAN key cursor [MATCH pattern] [COUNT count], as Redis's
// scanGenericCommand and its callers: the cursor is parsed first, then the key looked up
// (lookupKeyRead + checkType against `type`), and the options only once the key is known to
// hold such a collection. A missing key gets an empty scan with cursor 0. False when the reply
// is already made (that empty scan or an error); otherwise *value is the collection.
template <typename Collection>
bool BeginCollectionScan(CommandContext& ctx, storage::ValueType type, Collection** value,
                         uint64_t* cursor, keycmd::ScanOptions* options) {
  if (!keycmd::ParseScanCursor(ctx.args[2], cursor)) {
    ctx.Error("ERR invalid cursor");
    return false;
  }
  if (!LookupTyped(ctx, ctx.Key(ctx.args[1]), true, type, value)) return false;
  if (*value == nullptr) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    ctx.reply.EmptyArray();
    return false;
  }
  return keycmd::ParseScanOptions(ctx, 3, options);
}

// The count of HRANDFIELD key [count [WITHVALUES]] and ZRANDMEMBER key [count [WITHSCORES]]
// (args[2] on), as hrandfieldCommand and zrandmemberCommand check it: a long other than
// LONG_MIN, and with the pairs option (`with`) at most half of LONG_MAX either way, since the
// reply holds 2 * |count| elements. Replies Redis's error and returns false on bad input.
inline bool ParseRandomCount(CommandContext& ctx, std::string_view with, int64_t* count,
                             bool* with_pairs) {
  const auto& args = ctx.args;
  if (!protocol::StringToInt64(args[2], count)) {
    ctx.Error(errors::kNotInteger);
    return false;
  }
  if (*count == INT64_MIN) {
    ctx.Error(errors::kOutOfLongRange);
    return false;
  }
  if (args.size() > 4 || (args.size() == 4 && !IsOption(args[3], with))) {
    ctx.Error(errors::kSyntax);
    return false;
  }
  *with_pairs = args.size() == 4;
  if (*with_pairs && (*count < -(INT64_MAX / 2) || *count > INT64_MAX / 2)) {
    ctx.Error("ERR value is out of range");
    return false;
  }
  return true;
}

}  // namespace stash::server

#endif  // STASH_SERVER_COMMANDS_COLLECTION_UTIL_H_
