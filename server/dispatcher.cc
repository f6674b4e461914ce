#include "server/dispatcher.h"

#include <chrono>
#include <cstring>

#include "server/command_context.h"
#include "server/clock.h"
#include "server/errors.h"
#include "server/eviction.h"
#include "server/pubsub.h"
#include "server/watch.h"

namespace stash::server {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// printf's "%.*s" stops at a NUL byte; Redis formats these messages with it.
std::string_view UpToNul(std::string_view s, size_t max) {
  size_t nul = s.find('\0');
  if (nul != std::string_view::npos) s = s.substr(0, nul);
  return s.substr(0, std::min(max, s.size()));
}

std::string UnknownCommandError(const std::vector<std::string_view>& args) {
  std::string list;
  for (size_t i = 1; i < args.size() && list.size() < 128; ++i) {
    size_t room = 128 - list.size();
    list += '\'';
    list += UpToNul(args[i], room);
    list += "' ";
  }
  return "ERR unknown command '" + std::string(UpToNul(args[0], 128)) +
         "', with args beginning with: " + list;
}

// What a RESP2 client with subscriptions may still run (Redis's processCommand).
bool AllowedWhileSubscribed(const Command* cmd) {
  std::string_view name = cmd->spec.name;
  return name == "ping" || name == "subscribe" || name == "ssubscribe" ||
         name == "unsubscribe" || name == "sunsubscribe" || name == "psubscribe" ||
         name == "punsubscribe" || name == "quit" || name == "reset";
}

bool IsMultiControl(const Command* cmd) {
  std::string_view name = cmd->spec.name;
  return name == "exec" || name == "discard" || name == "multi" || name == "watch" ||
         name == "quit" || name == "reset";
}

}  // namespace

const Command* Dispatcher::Resolve(const std::vector<std::string_view>& args,
                                   std::string* error) {
  const Command* cmd = CommandTable::Get().Find(args[0]);
  if (cmd == nullptr) {
    *error = UnknownCommandError(args);
    return nullptr;
  }
  if (cmd->is_container() && args.size() >= 2) {
    const Command* sub = cmd->FindSubcommand(args[1]);
    if (sub == nullptr) {
      *error = "ERR unknown subcommand '" + std::string(UpToNul(args[1], 128)) + "'. Try " +
               cmd->upper_name + " HELP.";
      return nullptr;
    }
    cmd = sub;
  }
  return cmd;
}

static bool ArityOk(const Command* cmd, size_t argc) {
  int arity = cmd->spec.arity;
  return arity > 0 ? static_cast<size_t>(arity) == argc : argc >= static_cast<size_t>(-arity);
}

bool Dispatcher::AddKeyShards(const Command* cmd, const std::vector<std::string_view>& args,
                              storage::Keyspace& keyspace, int db, ShardLockSet* locks,
                              KeyHashMemo* memo) {
  const CommandSpec& spec = cmd->spec;
  if (spec.flags & kExclusive) return false;
  if (spec.flags & (kNoKeyspace | kShardWalk)) return true;
  storage::Database& d = keyspace.db(db);
  ForEachKeyIndex(spec, args, [&](int i) {
    uint64_t hash = storage::HashKey(args[i]);
    if (memo != nullptr && memo->data == nullptr) *memo = {args[i].data(), args[i].size(), hash};
    locks->Add(db, d.ShardOf(hash));
  });
  return true;
}

// Redis answers a rejected EXEC (wrong arity, NOAUTH, ...) with EXECABORT and the reason, and
// discards the transaction (execCommandAbort).
static std::string ExecAbortError(std::string_view error) {
  if (error.substr(0, 4) == "ERR ") error.remove_prefix(4);
  std::string message = "EXECABORT Transaction discarded because of: " + std::string(error);
  // Shared Redis errors such as NOAUTH end in "\r\n", which the formatter turns into spaces.
  if (error == errors::kNoAuth) message += "  ";
  return message;
}

bool Dispatcher::ScriptBusy() const {
  int64_t started = server_.script_state.started_ms.load(std::memory_order_relaxed);
  if (started == 0) return false;
  int64_t threshold = server_.config->busy_reply_threshold();
  return threshold > 0 && SteadyMs() - started >= threshold;
}

void Dispatcher::AbortExec(ClientState& client, protocol::ReplyBuilder& reply,
                           const std::string& error) {
  client.in_multi = false;
  client.multi_error = false;
  client.queued.clear();
  if (client.info) client.info->multi.store(-1);
  UnwatchAllKeys(server_, worker_id_, client);
  reply.Error(ExecAbortError(error));
}

void Dispatcher::ReplyBusy(ClientState& client, protocol::ReplyBuilder& reply, const Command* cmd) {
  WorkerStats::Bump(stats_.per_command[cmd->id].rejected_calls);
  WorkerStats::Bump(stats_.error_replies);
  std::string error = server_.script_state.is_eval.load()
                          ? "BUSY Redis is busy running a script. You can only call SCRIPT KILL "
                            "or SHUTDOWN NOSAVE."
                          : "BUSY Redis is busy running a script. You can only call FUNCTION "
                            "KILL or SHUTDOWN NOSAVE.";
  // A rejected EXEC discards its transaction (Redis's flagTransaction + execCommandAbort).
  if (client.in_multi && std::string_view(cmd->spec.name) == "exec") {
    return AbortExec(client, reply, error);
  }
  if (client.in_multi) client.multi_error = true;
  reply.Error(error);
}

int64_t Dispatcher::RetryAtWhileScriptRuns(const ClientState& client, const Command* cmd) const {
  if (!(cmd->spec.flags & kAllowBusy)) return 0;
  int64_t started = server_.script_state.started_ms.load(std::memory_order_relaxed);
  if (started == 0) return 0;
  std::string_view name = cmd->spec.name;
  if (name == "script|kill" || name == "function|kill") {
    // SCRIPT KILL / FUNCTION KILL: in Redis the kill is not even read before the script passes
    // the threshold; it then kills it, or finds it ended (NOTBUSY).
    int64_t threshold = server_.config->busy_reply_threshold();
    if (threshold > 0 && SteadyMs() - started < threshold) return started + threshold;
    return 0;
  }
  // WATCH, and the commands that drop watched keys, need the ExecLock the script holds. On the
  // script's own thread (the hook serving events) they run at once, as in Redis; a client on
  // another worker waits for the script, parked, instead of its worker waiting on the lock.
  if (ExecLock::HeldExclusivelyHere()) return 0;
  bool needs_lock = name == "watch" || (!client.watched.empty() && (name == "unwatch" ||
                                                                   name == "discard" ||
                                                                   name == "reset"));
  return needs_lock ? SteadyMs() + 2 : 0;
}

void Dispatcher::PollWhileScriptBusy() {
  if (!poll_events_ || polling_ || !ScriptBusy()) return;
  polling_ = true;
  poll_events_();
  polling_ = false;
}

void Dispatcher::Dispatch(ClientState& client, protocol::ReplyBuilder& reply,
                          const std::vector<std::string_view>& args) {
  // A command served from inside a busy script's hook: the script's own client may have
  // invalidations waiting to follow its reply; keep them apart from this client's.
  std::string outer_deferred;
  bool nested = ExecLock::HeldExclusivelyHere();
  if (nested) outer_deferred.swap(*CurrentClientScope::Deferred());
  {
    CurrentClientScope current(client.info ? client.info->id : 0, &reply);
    DispatchOne(client, reply, args);
  }
  // Tracking invalidations for the client itself follow its reply, as in Redis.
  std::string* deferred = CurrentClientScope::Deferred();
  if (!deferred->empty()) {
    reply.Raw(*deferred);
    deferred->clear();
  }
  if (nested) {
    outer_deferred.swap(*deferred);
    return;  // blocked clients are served once the script has finished (ServeReadyKeys)
  }
  if (!ready_keys_.empty()) ServeReadyKeys();
  // BCAST invalidations of everything this command (and the pops it woke) modified.
  server_.tracking.FlushBroadcasts();
}

void Dispatcher::DispatchOne(ClientState& client, protocol::ReplyBuilder& reply,
                             const std::vector<std::string_view>& args) {
  std::string error;
  const Command* cmd = Resolve(args, &error);
  if (cmd != nullptr && !ArityOk(cmd, args.size())) {
    error = errors::WrongArity(cmd->full_name());
    WorkerStats::Bump(stats_.per_command[cmd->id].rejected_calls);
    cmd = nullptr;
  }
  if (cmd != nullptr && !client.authenticated && !(cmd->spec.flags & kNoAuth)) {
    error = errors::kNoAuth;
    WorkerStats::Bump(stats_.per_command[cmd->id].rejected_calls);
    cmd = nullptr;
  }
  if (cmd != nullptr && client.in_multi && (cmd->spec.flags & kNoMulti)) {
    error = "ERR Command not allowed inside a transaction";
    WorkerStats::Bump(stats_.per_command[cmd->id].rejected_calls);
    cmd = nullptr;
  }
  // maxmemory (Redis's processCommand): evict before the command takes any lock; refuse it
  // when memory stays over the limit and it may grow memory.
  bool drop_new_key = false;
  // Not while a busy script serves events from its hook (Redis skips eviction then too).
  if (cmd != nullptr && server_.config->maxmemory() > 0 && !ExecLock::HeldExclusivelyHere() &&
      !server_.eviction->BeforeCommand(worker_id_, cmd, args, client.db, client.in_multi,
                                       client.queued, NowMs(), &drop_new_key)) {
    error = errors::kOom;
    WorkerStats::Bump(stats_.per_command[cmd->id].rejected_calls);
    cmd = nullptr;
  }
  if (cmd != nullptr && !client.resp3 && client.subscribed() && !AllowedWhileSubscribed(cmd)) {
    error = "ERR Can't execute '" + cmd->full_name() +
            "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this "
            "context";
    WorkerStats::Bump(stats_.per_command[cmd->id].rejected_calls);
    cmd = nullptr;
  }
  // A MONITOR client counts as a replica in Redis: it may not touch the keyspace.
  if (cmd != nullptr && client.monitor && (cmd->spec.flags & (kReadonly | kWrite | kMayReplicate))) {
    error = "ERR Replica can't interact with the keyspace";
    WorkerStats::Bump(stats_.per_command[cmd->id].rejected_calls);
    cmd = nullptr;
  }
  if (cmd == nullptr) {
    WorkerStats::Bump(stats_.error_replies);
    const Command* named = CommandTable::Get().Find(args[0]);
    if (named != nullptr && std::string_view(named->spec.name) == "exec") {
      return AbortExec(client, reply, error);
    }
    // Redis discards a transaction whose queueing saw a rejected command.
    if (client.in_multi) client.multi_error = true;
    reply.Error(error);
    return;
  }
  if (client.info) client.info->last_command.store(cmd, std::memory_order_relaxed);
  // A script past busy-reply-threshold: only the commands Redis allows then (SCRIPT KILL, ...).
  auto busy = [this, cmd]() { return !(cmd->spec.flags & kAllowBusy) && ScriptBusy(); };
  if (busy()) return ReplyBusy(client, reply, cmd);

  if (client.in_multi && !IsMultiControl(cmd)) {
    client.queued.emplace_back(args.begin(), args.end());
    if (client.info) client.info->multi.store(static_cast<int>(client.queued.size()));
    reply.SimpleString("QUEUED");
    return;
  }
  if (int64_t retry_at = RetryAtWhileScriptRuns(client, cmd); retry_at != 0) {
    client.retry_at_ms = retry_at;  // the connection parks the command and tries it again
    return;
  }

  if (cmd->spec.flags & kExclusive) {
    if (!server_.exec_lock.LockExclusiveUnlessBusy(busy)) return ReplyBusy(client, reply, cmd);
    RunLocked(client, reply, cmd, args, /*exclusive=*/true);
    server_.exec_lock.UnlockExclusive();
    return;
  }
  if (cmd->spec.flags & kNoKeyspace) {
    // Needs no lock, or takes its own (EXEC, UNWATCH).
    RunLocked(client, reply, cmd, args, /*exclusive=*/false);
    return;
  }
  if (!server_.exec_lock.LockSharedUnlessBusy(worker_id_, busy)) {
    return ReplyBusy(client, reply, cmd);
  }
  ShardLockSet locks(server_.keyspace);
  KeyHashMemo memo;
  AddKeyShards(cmd, args, server_.keyspace, client.db, &locks, &memo);
  locks.Lock();
  if (server_.eviction->records_access()) server_.eviction->RecordAccess(cmd, args, client.db);
  RunLocked(client, reply, cmd, args, /*exclusive=*/false, &memo);
  locks.Unlock();
  server_.exec_lock.UnlockShared(worker_id_);
  if (drop_new_key) {
    // TinyLFU refused the new key admission: it goes instead of an LRU victim.
    server_.eviction->AfterCommand(worker_id_, args[cmd->spec.first_key], client.db, NowMs());
  }
}

void Dispatcher::RememberTrackedKeys(ClientState& client, const Command* cmd,
                                     const std::vector<std::string_view>& args) {
  // Redis's trackingRememberKeys: not in BCAST mode, and OPTIN/OPTOUT decide with CACHING.
  if (client.tracking_bcast || (cmd->spec.flags & kPubsub)) return;
  if ((client.tracking_optin && !client.caching_given) ||
      (client.tracking_optout && client.caching_given)) {
    return;
  }
  const CommandSpec& spec = cmd->spec;
  if (spec.first_key <= 0) return;
  int argc = static_cast<int>(args.size());
  int last = spec.last_key < 0 ? argc + spec.last_key : spec.last_key;
  if (last >= argc) last = argc - 1;
  std::vector<std::string_view> keys;
  for (int i = spec.first_key; i <= last; i += spec.key_step) keys.push_back(args[i]);
  if (!keys.empty()) {
    server_.tracking.RememberKeys(
        client.info->id, keys, static_cast<size_t>(server_.config->tracking_table_max_keys()));
  }
}

void Dispatcher::SignalKeyReady(int db, std::string_view key) {
  if (server_.blocking.empty()) return;
  std::string k(key);
  if (server_.blocking.HasWaiters(db, k)) ready_keys_.emplace_back(db, std::move(k));
}

void Dispatcher::ServeReadyKeys() {
  // Serving may pop for a waiter whose own command pushes elsewhere (BLMOVE), so loop until no
  // key is left.
  server_.exec_lock.LockShared(worker_id_);
  while (!ready_keys_.empty()) {
    auto [db, key] = std::move(ready_keys_.back());
    ready_keys_.pop_back();
    server_.blocking.ServeKey(server_.keyspace, db, key, NowMs());
  }
  server_.exec_lock.UnlockShared(worker_id_);
}

void Dispatcher::RunLocked(ClientState& client, protocol::ReplyBuilder& reply,
                           const Command* cmd, const std::vector<std::string_view>& args,
                           bool exclusive, const KeyHashMemo* memo) {
  auto start = std::chrono::steady_clock::now();
  CommandContext ctx(args, reply, client, server_, stats_, cmd, NowMs(), exclusive);
  ctx.dispatcher = this;
  if (memo != nullptr) ctx.key_memo = *memo;
  cmd->spec.handler(ctx);
  if (client.tracking && (cmd->spec.flags & kReadonly)) RememberTrackedKeys(client, cmd, args);
  // CLIENT CACHING applies to the one command after it (a whole transaction, when queued).
  if (client.caching_given && !client.in_multi && !client.in_exec &&
      (cmd->parent == nullptr || std::string_view(cmd->parent->spec.name) != "client")) {
    client.caching_given = false;
  }
  auto usec = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
  if (server_.monitors.active() && !(cmd->spec.flags & (kAdmin | kSkipMonitor))) {
    // After the command, as Redis's call() does: SELECT shows its new database, and EXEC
    // comes after the commands it ran.
    server_.monitors.Feed(client, args);
  }
  CommandStats& cs = stats_.per_command[cmd->id];
  WorkerStats::Bump(stats_.commands_processed);
  WorkerStats::Bump(cs.calls);
  WorkerStats::Bump(cs.usec, static_cast<uint64_t>(usec));
  if (ctx.failed) {
    WorkerStats::Bump(cs.failed_calls);
    WorkerStats::Bump(stats_.error_replies);
  }
}

}  // namespace stash::server
