// Expiry commands, as Redis 7.0's expire.c: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (with NX, XX,
// GT, LT), TTL, PTTL, EXPIRETIME, PEXPIRETIME and PERSIST. Expiry times are stored on the entry
// as absolute unix milliseconds; the shard deletes a key lazily once its time has come.
#include <climits>
#include <cstdint>
#include <string>

#include "protocol/numbers.h"
#include "server/command_context.h"
#include "server/commands/keys.h"
#include "server/commands/lookup.h"
#include "server/errors.h"
#include "storage/access_policy.h"

namespace stash::server {
namespace {

using storage::Entry;

enum ExpireFlags : unsigned {
  kExpireNx = 1 << 0,
  kExpireXx = 1 << 1,
  kExpireGt = 1 << 2,
  kExpireLt = 1 << 3,
};

// parseExtendedExpireArgumentsOrReply: every option is read (the first unknown one is the
// error) before the combinations are checked, and all of it before the time argument.
bool ParseExpireFlags(CommandContext& ctx, unsigned* flags) {
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    std::string_view opt = ctx.args[j];
    if (IsOption(opt, "nx")) {
      *flags |= kExpireNx;
    } else if (IsOption(opt, "xx")) {
      *flags |= kExpireXx;
    } else if (IsOption(opt, "gt")) {
      *flags |= kExpireGt;
    } else if (IsOption(opt, "lt")) {
      *flags |= kExpireLt;
    } else {
      ctx.Error("ERR Unsupported option " + std::string(CStr(opt)));
      return false;
    }
  }
  if ((*flags & kExpireNx) && (*flags & (kExpireXx | kExpireGt | kExpireLt))) {
    ctx.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return false;
  }
  if ((*flags & kExpireGt) && (*flags & kExpireLt)) {
    ctx.Error("ERR GT and LT options at the same time are not compatible");
    return false;
  }
  return true;
}

// expireGenericCommand: basetime is 0 for the *AT variants and the current time otherwise.
void ExpireGeneric(CommandContext& ctx, int64_t basetime, bool seconds) {
  unsigned flags = 0;
  if (!ParseExpireFlags(ctx, &flags)) return;
  int64_t when;
  if (!protocol::StringToInt64(ctx.args[2], &when)) return ctx.Error(errors::kNotInteger);
  // Negative times are allowed (they delete the key); only overflow is an error.
  if (seconds) {
    if (when > INT64_MAX / 1000 || when < INT64_MIN / 1000) {
      return ctx.Error(errors::InvalidExpireTime(ctx.command->full_name()));
    }
    when *= 1000;
  }
  if (when > INT64_MAX - basetime) {
    return ctx.Error(errors::InvalidExpireTime(ctx.command->full_name()));
  }
  when += basetime;

  KeyRef k = ctx.Key(ctx.args[1]);
  Entry e = LookupWrite(ctx, k);
  if (!e) {
    ctx.reply.Integer(0);
    return;
  }
  if (flags) {
    int64_t current = e.expiry_ms();  // kNoExpiry (-1) as Redis's getExpire
    bool has_ttl = current != storage::kNoExpiry;
    // GT treats "no TTL" as infinite, so it always fails then; LT always succeeds then.
    if (((flags & kExpireNx) && has_ttl) || ((flags & kExpireXx) && !has_ttl) ||
        ((flags & kExpireGt) && (!has_ttl || when <= current)) ||
        ((flags & kExpireLt) && has_ttl && when >= current)) {
      ctx.reply.Integer(0);
      return;
    }
  }
  if (when <= ctx.now_ms) {
    // A time in the past deletes the key (and still counts as success).
    k.shard->Erase(k.key, k.hash, ctx.now_ms);
    ctx.Notify(kNotifyGeneric, "del", k.key);
  } else {
    k.shard->SetExpiry(k.key, k.hash, e, when);
  }
  ctx.reply.Integer(1);
  // Redis replies before this event (the deletion's "del" above comes first).
  if (when > ctx.now_ms) ctx.Notify(kNotifyGeneric, "expire", k.key);
}

void ExpireCommand(CommandContext& ctx) { ExpireGeneric(ctx, ctx.now_ms, /*seconds=*/true); }
void PexpireCommand(CommandContext& ctx) { ExpireGeneric(ctx, ctx.now_ms, /*seconds=*/false); }
void ExpireatCommand(CommandContext& ctx) { ExpireGeneric(ctx, 0, /*seconds=*/true); }
void PexpireatCommand(CommandContext& ctx) { ExpireGeneric(ctx, 0, /*seconds=*/false); }

// ttlGenericCommand: -2 for a missing key, -1 without TTL, else the remaining time (or, for
// the *EXPIRETIME variants, the absolute time), seconds rounded to the nearest.
void TtlGeneric(CommandContext& ctx, bool milliseconds, bool absolute) {
  KeyRef k = ctx.Key(ctx.args[1]);
  Entry e = LookupNoTouch(ctx, k);
  if (!e) {
    ctx.reply.Integer(-2);
    return;
  }
  int64_t expire = e.expiry_ms();
  if (expire == storage::kNoExpiry) {
    ctx.reply.Integer(-1);
    return;
  }
  int64_t ttl = absolute ? expire : expire - ctx.now_ms;
  if (ttl < 0) ttl = 0;
  // ttl >= 0: rounding in unsigned arithmetic cannot overflow, and gives what redis-server
  // prints for a TTL near LLONG_MAX (where its signed ttl + 500 overflows).
  ctx.reply.Integer(milliseconds ? ttl
                                 : static_cast<int64_t>((static_cast<uint64_t>(ttl) + 500) / 1000));
}

void TtlCommand(CommandContext& ctx) { TtlGeneric(ctx, false, false); }
void PttlCommand(CommandContext& ctx) { TtlGeneric(ctx, true, false); }
void ExpiretimeCommand(CommandContext& ctx) { TtlGeneric(ctx, false, true); }
void PexpiretimeCommand(CommandContext& ctx) { TtlGeneric(ctx, true, true); }

void PersistCommand(CommandContext& ctx) {
  KeyRef k = ctx.Key(ctx.args[1]);
  Entry e = LookupWrite(ctx, k);
  if (!e) {
    ctx.reply.Integer(0);
    return;
  }
  // Only an actual change is a modification (WATCH): a key without TTL is left untouched.
  if (!e.has_expiry()) {
    ctx.reply.Integer(0);
    return;
  }
  k.shard->SetExpiry(k.key, k.hash, e, storage::kNoExpiry);
  ctx.Notify(kNotifyGeneric, "persist", k.key);
  ctx.reply.Integer(1);
}

}  // namespace

void RegisterExpireCommands(CommandTable& table) {
  constexpr uint32_t kSetFlags = kWrite | kFast;
  constexpr uint32_t kGetFlags = kReadonly | kFast;
  constexpr const char* kNondeterministic = "nondeterministic_output";
  table.Add({"expire", -3, kSetFlags, 1, 1, 1, ExpireCommand, "generic",
             "Set a key's time to live in seconds", "1.0.0", "O(1)", "keyspace write fast", nullptr,
             "RW update"});
  table.Add({"pexpire", -3, kSetFlags, 1, 1, 1, PexpireCommand, "generic",
             "Set a key's time to live in milliseconds", "2.6.0", "O(1)", "keyspace write fast",
             nullptr, "RW update"});
  table.Add({"expireat", -3, kSetFlags, 1, 1, 1, ExpireatCommand, "generic",
             "Set the expiration for a key as a UNIX timestamp", "1.2.0", "O(1)",
             "keyspace write fast", nullptr, "RW update"});
  table.Add({"pexpireat", -3, kSetFlags, 1, 1, 1, PexpireatCommand, "generic",
             "Set the expiration for a key as a UNIX timestamp specified in milliseconds", "2.6.0",
             "O(1)", "keyspace write fast", nullptr, "RW update"});
  table.Add({"ttl", 2, kGetFlags, 1, 1, 1, TtlCommand, "generic",
             "Get the time to live for a key in seconds", "1.0.0", "O(1)", "keyspace read fast",
             kNondeterministic, "RO access"});
  table.Add({"pttl", 2, kGetFlags, 1, 1, 1, PttlCommand, "generic",
             "Get the time to live for a key in milliseconds", "2.6.0", "O(1)",
             "keyspace read fast", kNondeterministic, "RO access"});
  table.Add({"expiretime", 2, kGetFlags, 1, 1, 1, ExpiretimeCommand, "generic",
             "Get the expiration Unix timestamp for a key", "7.0.0", "O(1)", "keyspace read fast",
             nullptr, "RO access"});
  table.Add({"pexpiretime", 2, kGetFlags, 1, 1, 1, PexpiretimeCommand, "generic",
             "Get the expiration Unix timestamp for a key in milliseconds", "7.0.0", "O(1)",
             "keyspace read fast", nullptr, "RO access"});
  table.Add({"persist", 2, kSetFlags, 1, 1, 1, PersistCommand, "generic",
             "Remove the expiration from a key", "2.2.0", "O(1)", "keyspace write fast", nullptr,
             "RW update"});
}

}  // namespace stash::server
