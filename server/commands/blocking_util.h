// Helpers shared by the blocking commands of every family (lists, sorted sets): the timeout
// argument as Redis parses it, registering a client as blocked, and the blocking pops.
#ifndef STASH_SERVER_COMMANDS_BLOCKING_UTIL_H_
#define STASH_SERVER_COMMANDS_BLOCKING_UTIL_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"
#include "server/command_context.h"
#include "server/commands/pop_args.h"
#include "server/errors.h"
#include "storage/keyspace.h"

namespace stash::server {

// Parses a timeout in seconds (decimals allowed). *deadline_ms is absolute unix ms, or 0 for no
// timeout. On error replies and returns false.
bool ParseBlockingTimeout(CommandContext& ctx, std::string_view arg, int64_t* deadline_ms);

// Whether the client may block now: never inside MULTI/EXEC, where Redis answers at once as if
// the timeout had passed.
inline bool CanBlock(CommandContext& ctx) {
  return !ctx.client.in_exec && static_cast<bool>(ctx.client.deliver_reply);
}

using ServeFunction = std::function<bool(storage::Database&, const std::string&, int64_t,
                                         protocol::ReplyBuilder&)>;

// Blocks the client on keys with the given serve function (see server/blocking.h). Called while
// the dispatcher still holds the keys' shard locks, so no push can slip in between the failed
// attempt and the registration.
void BlockClient(CommandContext& ctx, std::vector<std::string> keys,
                 std::vector<std::string> extra_keys, int64_t deadline_ms, ServeFunction serve);

// The blocking pops of every family (BLPOP, BRPOP, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP): pops from
// the first key of args[first..last] that holds a value, which must be of `type`, or blocks the
// client on all of them. pop(db, key, now_ms, reply, events) pops and replies, and returns false
// when the key holds nothing; the same function serves the client once it is woken.
template <typename Pop>
void PopOrBlock(CommandContext& ctx, size_t first, size_t last, storage::ValueType type,
                int64_t deadline_ms, Pop pop) {
  storage::Database& db = ctx.db();
  for (size_t i = first; i <= last; ++i) {
    KeyRef k = ctx.Key(ctx.args[i]);
    storage::Entry e = k.shard->Find(k.key, k.hash, ctx.now_ms);
    if (!e) continue;
    if (e.type() != type) return ctx.Error(errors::kWrongType);
    if (pop(db, std::string(k.key), ctx.now_ms, ctx.reply, ctx.Events())) return;
  }
  if (!CanBlock(ctx)) return ctx.reply.NullArray();
  std::vector<std::string> keys;
  for (size_t i = first; i <= last; ++i) keys.emplace_back(ctx.args[i]);
  BlockClient(ctx, std::move(keys), {}, deadline_ms,
              [pop, events = ctx.Events()](storage::Database& d, const std::string& key,
                                           int64_t now, protocol::ReplyBuilder& reply) {
                return pop(d, key, now, reply, events);
              });
}

// PopOrBlock for the pops of one family: pop_into(db, key, side, count, multi, now_ms, reply,
// events), where side says which end of a list or which scores of a sorted set to pop from,
// and multi asks for BLMPOP's and BZMPOP's reply shape.
template <typename Side, typename PopInto>
void BlockingPopGeneric(CommandContext& ctx, size_t first, size_t last, storage::ValueType type,
                        Side side, int64_t count, bool multi, int64_t deadline_ms,
                        PopInto pop_into) {
  PopOrBlock(ctx, first, last, type, deadline_ms,
             [side, count, multi, pop_into](storage::Database& db, const std::string& key,
                                            int64_t now, protocol::ReplyBuilder& reply,
                                            const EventTarget& events) {
               return pop_into(db, key, side, count, multi, now, reply, events);
             });
}

// BLPOP, BRPOP, BZPOPMIN and BZPOPMAX key [key ...] timeout: one element from `side`.
template <typename Side, typename PopInto>
void BlockingPopOne(CommandContext& ctx, storage::ValueType type, Side side, PopInto pop_into) {
  int64_t deadline;
  if (!ParseBlockingTimeout(ctx, ctx.args.back(), &deadline)) return;
  BlockingPopGeneric(ctx, 1, ctx.args.size() - 2, type, side, 1, false, deadline, pop_into);
}

// BLMPOP and BZMPOP timeout numkeys key [key ...] SIDE [COUNT count], as Redis parses them: the
// timeout first, then the keys, the side (parse_side: LEFT|RIGHT or MIN|MAX) and the count.
template <typename Side, typename PopInto>
void BlockingMpop(CommandContext& ctx, storage::ValueType type,
                  bool (*parse_side)(std::string_view, Side*), PopInto pop_into) {
  int64_t deadline;
  if (!ParseBlockingTimeout(ctx, ctx.args[1], &deadline)) return;
  size_t where_at;
  if (!ParseMpopKeys(ctx, 2, &where_at)) return;
  Side side;
  if (!parse_side(ctx.args[where_at], &side)) return ctx.Error(errors::kSyntax);
  int64_t count;
  if (!ParseMpopCount(ctx, where_at + 1, &count)) return;
  BlockingPopGeneric(ctx, 3, where_at - 1, type, side, count, true, deadline, pop_into);
}

}  // namespace stash::server

#endif  // STASH_SERVER_COMMANDS_BLOCKING_UTIL_H_
