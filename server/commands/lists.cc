// List commands, as Redis 7.0's t_list.c. The value itself (a quicklist-like deque of compact
// nodes) is storage::ListValue; blocking variants are built elsewhere on its Push/Pop.
//
// Hit/miss accounting follows Redis: LLEN, LINDEX, LRANGE and LPOS look their key up with
// lookupKeyRead (counted); every other command here uses lookupKeyWrite (not counted). Both
// refresh the LRU clock. Argument errors are reported before or after the lookup exactly where
// Redis checks them (LINDEX and LSET parse the index only after finding the key).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

#include "protocol/numbers.h"
#include "server/command_context.h"
#include "server/commands/keys.h"
#include "server/commands/lookup.h"
#include "server/commands/pop_args.h"
#include "server/errors.h"
#include "storage/access_policy.h"
#include "storage/types/list_value.h"

namespace stash::server {
namespace {

using storage::Entry;
using storage::ListValue;
using storage::ValueType;
using End = storage::ListValue::End;

constexpr std::string_view kNotPositive = "ERR value is out of range, must be positive";
constexpr std::string_view kIndexOutOfRange = "ERR index out of range";

// A list key as a command sees it: the value is null when the key is missing.
struct ListRef {
  KeyRef k;
  ListValue* list = nullptr;
};

// lookupKeyRead/lookupKeyWrite + checkType: false after replying WRONGTYPE.
bool FindList(CommandContext& ctx, std::string_view key, bool read, ListRef* out) {
  out->k = ctx.Key(key);
  return LookupTyped(ctx, out->k, read, ValueType::kList, &out->list);
}

// A new empty list at r.k (Redis's createQuicklistObject + dbAdd), with the node size in force.
ListValue* CreateList(CommandContext& ctx, ListRef* r) {
  auto value = std::make_unique<ListValue>(ctx.server.config->list_max_listpack_size());
  r->list = value.get();
  r->k.shard->PutObject(r->k.key, r->k.hash, ValueType::kList, std::move(value),
                        storage::kNoExpiry);
  return r->list;
}

// signalModifiedKey and the command's keyspace event, then dbDelete (and "del") when the list
// became empty (Redis keeps no empty lists).
void Modified(CommandContext& ctx, const ListRef& r, std::string_view event) {
  bool empty = r.list->empty();
  if (empty) {
    r.k.shard->Erase(r.k.key, r.k.hash, ctx.now_ms);
  } else {
    r.k.shard->Touch(r.k.key);
  }
  ctx.Notify(kNotifyList, event, r.k.key);
  if (empty) ctx.Notify(kNotifyGeneric, "del", r.k.key);
}

std::string_view PopEvent(End end) { return end == End::kHead ? "lpop" : "rpop"; }

// After a push: clients blocked on the key may now be served.
void Pushed(CommandContext& ctx, std::string_view key) {
  if (ctx.dispatcher != nullptr) ctx.KeyReady(key);
}

// getLongFromObjectOrReply; `message` replaces the generic error when given.
bool ParseLong(CommandContext& ctx, std::string_view arg, int64_t* out,
               std::string_view message = errors::kNotInteger) {
  if (!protocol::StringToInt64(arg, out)) {
    ctx.Error(message);
    return false;
  }
  return true;
}

// Replies with the n elements at one end, in pop order (addListRangeReply, reversed for the
// tail), then removes them.
void PopRangeReply(CommandContext& ctx, ListValue* list, End end, size_t n) {
  n = std::min(n, list->size());
  ctx.reply.ArrayHeader(n);
  bool tail = end == End::kTail;
  list->Visit(tail ? list->size() - n : 0, n, tail, [&](std::string_view v) {
    ctx.reply.Bulk(v);
    return true;
  });
  list->Erase(end, n);
}

// ---- Push ----------------------------------------------------------------------------------

// pushGenericCommand; `xx` for LPUSHX/RPUSHX, which only push to an existing list.
void PushGeneric(CommandContext& ctx, End end, bool xx) {
  ListRef r;
  if (!FindList(ctx, ctx.args[1], false, &r)) return;
  if (r.list == nullptr) {
    if (xx) {
      ctx.reply.Integer(0);
      return;
    }
    CreateList(ctx, &r);
  }
  for (size_t j = 2; j < ctx.args.size(); ++j) r.list->Push(end, ctx.args[j]);
  ctx.reply.Integer(static_cast<int64_t>(r.list->size()));
  Modified(ctx, r, end == End::kHead ? "lpush" : "rpush");
  Pushed(ctx, r.k.key);
}

void LpushCommand(CommandContext& ctx) { PushGeneric(ctx, End::kHead, false); }
void RpushCommand(CommandContext& ctx) { PushGeneric(ctx, End::kTail, false); }
void LpushxCommand(CommandContext& ctx) { PushGeneric(ctx, End::kHead, true); }
void RpushxCommand(CommandContext& ctx) { PushGeneric(ctx, End::kTail, true); }

void LinsertCommand(CommandContext& ctx) {
  bool after;
  if (IsOption(ctx.args[2], "after")) {
    after = true;
  } else if (IsOption(ctx.args[2], "before")) {
    after = false;
  } else {
    ctx.Error(errors::kSyntax);
    return;
  }
  ListRef r;
  if (!FindList(ctx, ctx.args[1], false, &r)) return;
  if (r.list == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  if (!r.list->Insert(ctx.args[3], ctx.args[4], after)) {
    ctx.reply.Integer(-1);
    return;
  }
  Modified(ctx, r, "linsert");
  ctx.reply.Integer(static_cast<int64_t>(r.list->size()));
}

// ---- Pop -----------------------------------------------------------------------------------

// popGenericCommand: LPOP/RPOP key [count].
void PopGeneric(CommandContext& ctx, End end) {
  if (ctx.args.size() > 3) {
    ctx.Error(errors::WrongArity(ctx.command->full_name()));
    return;
  }
  bool has_count = ctx.args.size() == 3;
  int64_t count = 0;
  // getPositiveLongFromObjectOrReply: a non-number gets the same message as a negative one.
  if (has_count && (!ParseLong(ctx, ctx.args[2], &count, kNotPositive) || count < 0)) {
    if (!ctx.failed) ctx.Error(kNotPositive);
    return;
  }
  ListRef r;
  if (!FindList(ctx, ctx.args[1], false, &r)) return;
  if (r.list == nullptr) {
    if (has_count) {
      ctx.reply.NullArray();
    } else {
      ctx.reply.Null();
    }
    return;
  }
  if (has_count && count == 0) {
    ctx.reply.EmptyArray();
    return;
  }
  if (!has_count) {
    std::string value;
    r.list->Pop(end, &value);
    ctx.reply.Bulk(value);
  } else {
    PopRangeReply(ctx, r.list, end, static_cast<size_t>(count));
  }
  Modified(ctx, r, PopEvent(end));
}

void LpopCommand(CommandContext& ctx) { PopGeneric(ctx, End::kHead); }
void RpopCommand(CommandContext& ctx) { PopGeneric(ctx, End::kTail); }

// lmoveGenericCommand: pops from the source, pushes to the destination (which may be the same
// list: LMOVE k k LEFT RIGHT rotates it).
void MoveGeneric(CommandContext& ctx, End from, End to) {
  ListRef src;
  if (!FindList(ctx, ctx.args[1], false, &src)) return;
  if (src.list == nullptr) {
    ctx.reply.Null();
    return;
  }
  ListRef dst;
  if (!FindList(ctx, ctx.args[2], false, &dst)) return;
  std::string value;
  src.list->Pop(from, &value);
  // The source is deleted only after the push, so with the same key dst.list is still alive.
  if (dst.list == nullptr) CreateList(ctx, &dst);
  dst.list->Push(to, value);
  dst.k.shard->Touch(dst.k.key);
  ctx.Notify(kNotifyList, to == End::kHead ? "lpush" : "rpush", dst.k.key);
  Pushed(ctx, dst.k.key);
  ctx.reply.Bulk(value);
  Modified(ctx, src, PopEvent(from));
}

void LmoveCommand(CommandContext& ctx) {
  End from, to;
  if (!ParseListEnd(ctx.args[3], &from) || !ParseListEnd(ctx.args[4], &to)) {
    return ctx.Error(errors::kSyntax);
  }
  MoveGeneric(ctx, from, to);
}

void RpoplpushCommand(CommandContext& ctx) { MoveGeneric(ctx, End::kTail, End::kHead); }

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] (lmpopGenericCommand + mpopGenericCommand).
void LmpopCommand(CommandContext& ctx) {
  const auto& args = ctx.args;
  size_t where_idx;
  if (!ParseMpopKeys(ctx, 1, &where_idx)) return;
  End end;
  if (!ParseListEnd(args[where_idx], &end)) return ctx.Error(errors::kSyntax);
  int64_t count;
  if (!ParseMpopCount(ctx, where_idx + 1, &count)) return;
  for (size_t j = 2; j < where_idx; ++j) {
    ListRef r;
    if (!FindList(ctx, args[j], false, &r)) return;
    if (r.list == nullptr) continue;
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(r.k.key);
    PopRangeReply(ctx, r.list, end, static_cast<size_t>(count));
    Modified(ctx, r, PopEvent(end));
    return;
  }
  ctx.reply.NullArray();
}

// ---- Read ----------------------------------------------------------------------------------

void LlenCommand(CommandContext& ctx) {
  ListRef r;
  if (!FindList(ctx, ctx.args[1], true, &r)) return;
  ctx.reply.Integer(r.list == nullptr ? 0 : static_cast<int64_t>(r.list->size()));
}

void LindexCommand(CommandContext& ctx) {
  ListRef r;
  if (!FindList(ctx, ctx.args[1], true, &r)) return;
  if (r.list == nullptr) {
    ctx.reply.Null();
    return;
  }
  int64_t index;
  if (!ParseLong(ctx, ctx.args[2], &index)) return;
  std::string value;
  if (r.list->Get(index, &value)) {
    ctx.reply.Bulk(value);
  } else {
    ctx.reply.Null();
  }
}

// Redis's range arithmetic for LRANGE and LTRIM: false when the range is empty, else the
// inclusive [*start, *end] clamped into the list.
bool ClampRange(int64_t start, int64_t end, int64_t llen, int64_t* out_start, int64_t* out_end) {
  if (start < 0) start = llen + start;
  if (end < 0) end = llen + end;
  if (start < 0) start = 0;
  if (start > end || start >= llen) return false;
  if (end >= llen) end = llen - 1;
  *out_start = start;
  *out_end = end;
  return true;
}

void LrangeCommand(CommandContext& ctx) {
  int64_t start, end;
  if (!ParseLong(ctx, ctx.args[2], &start) || !ParseLong(ctx, ctx.args[3], &end)) return;
  ListRef r;
  if (!FindList(ctx, ctx.args[1], true, &r)) return;
  if (r.list == nullptr) {
    ctx.reply.EmptyArray();
    return;
  }
  if (!ClampRange(start, end, static_cast<int64_t>(r.list->size()), &start, &end)) {
    ctx.reply.EmptyArray();
    return;
  }
  size_t n = static_cast<size_t>(end - start + 1);
  ctx.reply.ArrayHeader(n);
  r.list->Visit(static_cast<size_t>(start), n, false, [&](std::string_view v) {
    ctx.reply.Bulk(v);
    return true;
  });
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
void LposCommand(CommandContext& ctx) {
  const auto& args = ctx.args;
  int64_t rank = 1, count = -1, maxlen = 0;  // count -1: option not given
  for (size_t j = 3; j < args.size(); ++j) {
    bool more = j + 1 < args.size();
    if (IsOption(args[j], "rank") && more) {
      if (!ParseLong(ctx, args[++j], &rank)) return;
      if (rank == 0) {
        ctx.Error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list");
        return;
      }
    } else if (IsOption(args[j], "count") && more) {
      constexpr std::string_view kMsg = "ERR COUNT can't be negative";
      if (!ParseLong(ctx, args[++j], &count, kMsg)) return;
      if (count < 0) {
        ctx.Error(kMsg);
        return;
      }
    } else if (IsOption(args[j], "maxlen") && more) {
      constexpr std::string_view kMsg = "ERR MAXLEN can't be negative";
      if (!ParseLong(ctx, args[++j], &maxlen, kMsg)) return;
      if (maxlen < 0) {
        ctx.Error(kMsg);
        return;
      }
    } else {
      ctx.Error(errors::kSyntax);
      return;
    }
  }
  // A negative rank searches from the tail. Redis negates it in a long, so RANK
  // -9223372036854775808 stays negative: every match then qualifies and COUNT never stops the
  // scan. The unsigned arithmetic below reproduces that wrap-around.
  bool from_tail = rank < 0;
  if (from_tail) rank = static_cast<int64_t>(0 - static_cast<uint64_t>(rank));

  ListRef r;
  if (!FindList(ctx, args[1], true, &r)) return;
  if (r.list == nullptr) {
    if (count != -1) {
      ctx.reply.EmptyArray();
    } else {
      ctx.reply.Null();
    }
    return;
  }
  int64_t llen = static_cast<int64_t>(r.list->size());
  int64_t index = 0, matches = 0, match_index = -1, array_len = 0;
  size_t mark = count != -1 ? ctx.reply.BeginDeferredArray() : 0;
  // Elements read back byte for byte, so comparing their text is Redis's lpCompare.
  r.list->Visit(0, r.list->size(), from_tail, [&](std::string_view v) {
    if (maxlen != 0 && index >= maxlen) return false;
    if (v == args[2]) {
      ++matches;
      match_index = from_tail ? llen - index - 1 : index;
      if (matches >= rank) {
        if (count == -1) return false;
        ++array_len;
        ctx.reply.Integer(match_index);
        int64_t seen = static_cast<int64_t>(static_cast<uint64_t>(matches) -
                                            static_cast<uint64_t>(rank) + 1);
        if (count != 0 && seen >= count) return false;
      }
    }
    ++index;
    match_index = -1;  // remembers that the scan ended without a match
    return true;
  });
  if (count != -1) {
    ctx.reply.EndDeferredArray(mark, static_cast<size_t>(array_len));
  } else if (match_index != -1) {
    ctx.reply.Integer(match_index);
  } else {
    ctx.reply.Null();
  }
}

// ---- Edit ----------------------------------------------------------------------------------

void LsetCommand(CommandContext& ctx) {
  ListRef r;
  if (!FindList(ctx, ctx.args[1], false, &r)) return;
  if (r.list == nullptr) {
    ctx.Error(errors::kNoSuchKey);
    return;
  }
  int64_t index;
  if (!ParseLong(ctx, ctx.args[2], &index)) return;
  if (!r.list->Set(index, ctx.args[3])) {
    ctx.Error(kIndexOutOfRange);
    return;
  }
  ctx.reply.Ok();  // Redis replies before the event here
  Modified(ctx, r, "lset");
}

void LtrimCommand(CommandContext& ctx) {
  int64_t start, end;
  if (!ParseLong(ctx, ctx.args[2], &start) || !ParseLong(ctx, ctx.args[3], &end)) return;
  ListRef r;
  if (!FindList(ctx, ctx.args[1], false, &r)) return;
  if (r.list == nullptr) {
    ctx.reply.Ok();
    return;
  }
  int64_t llen = static_cast<int64_t>(r.list->size());
  int64_t ltrim = llen, rtrim = 0;  // an empty range empties the list
  if (ClampRange(start, end, llen, &start, &end)) {
    ltrim = start;
    rtrim = llen - end - 1;
  }
  r.list->Erase(End::kHead, static_cast<size_t>(ltrim));
  r.list->Erase(End::kTail, static_cast<size_t>(rtrim));
  // Redis signals the key as modified even when nothing was trimmed.
  Modified(ctx, r, "ltrim");
  ctx.reply.Ok();
}

void LremCommand(CommandContext& ctx) {
  int64_t count;
  if (!ParseLong(ctx, ctx.args[2], &count)) return;
  ListRef r;
  if (!FindList(ctx, ctx.args[1], false, &r)) return;
  if (r.list == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  size_t removed = r.list->Remove(ctx.args[3], count);
  if (removed > 0) Modified(ctx, r, "lrem");
  ctx.reply.Integer(static_cast<int64_t>(removed));
}

}  // namespace

void RegisterListCommands(CommandTable& table) {
  table.Add({"lpush", -3, kWrite | kDenyOom | kFast, 1, 1, 1, LpushCommand, "list",
             "Prepend one or multiple elements to a list", "1.0.0",
             "O(1) for each element added, so O(N) to add N elements when the command is called "
             "with multiple arguments.",
             "write list fast", nullptr, "RW insert"});
  table.Add({"rpush", -3, kWrite | kDenyOom | kFast, 1, 1, 1, RpushCommand, "list",
             "Append one or multiple elements to a list", "1.0.0",
             "O(1) for each element added, so O(N) to add N elements when the command is called "
             "with multiple arguments.",
             "write list fast", nullptr, "RW insert"});
  table.Add({"lpushx", -3, kWrite | kDenyOom | kFast, 1, 1, 1, LpushxCommand, "list",
             "Prepend an element to a list, only if the list exists", "2.2.0",
             "O(1) for each element added, so O(N) to add N elements when the command is called "
             "with multiple arguments.",
             "write list fast", nullptr, "RW insert"});
  table.Add({"rpushx", -3, kWrite | kDenyOom | kFast, 1, 1, 1, RpushxCommand, "list",
             "Append an element to a list, only if the list exists", "2.2.0",
             "O(1) for each element added, so O(N) to add N elements when the command is called "
             "with multiple arguments.",
             "write list fast", nullptr, "RW insert"});
  table.Add({"lpop", -2, kWrite | kFast, 1, 1, 1, LpopCommand, "list",
             "Remove and get the first elements in a list", "1.0.0",
             "O(N) where N is the number of elements returned", "write list fast", nullptr,
             "RW access delete"});
  table.Add({"rpop", -2, kWrite | kFast, 1, 1, 1, RpopCommand, "list",
             "Remove and get the last elements in a list", "1.0.0",
             "O(N) where N is the number of elements returned", "write list fast", nullptr,
             "RW access delete"});
  table.Add({"llen", 2, kReadonly | kFast, 1, 1, 1, LlenCommand, "list",
             "Get the length of a list", "1.0.0", "O(1)", "read list fast", nullptr, "RO"});
  table.Add({"lrange", 4, kReadonly, 1, 1, 1, LrangeCommand, "list",
             "Get a range of elements from a list", "1.0.0",
             "O(S+N) where S is the distance of start offset from HEAD for small lists, from "
             "nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the "
             "specified range.",
             "read list slow", nullptr, "RO access"});
  table.Add({"lindex", 3, kReadonly, 1, 1, 1, LindexCommand, "list",
             "Get an element from a list by its index", "1.0.0",
             "O(N) where N is the number of elements to traverse to get to the element at index. "
             "This makes asking for the first or the last element of the list O(1).",
             "read list slow", nullptr, "RO access"});
  table.Add({"lset", 4, kWrite | kDenyOom, 1, 1, 1, LsetCommand, "list",
             "Set the value of an element in a list by its index", "1.0.0",
             "O(N) where N is the length of the list. Setting either the first or the last "
             "element of the list is O(1).",
             "write list slow", nullptr, "RW update"});
  table.Add({"linsert", 5, kWrite | kDenyOom, 1, 1, 1, LinsertCommand, "list",
             "Insert an element before or after another element in a list", "2.2.0",
             "O(N) where N is the number of elements to traverse before seeing the value pivot. "
             "This means that inserting somewhere on the left end on the list (head) can be "
             "considered O(1) and inserting somewhere on the right end (tail) is O(N).",
             "write list slow", nullptr, "RW insert"});
  table.Add({"lrem", 4, kWrite, 1, 1, 1, LremCommand, "list",
             "Remove elements from a list", "1.0.0",
             "O(N+M) where N is the length of the list and M is the number of elements removed.",
             "write list slow", nullptr, "RW delete"});
  table.Add({"ltrim", 4, kWrite, 1, 1, 1, LtrimCommand, "list",
             "Trim a list to the specified range", "1.0.0",
             "O(N) where N is the number of elements to be removed by the operation.",
             "write list slow", nullptr, "RW delete"});
  table.Add({"lpos", -3, kReadonly, 1, 1, 1, LposCommand, "list",
             "Return the index of matching elements on a list", "6.0.6",
             "O(N) where N is the number of elements in the list, for the average case. When "
             "searching for elements near the head or the tail of the list, or when the MAXLEN "
             "option is provided, the command may run in constant time.",
             "read list slow", nullptr, "RO access"});
  table.Add({"lmove", 5, kWrite | kDenyOom, 1, 2, 1, LmoveCommand, "list",
             "Pop an element from a list, push it to another list and return it", "6.2.0",
             "O(1)", "write list slow", nullptr, "RW access delete;RW insert"});
  table.Add({"rpoplpush", 3, kWrite | kDenyOom, 1, 2, 1, RpoplpushCommand, "list",
             "Remove the last element in a list, prepend it to another list and return it",
             "1.2.0", "O(1)", "write list slow", nullptr, "RW access delete;RW insert"});
  table.Add({"lmpop", -4, kWrite, 0, 0, 0, LmpopCommand, "list",
             "Pop elements from a list", "7.0.0",
             "O(N+M) where N is the number of provided keys and M is the number of elements "
             "returned.",
             "write list slow", nullptr, "RW access delete", 1});
}

}  // namespace stash::server
