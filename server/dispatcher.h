// Runs one parsed command for one client: looks it up, checks arity and authentication, queues
// it inside MULTI, takes the locks its table entry asks for, calls the handler and counts it.
#ifndef STASH_SERVER_DISPATCHER_H_
#define STASH_SERVER_DISPATCHER_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"
#include "server/client_state.h"
#include "server/command_table.h"
#include "server/exec_lock.h"
#include "server/server_state.h"

namespace stash::server {

struct KeyHashMemo;

class Dispatcher {
 public:
  Dispatcher(ServerState& server, int worker_id)
      : server_(server), worker_id_(worker_id), stats_(*server.worker_stats[worker_id]) {}

  void Dispatch(ClientState& client, protocol::ReplyBuilder& reply,
                const std::vector<std::string_view>& args);

  // Resolves argv to a command or subcommand. On failure writes Redis's error into *error.
  static const Command* Resolve(const std::vector<std::string_view>& args, std::string* error);

  // Adds the shards of cmd's keys in database db to locks. Returns false when the command's
  // locking cannot be described by its keys (it must run exclusively).
  // With memo, the first key's hash is left there for the command (CommandContext::key_memo).
  static bool AddKeyShards(const Command* cmd, const std::vector<std::string_view>& args,
                           storage::Keyspace& keyspace, int db, ShardLockSet* locks,
                           KeyHashMemo* memo = nullptr);

  // Runs a resolved command whose locks the caller holds (EXEC uses this).
  void RunLocked(ClientState& client, protocol::ReplyBuilder& reply, const Command* cmd,
                 const std::vector<std::string_view>& args, bool exclusive,
                 const KeyHashMemo* memo = nullptr);

  // Records that key (in db) got data a blocked client may be waiting for; the waiters are
  // served once the running command has released its locks. Cheap when nobody is blocked.
  void SignalKeyReady(int db, std::string_view key);

  // Called from the running script's Lua hook: once the script is past busy-reply-threshold,
  // serves the events of this worker (its other clients get BUSY, SCRIPT KILL is read), as
  // Redis's processEventsWhileBlocked. No-op before the threshold or without a poller.
  void PollWhileScriptBusy();
  // How the worker runs its ready handlers without blocking (set by the server).
  void set_event_poller(std::function<void()> poller) { poll_events_ = std::move(poller); }

  ServerState& server() { return server_; }
  int worker_id() const { return worker_id_; }
  WorkerStats& stats() { return stats_; }

 private:
  void DispatchOne(ClientState& client, protocol::ReplyBuilder& reply,
                   const std::vector<std::string_view>& args);
  void ServeReadyKeys();
  // A script has run past busy-reply-threshold: other clients get BUSY instead of waiting.
  bool ScriptBusy() const;
  void ReplyBusy(ClientState& client, protocol::ReplyBuilder& reply, const Command* cmd);
  // Answers a rejected EXEC with EXECABORT and the reason, discarding the transaction.
  void AbortExec(ClientState& client, protocol::ReplyBuilder& reply, const std::string& error);
  // While a script runs: when cmd must wait for it without holding up the worker (SCRIPT KILL
  // before the threshold, WATCH and friends on another worker), the steady-clock ms at which
  // the connection should try cmd again; 0 = run it now.
  int64_t RetryAtWhileScriptRuns(const ClientState& client, const Command* cmd) const;
  // CLIENT TRACKING: the keys of a read-only command the client may now cache.
  void RememberTrackedKeys(ClientState& client, const Command* cmd,
                           const std::vector<std::string_view>& args);

  ServerState& server_;
  int worker_id_;
  WorkerStats& stats_;
  std::vector<std::pair<int, std::string>> ready_keys_;
  std::function<void()> poll_events_;
  bool polling_ = false;
};

}  // namespace stash::server

#endif  // STASH_SERVER_DISPATCHER_H_
