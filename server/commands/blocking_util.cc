#include "server/commands/blocking_util.h"

#include <climits>
#include <cmath>
#include <memory>

#include "protocol/numbers.h"
#include "server/blocking.h"

namespace stash::server {

// Redis 7.0's getTimeoutFromObjectOrReply(UNIT_SECONDS): seconds with decimals, rounded up to
// whole ms; 0 = forever. Redis converts with a plain cast, so on x86 anything too large for a long long
// (1e400, inf) turns negative and is refused as "timeout is negative"; we give the same answer.
// *deadline_ms is absolute unix ms, or 0 for no timeout.
bool ParseBlockingTimeout(CommandContext& ctx, std::string_view arg, int64_t* deadline_ms) {
  long double seconds;
  if (!protocol::StringToLongDouble(arg, &seconds)) {
    ctx.Error("ERR timeout is not a float or out of range");
    return false;
  }
  long double ms = ceill(seconds * 1000.0L);
  int64_t tval = ms >= 9223372036854775807.0L || ms < -9223372036854775807.0L
                     ? INT64_MIN
                     : static_cast<int64_t>(ms);
  if (tval < 0) {
    ctx.Error("ERR timeout is negative");
    return false;
  }
  if (tval > 0) {
    if (tval > INT64_MAX - ctx.now_ms) {
      ctx.Error("ERR timeout is out of range");
      return false;
    }
    tval += ctx.now_ms;
  }
  *deadline_ms = tval;
  return true;
}

void BlockClient(CommandContext& ctx, std::vector<std::string> keys,
                 std::vector<std::string> extra_keys, int64_t deadline_ms, ServeFunction serve) {
  auto waiter = std::make_shared<Waiter>();
  waiter->client_id = ctx.client.info ? ctx.client.info->id : 0;
  waiter->db = ctx.client.db;
  waiter->resp3 = ctx.client.resp3;
  waiter->keys = std::move(keys);
  waiter->extra_keys = std::move(extra_keys);
  // Every blocked command of Redis 7.0 answers a timeout with a null array.
  waiter->timeout_reply = ctx.client.resp3 ? "_\r\n" : "*-1\r\n";
  waiter->serve = std::move(serve);
  waiter->deliver = ctx.client.deliver_reply;
  ctx.server.blocking.Add(waiter);
  ctx.client.blocked = std::move(waiter);
  ctx.client.block_deadline_ms = deadline_ms;
}

}  // namespace stash::server
