// MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//
// EXEC runs the queued commands as one unit: it takes, once, the union of the locks they need
// (the shards of their keys and of the watched keys, in order), checks the watched keys under
// those locks, then runs every command. A transaction containing a command that cannot name
// its keys up front (FLUSHALL, KEYS, SELECT, ...) runs exclusively instead.
#include <string>
#include <vector>

#include "server/command_context.h"
#include "server/dispatcher.h"
#include "server/errors.h"
#include "server/watch.h"

namespace stash::server {

void UnwatchAllKeys(ServerState& server, int worker_id, ClientState& client) {
  if (!client.watched.empty()) {
    server.exec_lock.LockShared(worker_id);
    for (const WatchedKey& w : client.watched) {
      storage::Database& db = server.keyspace.db(w.db);
      storage::Shard& shard = db.shard(db.ShardOf(storage::HashKey(w.key)));
      std::lock_guard<std::mutex> lock(shard.mutex());
      shard.RemoveWatch(w.key, client.watch_state.get());
    }
    server.exec_lock.UnlockShared(worker_id);
    client.watched.clear();
  }
  client.watch_state.reset();
}

namespace {

void EndTransaction(CommandContext& ctx) {
  ctx.client.in_multi = false;
  ctx.client.multi_error = false;
  ctx.client.queued.clear();
  if (ctx.client.info) ctx.client.info->multi.store(-1);
}

void MultiCommand(CommandContext& ctx) {
  if (ctx.client.in_multi) return ctx.Error("ERR MULTI calls can not be nested");
  ctx.client.in_multi = true;
  if (ctx.client.info) ctx.client.info->multi.store(0);
  ctx.reply.Ok();
}

void DiscardCommand(CommandContext& ctx) {
  if (!ctx.client.in_multi) return ctx.Error("ERR DISCARD without MULTI");
  EndTransaction(ctx);
  UnwatchAllKeys(ctx.server, ctx.dispatcher->worker_id(), ctx.client);
  ctx.reply.Ok();
}

// True when any watched key was modified, or expired after it was watched.
bool WatchedKeysChanged(CommandContext& ctx) {
  if (ctx.client.watch_state && ctx.client.watch_state->dirty.load()) return true;
  for (const WatchedKey& w : ctx.client.watched) {
    if (w.expired_when_watched) continue;
    KeyRef k = ctx.KeyIn(w.db, w.key);
    storage::Entry e = k.shard->FindRaw(k.key, k.hash);
    if (e && e.ExpiredAt(ctx.now_ms)) return true;
  }
  return false;
}

void ExecCommand(CommandContext& ctx) {
  ClientState& client = ctx.client;
  if (!client.in_multi) return ctx.Error("ERR EXEC without MULTI");
  Dispatcher& dispatcher = *ctx.dispatcher;
  ServerState& server = ctx.server;
  if (client.multi_error) {
    EndTransaction(ctx);
    UnwatchAllKeys(server, dispatcher.worker_id(), client);
    return ctx.Error("EXECABORT Transaction discarded because of previous errors.");
  }

  // Resolve every queued command again (they were checked when queued) and collect locks.
  std::vector<std::vector<std::string_view>> argvs;
  std::vector<const Command*> cmds;
  argvs.reserve(client.queued.size());
  ShardLockSet locks(server.keyspace);
  bool exclusive = false;
  std::string ignored;
  for (const auto& queued : client.queued) {
    argvs.emplace_back(queued.begin(), queued.end());
    const Command* cmd = Dispatcher::Resolve(argvs.back(), &ignored);
    cmds.push_back(cmd);
    if (std::string_view(cmd->spec.name) == "select" ||
        !Dispatcher::AddKeyShards(cmd, argvs.back(), server.keyspace, client.db, &locks) ||
        (cmd->spec.flags & kShardWalk)) {
      exclusive = true;
    }
  }
  for (const WatchedKey& w : client.watched) {
    storage::Database& db = server.keyspace.db(w.db);
    locks.Add(w.db, db.ShardOf(storage::HashKey(w.key)));
  }

  if (exclusive) {
    locks.Clear();
    server.exec_lock.LockExclusive();
  } else {
    server.exec_lock.LockShared(dispatcher.worker_id());
    locks.Lock();
  }
  ctx.exclusive = exclusive;
  if (WatchedKeysChanged(ctx)) {
    ctx.reply.NullArray();
  } else {
    client.in_multi = false;
    client.in_exec = true;
    ctx.reply.ArrayHeader(cmds.size());
    for (size_t i = 0; i < cmds.size(); ++i) {
      dispatcher.RunLocked(client, ctx.reply, cmds[i], argvs[i], exclusive);
      // HELLO inside a transaction switches the protocol for the replies that follow.
      ctx.reply.set_resp3(client.resp3);
    }
    client.in_exec = false;
  }
  if (exclusive) {
    server.exec_lock.UnlockExclusive();
  } else {
    locks.Unlock();
    server.exec_lock.UnlockShared(dispatcher.worker_id());
  }
  EndTransaction(ctx);
  UnwatchAllKeys(server, dispatcher.worker_id(), client);
}

void WatchCommand(CommandContext& ctx) {
  ClientState& client = ctx.client;
  if (client.in_multi) return ctx.Error("ERR WATCH inside MULTI is not allowed");
  if (!client.watch_state) client.watch_state = std::make_shared<storage::WatchState>();
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    std::string_view key = ctx.args[i];
    bool already = false;
    for (const WatchedKey& w : client.watched) {
      if (w.db == client.db && w.key == key) already = true;
    }
    if (already) continue;
    KeyRef k = ctx.Key(key);
    storage::Entry e = k.shard->FindRaw(k.key, k.hash);
    k.shard->AddWatch(key, client.watch_state);
    client.watched.push_back({client.db, std::string(key), e && e.ExpiredAt(ctx.now_ms)});
  }
  ctx.reply.Ok();
}

void UnwatchCommand(CommandContext& ctx) {
  // Inside EXEC the locks are already held and EXEC unwatches everything when it ends.
  if (!ctx.client.in_exec) {
    UnwatchAllKeys(ctx.server, ctx.dispatcher->worker_id(), ctx.client);
  }
  ctx.reply.Ok();
}

}  // namespace

void RegisterTransactionCommands(CommandTable& table) {
  constexpr uint32_t kTxFlags = kNoscript | kLoading | kStale | kFast | kAllowBusy;
  table.Add({"multi", 1, kTxFlags | kNoKeyspace, 0, 0, 0, MultiCommand, "transactions",
             "Starts a transaction.", "1.2.0", "O(1)", "fast transaction"});
  table.Add({"exec", 1, kNoscript | kLoading | kStale | kSkipSlowlog | kNoKeyspace, 0, 0, 0,
             ExecCommand, "transactions", "Executes all commands in a transaction.", "1.2.0",
             "Depends on commands in the transaction", "slow transaction"});
  table.Add({"discard", 1, kTxFlags | kNoKeyspace, 0, 0, 0, DiscardCommand, "transactions",
             "Discards a transaction.", "2.0.0", "O(N), when N is the number of queued commands",
             "fast transaction"});
  table.Add({"watch", -2, kTxFlags, 1, -1, 1, WatchCommand, "transactions",
             "Monitors changes to keys to determine the execution of a transaction.", "2.2.0",
             "O(1) for every key.", "fast transaction"});
  table.Add({"unwatch", 1, kTxFlags | kNoKeyspace, 0, 0, 0, UnwatchCommand, "transactions",
             "Forgets about watched keys of a transaction.", "2.2.0", "O(1)",
             "fast transaction"});
}

}  // namespace stash::server
