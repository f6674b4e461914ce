// Arguments of the pops of lists and sorted sets: the "numkeys key [key ...]" of LMPOP, BLMPOP,
// ZMPOP and BZMPOP, the side to pop from, and the optional COUNT that ends them.
#ifndef STASH_SERVER_COMMANDS_POP_ARGS_H_
#define STASH_SERVER_COMMANDS_POP_ARGS_H_

#include <cstdint>
#include <string_view>

#include "protocol/numbers.h"
#include "server/command_context.h"
#include "server/commands/option.h"
#include "server/errors.h"
#include "storage/types/list_value.h"

namespace stash::server {

// numkeys at args[numkeys_at], as mpopGenericCommand reads it (getRangeLongFromObjectOrReply
// from 1, then an argument must follow the keys): *where_at is the index of that argument
// (LEFT|RIGHT or MIN|MAX). Replies Redis's error and returns false otherwise.
inline bool ParseMpopKeys(CommandContext& ctx, size_t numkeys_at, size_t* where_at) {
  int64_t numkeys;
  if (!protocol::StringToInt64(ctx.args[numkeys_at], &numkeys) || numkeys < 1) {
    ctx.Error("ERR numkeys should be greater than 0");
    return false;
  }
  if (static_cast<uint64_t>(numkeys) >= ctx.args.size() - numkeys_at - 1) {
    ctx.Error(errors::kSyntax);
    return false;
  }
  *where_at = numkeys_at + 1 + static_cast<size_t>(numkeys);
  return true;
}

// The optional "COUNT n" that ends LMPOP, BLMPOP, ZMPOP and BZMPOP, from args[from] on: *count
// is 1 when absent. Replies Redis's error and returns false otherwise.
inline bool ParseMpopCount(CommandContext& ctx, size_t from, int64_t* count) {
  const auto& args = ctx.args;
  *count = -1;
  for (size_t j = from; j < args.size(); ++j) {
    if (*count == -1 && IsOption(args[j], "count") && j + 1 < args.size()) {
      ++j;
      if (!protocol::StringToInt64(args[j], count) || *count < 1) {
        ctx.Error("ERR count should be greater than 0");
        return false;
      }
    } else {
      ctx.Error(errors::kSyntax);
      return false;
    }
  }
  if (*count == -1) *count = 1;
  return true;
}

// getListPositionFromObjectOrReply without the reply: LEFT or RIGHT.
inline bool ParseListEnd(std::string_view arg, storage::ListValue::End* end) {
  if (IsOption(arg, "left")) {
    *end = storage::ListValue::End::kHead;
  } else if (IsOption(arg, "right")) {
    *end = storage::ListValue::End::kTail;
  } else {
    return false;
  }
  return true;
}

// ZMPOP's and BZMPOP's MIN or MAX: *max tells which.
inline bool ParseMinMax(std::string_view arg, bool* max) {
  if (IsOption(arg, "min")) {
    *max = false;
  } else if (IsOption(arg, "max")) {
    *max = true;
  } else {
    return false;
  }
  return true;
}

}  // namespace stash::server

#endif  // STASH_SERVER_COMMANDS_POP_ARGS_H_
