// What a command handler gets: its arguments, the reply builder, the client and the server.
// By the time a handler runs, the dispatcher has checked arity and authentication and holds the
// locks its command needs (see exec_lock.h): a handler with key positions in the table finds its
// keys' shards locked; a kShardWalk handler locks shards itself with LockShard().
#ifndef STASH_SERVER_COMMAND_CONTEXT_H_
#define STASH_SERVER_COMMAND_CONTEXT_H_

#include <cstdint>
#include <mutex>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"
#include "server/client_state.h"
#include "server/command_table.h"
#include "server/server_state.h"
#include "storage/keyspace.h"

namespace stash::server {

class Dispatcher;

// A key resolved to its hash and shard in one database.
struct KeyRef {
  std::string_view key;
  uint64_t hash;
  storage::Shard* shard;
};

// The hash of one key argument, computed once by the dispatcher (to pick the shards to lock)
// and reused by the command's own lookup of the same argument: identified by its bytes'
// address and length in the request, which stay put while the command runs.
struct KeyHashMemo {
  const char* data = nullptr;
  size_t size = 0;
  uint64_t hash = 0;
  bool Matches(std::string_view key) const {
    return data != nullptr && key.data() == data && key.size() == size;
  }
};

class CommandContext {
 public:
  CommandContext(const std::vector<std::string_view>& args, protocol::ReplyBuilder& reply,
                 ClientState& client, ServerState& server, WorkerStats& stats,
                 const Command* command, int64_t now_ms, bool exclusive)
      : args(args), reply(reply), client(client), server(server), stats(stats),
        command(command), now_ms(now_ms), exclusive(exclusive) {}

  const std::vector<std::string_view>& args;
  protocol::ReplyBuilder& reply;
  ClientState& client;
  ServerState& server;
  WorkerStats& stats;
  const Command* command;
  int64_t now_ms;
  bool exclusive;  // every other command is excluded; shard locks are not needed
  bool failed = false;  // set by Error(): counts as failed_calls in commandstats
  Dispatcher* dispatcher = nullptr;  // for EXEC, which runs other commands
  KeyHashMemo key_memo;              // the first key argument's hash, when the dispatcher has it

  storage::Database& db() { return server.keyspace.db(client.db); }
  KeyRef Key(std::string_view key) { return KeyIn(client.db, key); }
  KeyRef KeyIn(int db_index, std::string_view key) {
    storage::Database& d = server.keyspace.db(db_index);
    uint64_t hash = key_memo.Matches(key) ? key_memo.hash : storage::HashKey(key);
    return {key, hash, &d.shard(d.ShardOf(hash))};
  }

  // For kShardWalk commands: the shard's lock, or no lock when running exclusively.
  std::unique_lock<std::mutex> LockShard(storage::Shard& shard) {
    return exclusive ? std::unique_lock<std::mutex>() : std::unique_lock<std::mutex>(shard.mutex());
  }

  void Error(std::string_view message) {
    failed = true;
    reply.Error(message);
  }
  // After pushing to key: blocked clients waiting on it get served when this command is done.
  void KeyReady(std::string_view key);

  // Keyspace notification for key in the client's database (see notify.h). Call it once per
  // event, right after the modification.
  void Notify(int type, std::string_view event, std::string_view key) {
    if (server.pubsub.notify_flags() & type) {
      NotifyKeyspaceEvent(server, type, event, key, client.db);
    }
  }

  EventTarget Events() { return {&server, client.db}; }

  void Hit() { WorkerStats::Bump(stats.keyspace_hits); }
  // A read lookup that found nothing: counted, and a "keymiss" event (class m) as in Redis.
  void Miss(std::string_view key) {
    WorkerStats::Bump(stats.keyspace_misses);
    Notify(kNotifyKeyMiss, "keymiss", key);
  }
};

}  // namespace stash::server

#include "server/dispatcher.h"

namespace stash::server {
inline void CommandContext::KeyReady(std::string_view key) {
  dispatcher->SignalKeyReady(client.db, key);
}
}  // namespace stash::server

#endif  // STASH_SERVER_COMMAND_CONTEXT_H_
