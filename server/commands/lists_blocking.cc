// Blocking list pops, as Redis 7.0's t_list.c and blocked.c: BLPOP, BRPOP, BRPOPLPUSH, BLMOVE,
// BLMPOP. Each first tries exactly what its non-blocking twin does; only when every key is
// empty does the client block (see server/blocking.h for how it is woken). Inside MULTI/EXEC a
// blocking command never blocks: it answers as if its timeout had passed, as Redis does.
#include <memory>
#include <string>
#include <vector>

#include "protocol/numbers.h"
#include "server/blocking.h"
#include "server/command_context.h"
#include "server/commands/blocking_util.h"
#include "server/commands/keys.h"
#include "server/commands/pop_args.h"
#include "server/commands/server_common.h"
#include "server/errors.h"
#include "storage/types/list_value.h"

namespace stash::server {
namespace {

using storage::Entry;
using storage::ListValue;
using storage::ValueType;
using End = ListValue::End;

int ListFill(CommandContext& ctx) {
  int64_t fill = -2;
  auto text = ctx.server.config->GetOne("list-max-listpack-size");
  if (text) protocol::StringToInt64(*text, &fill);
  return static_cast<int>(fill);
}

// Pops up to count elements from the list at key in db (shard locked by the caller); replies
// [key, element] (single) or [key, [elements...]] (BLMPOP). False when there is nothing.
bool PopInto(storage::Database& db, const std::string& key, End end, int64_t count, bool multi,
             int64_t now_ms, protocol::ReplyBuilder& reply, const EventTarget& events) {
  uint64_t hash = storage::HashKey(key);
  storage::Shard& shard = db.shard(db.ShardOf(hash));
  Entry e = shard.Find(key, hash, now_ms);
  if (!e || e.type() != ValueType::kList) return false;
  ListValue* list = storage::ObjectAs<ListValue>(e);
  if (list->empty()) return false;
  reply.ArrayHeader(2);
  reply.Bulk(key);
  std::string value;
  if (multi) {
    size_t n = std::min<size_t>(static_cast<size_t>(count), list->size());
    reply.ArrayHeader(n);
    for (size_t i = 0; i < n; ++i) {
      list->Pop(end, &value);
      reply.Bulk(value);
    }
  } else {
    list->Pop(end, &value);
    reply.Bulk(value);
  }
  shard.Touch(key);
  events.Notify(kNotifyList, end == End::kHead ? "lpop" : "rpop", key);
  bool emptied = list->empty();
  if (emptied) shard.Erase(key, hash, now_ms);
  if (emptied) events.Notify(kNotifyGeneric, "del", key);
  return true;
}

enum class MoveResult { kMoved, kEmpty, kWrongType };

// Moves one element from src to dst (LMOVE's work); REQUIRES both shards locked. Replies the
// element, or WRONGTYPE when dst holds another type; replies nothing when src is empty.
MoveResult MoveInto(storage::Database& db, const std::string& src, const std::string& dst, End from,
              End to, int fill, int64_t now_ms, protocol::ReplyBuilder& reply,
              const EventTarget& events) {
  uint64_t src_hash = storage::HashKey(src);
  storage::Shard& src_shard = db.shard(db.ShardOf(src_hash));
  Entry se = src_shard.Find(src, src_hash, now_ms);
  if (!se || se.type() != ValueType::kList || storage::ObjectAs<ListValue>(se)->empty()) {
    return MoveResult::kEmpty;
  }
  uint64_t dst_hash = storage::HashKey(dst);
  storage::Shard& dst_shard = db.shard(db.ShardOf(dst_hash));
  Entry de = dst_shard.Find(dst, dst_hash, now_ms);
  if (de && de.type() != ValueType::kList) {
    reply.Error(errors::kWrongType);
    return MoveResult::kWrongType;
  }
  std::string value;
  ListValue* src_list = storage::ObjectAs<ListValue>(se);
  src_list->Pop(from, &value);
  src_shard.Touch(src);
  bool src_empty = src_list->empty();
  if (src_empty) src_shard.Erase(src, src_hash, now_ms);
  // Look dst up again: erasing src may have moved entries of a shared shard.
  de = dst_shard.Find(dst, dst_hash, now_ms);
  if (!de) {
    de = dst_shard.PutObject(dst, dst_hash, ValueType::kList, std::make_unique<ListValue>(fill),
                             storage::kNoExpiry);
  }
  storage::ObjectAs<ListValue>(de)->Push(to, value);
  dst_shard.Touch(dst);
  // Redis's order: the push, the pop, then the source's deletion.
  events.Notify(kNotifyList, to == End::kHead ? "lpush" : "rpush", dst);
  events.Notify(kNotifyList, from == End::kHead ? "lpop" : "rpop", src);
  if (src_empty) events.Notify(kNotifyGeneric, "del", src);
  reply.Bulk(value);
  return MoveResult::kMoved;
}

void BlpopCommand(CommandContext& ctx) {
  BlockingPopOne(ctx, ValueType::kList, End::kHead, PopInto);
}
void BrpopCommand(CommandContext& ctx) {
  BlockingPopOne(ctx, ValueType::kList, End::kTail, PopInto);
}
void BlmpopCommand(CommandContext& ctx) {
  BlockingMpop(ctx, ValueType::kList, ParseListEnd, PopInto);
}

void BlockingMove(CommandContext& ctx, End from, End to, std::string_view timeout_arg) {
  int64_t deadline;
  if (!ParseBlockingTimeout(ctx, timeout_arg, &deadline)) return;
  std::string src(ctx.args[1]), dst(ctx.args[2]);
  KeyRef s = ctx.Key(src);
  Entry se = s.shard->Find(s.key, s.hash, ctx.now_ms);
  if (se && se.type() != ValueType::kList) return ctx.Error(errors::kWrongType);
  int fill = ListFill(ctx);
  if (se) {
    MoveResult r =
        MoveInto(ctx.db(), src, dst, from, to, fill, ctx.now_ms, ctx.reply, ctx.Events());
    if (r == MoveResult::kWrongType) ctx.failed = true;
    if (r == MoveResult::kMoved) ctx.KeyReady(dst);
    return;
  }
  if (!CanBlock(ctx)) return ctx.reply.Null();
  // A timed-out BLMOVE gets a null array (like every blocked pop), although inside MULTI it
  // answers a null bulk.
  BlockClient(ctx, {src}, {dst}, deadline,
        [dst, from, to, fill, events = ctx.Events()](storage::Database& d, const std::string& key,
                                                     int64_t now, protocol::ReplyBuilder& reply) {
          // A WRONGTYPE destination answers (and unblocks) the client too.
          return MoveInto(d, key, dst, from, to, fill, now, reply, events) != MoveResult::kEmpty;
        });
}

void BrpoplpushCommand(CommandContext& ctx) {
  BlockingMove(ctx, End::kTail, End::kHead, ctx.args[3]);
}

void BlmoveCommand(CommandContext& ctx) {
  End from, to;
  if (!ParseListEnd(ctx.args[3], &from) || !ParseListEnd(ctx.args[4], &to)) {
    return ctx.Error(errors::kSyntax);
  }
  BlockingMove(ctx, from, to, ctx.args[5]);
}

}  // namespace

void RegisterBlockingListCommands(CommandTable& table) {
  constexpr uint32_t kFlags = kWrite | kNoscript | kBlocking;
  table.Add({"blpop", -3, kFlags, 1, -2, 1, BlpopCommand, "list",
             "Remove and get the first element in a list, or block until one is available",
             "2.0.0", "O(N) where N is the number of provided keys.",
             "write list slow blocking"});
  table.Add({"brpop", -3, kFlags, 1, -2, 1, BrpopCommand, "list",
             "Remove and get the last element in a list, or block until one is available",
             "2.0.0", "O(N) where N is the number of provided keys.",
             "write list slow blocking"});
  table.Add({"brpoplpush", 4, kFlags | kDenyOom, 1, 2, 1, BrpoplpushCommand, "list",
             "Pop an element from a list, push it to another list and return it; or block "
             "until one is available",
             "2.2.0", "O(1)", "write list slow blocking"});
  table.Add({"blmove", 6, kFlags | kDenyOom, 1, 2, 1, BlmoveCommand, "list",
             "Pop an element from a list, push it to another list and return it; or block "
             "until one is available",
             "6.2.0", "O(1)", "write list slow blocking"});
  table.Add({"blmpop", -5, kWrite | kBlocking, 0, 0, 0, BlmpopCommand, "list",
             "Pop elements from a list, or block until one is available", "7.0.0",
             "O(N+M) where N is the number of provided keys and M is the number of elements "
             "returned.",
             "write list slow blocking", nullptr,
             "RW access delete", 2});
}

}  // namespace stash::server
