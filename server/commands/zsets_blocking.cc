// Blocking sorted-set pops, as Redis 7.0's t_zset.c: BZPOPMIN, BZPOPMAX, BZMPOP. Each first
// does what ZPOPMIN/ZPOPMAX/ZMPOP would; only when every key is empty does the client block
// (server/blocking.h). Inside MULTI/EXEC they answer at once with a null array.
#include <string>
#include <vector>

#include "protocol/numbers.h"
#include "server/command_context.h"
#include "server/commands/blocking_util.h"
#include "server/commands/keys.h"
#include "server/commands/pop_args.h"
#include "server/commands/server_common.h"
#include "server/errors.h"
#include "storage/types/zset_value.h"

namespace stash::server {
namespace {

using storage::Entry;
using storage::ValueType;
using storage::ZSetValue;

// Pops from the sorted set at key (its shard locked by the caller). BZPOPMIN/MAX reply
// [key, member, score]; BZMPOP replies [key, [[member, score], ...]]. False when empty.
bool PopInto(storage::Database& db, const std::string& key, bool max, int64_t count,
             bool multi, int64_t now_ms, protocol::ReplyBuilder& reply, const EventTarget& events) {
  uint64_t hash = storage::HashKey(key);
  storage::Shard& shard = db.shard(db.ShardOf(hash));
  Entry e = shard.Find(key, hash, now_ms);
  if (!e || e.type() != ValueType::kZSet) return false;
  ZSetValue* zset = storage::ObjectAs<ZSetValue>(e);
  if (zset->size() == 0) return false;
  if (multi) {
    size_t n = std::min<size_t>(static_cast<size_t>(count), zset->size());
    reply.ArrayHeader(2);
    reply.Bulk(key);
    reply.ArrayHeader(n);
    for (size_t i = 0; i < n; ++i) {
      auto [member, score] = zset->Pop(max);
      reply.ArrayHeader(2);
      reply.Bulk(member);
      reply.Double(score);
    }
  } else {
    auto [member, score] = zset->Pop(max);
    reply.ArrayHeader(3);
    reply.Bulk(key);
    reply.Bulk(member);
    reply.Double(score);
  }
  shard.Touch(key);
  events.Notify(kNotifyZset, max ? "zpopmax" : "zpopmin", key);
  bool emptied = zset->size() == 0;
  if (emptied) shard.Erase(key, hash, now_ms);
  if (emptied) events.Notify(kNotifyGeneric, "del", key);
  return true;
}

void BzpopminCommand(CommandContext& ctx) { BlockingPopOne(ctx, ValueType::kZSet, false, PopInto); }
void BzpopmaxCommand(CommandContext& ctx) { BlockingPopOne(ctx, ValueType::kZSet, true, PopInto); }
void BzmpopCommand(CommandContext& ctx) {
  BlockingMpop(ctx, ValueType::kZSet, ParseMinMax, PopInto);
}

}  // namespace

void RegisterBlockingZSetCommands(CommandTable& table) {
  constexpr uint32_t kFlags = kWrite | kNoscript | kFast | kBlocking;
  table.Add({"bzpopmin", -3, kFlags, 1, -2, 1, BzpopminCommand, "sorted-set",
             "Remove and return the member with the lowest score from one or more sorted sets, "
             "or block until one is available",
             "5.0.0", "O(log(N)) with N being the number of elements in the sorted set.",
             "write sortedset fast blocking"});
  table.Add({"bzpopmax", -3, kFlags, 1, -2, 1, BzpopmaxCommand, "sorted-set",
             "Remove and return the member with the highest score from one or more sorted sets, "
             "or block until one is available",
             "5.0.0", "O(log(N)) with N being the number of elements in the sorted set.",
             "write sortedset fast blocking"});
  table.Add({"bzmpop", -5, kWrite | kBlocking, 0, 0, 0, BzmpopCommand,
             "sorted-set",
             "Remove and return members with scores in a sorted set or block until one is "
             "available",
             "7.0.0",
             "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of "
             "elements in the sorted set, and M being the number of elements popped.",
             "write sortedset slow blocking", nullptr, "RW access delete", 2});
}

}  // namespace stash::server
