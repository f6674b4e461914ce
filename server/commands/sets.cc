// Set commands, as Redis 7.0's t_set.c. The value itself (intset / hashtable encodings and the
// conversion rules) is storage::SetValue.
//
// Hit/miss accounting follows Redis: SISMEMBER, SMISMEMBER, SMEMBERS, SCARD, SRANDMEMBER, SSCAN,
// SINTER, SINTERCARD, SUNION, SDIFF and the *STORE variants (their sources) look keys up with
// lookupKeyRead (counted); SADD, SREM, SPOP and SMOVE with lookupKeyWrite (not counted).
//
// Orders: an intset iterates in ascending order and so do results built as intsets, exactly as
// in Redis (SUNION, SDIFF and the *STORE results are built from an empty intset, like Redis's
// createIntsetObject). A hashtable iterates in its own hash order, which differs from Redis's.
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "protocol/numbers.h"
#include "server/command_context.h"
#include "server/commands/collection_util.h"
#include "server/commands/keys.h"
#include "server/commands/lookup.h"
#include "server/errors.h"
#include "storage/access_policy.h"
#include "storage/glob.h"
#include "storage/types/set_value.h"

namespace stash::server {
namespace {

using storage::Entry;
using storage::SetValue;
using storage::ValueType;

// lookupKeyRead (counts a hit or a miss) or lookupKeyWrite, both refreshing the LRU clock, then
// checkType: false after replying WRONGTYPE; *set is null for a missing key.
bool LookupSet(CommandContext& ctx, const KeyRef& k, bool read, SetValue** set) {
  return LookupTyped(ctx, k, read, ValueType::kSet, set);
}

uint64_t MaxIntset(CommandContext& ctx) {
  return static_cast<uint64_t>(ctx.server.config->set_max_intset_entries());
}

// Stores a new set under k, replacing any value and (unless expiry_ms is given) any TTL, as
// setKey and dbAdd do.
SetValue* StoreSet(CommandContext& ctx, const KeyRef& k, std::unique_ptr<SetValue> set,
                   int64_t expiry_ms = storage::kNoExpiry) {
  SetValue* raw = set.get();
  // New entries are stamped (LRU clock or LFU counter) by the shard.
  k.shard->PutObject(k.key, k.hash, ValueType::kSet, std::move(set), expiry_ms);
  return raw;
}

void ReplyMembers(CommandContext& ctx, const std::vector<std::string>& members, bool as_set) {
  if (as_set) {
    ctx.reply.SetHeader(members.size());
  } else {
    ctx.reply.ArrayHeader(members.size());
  }
  for (const std::string& m : members) ctx.reply.Bulk(m);
}

// getRangeLongFromObjectOrReply(min, LONG_MAX) with the reply Redis gives for each failure.
bool ParseRange(CommandContext& ctx, std::string_view arg, int64_t min, std::string_view msg,
                int64_t* out) {
  if (!protocol::StringToInt64(arg, out) || *out < min) {
    ctx.Error(msg);
    return false;
  }
  return true;
}

void SaddCommand(CommandContext& ctx) {
  KeyRef k = ctx.Key(ctx.args[1]);
  SetValue* set;
  if (!LookupSet(ctx, k, false, &set)) return;
  if (set == nullptr) set = StoreSet(ctx, k, SetValue::CreateFor(ctx.args[2]));
  uint64_t max_intset = MaxIntset(ctx);
  int64_t added = 0;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    if (set->Add(ctx.args[i], max_intset)) ++added;
  }
  if (added > 0) k.shard->Touch(k.key);
  if (added > 0) ctx.Notify(kNotifySet, "sadd", k.key);
  ctx.reply.Integer(added);
}

void SremCommand(CommandContext& ctx) {
  KeyRef k = ctx.Key(ctx.args[1]);
  SetValue* set;
  if (!LookupSet(ctx, k, false, &set)) return;
  if (set == nullptr) return ctx.reply.Integer(0);
  RemoveMembersAndReply(ctx, k, set, kNotifySet, "srem",
                        [set](std::string_view member) { return set->Remove(member); });
}

void SismemberCommand(CommandContext& ctx) {
  SetValue* set;
  if (!LookupSet(ctx, ctx.Key(ctx.args[1]), true, &set)) return;
  ctx.reply.Integer(set != nullptr && set->Contains(ctx.args[2]) ? 1 : 0);
}

void SmismemberCommand(CommandContext& ctx) {
  SetValue* set;
  if (!LookupSet(ctx, ctx.Key(ctx.args[1]), true, &set)) return;
  ctx.reply.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    ctx.reply.Integer(set != nullptr && set->Contains(ctx.args[i]) ? 1 : 0);
  }
}

void ScardCommand(CommandContext& ctx) {
  SetValue* set;
  if (!LookupSet(ctx, ctx.Key(ctx.args[1]), true, &set)) return;
  ctx.reply.Integer(set == nullptr ? 0 : static_cast<int64_t>(set->size()));
}

// Redis's SPOP_MOVE_STRATEGY_MUL: past this ratio SPOP rebuilds the set from what stays.
constexpr uint64_t kSpopMoveStrategyMul = 5;

void SpopWithCount(CommandContext& ctx) {
  int64_t l;
  if (!ParseRange(ctx, ctx.args[2], 0, "ERR value is out of range, must be positive", &l)) return;
  KeyRef k = ctx.Key(ctx.args[1]);
  SetValue* set;
  if (!LookupSet(ctx, k, false, &set)) return;
  if (set == nullptr || l == 0) return ctx.reply.SetHeader(0);  // an empty set in RESP3
  const uint64_t count = static_cast<uint64_t>(l);
  const uint64_t size = set->size();
  auto& rng = Rng();
  // Everything: Redis replies with SUNION of the set (a fresh set built from an intset, so an
  // all-integer result comes out sorted) and deletes the key.
  if (count >= size) {
    auto all = SetValue::CreateIntset();
    uint64_t max_intset = MaxIntset(ctx);
    set->ForEach([&](std::string_view m) { all->Add(m, max_intset); });
    k.shard->Erase(k.key, k.hash, ctx.now_ms);
    ctx.Notify(kNotifySet, "spop", k.key);
    ctx.Notify(kNotifyGeneric, "del", k.key);
    ctx.reply.SetHeader(all->size());
    all->ForEach([&](std::string_view m) { ctx.reply.Bulk(m); });
    return;
  }
  const uint64_t remaining = size - count;
  std::vector<std::string> popped;
  if (remaining * kSpopMoveStrategyMul > count) {
    // Few to pop: pop them one by one.
    popped.reserve(count);
    for (uint64_t i = 0; i < count; ++i) popped.push_back(set->PopRandom(rng()));
  } else {
    // Most of the set goes: move the few that stay into a new set (created from its first
    // member, as setTypeCreate does, so it may become an intset again) and return the rest in
    // the old set's order.
    std::unique_ptr<SetValue> kept;
    uint64_t max_intset = MaxIntset(ctx);
    for (uint64_t i = 0; i < remaining; ++i) {
      std::string m = set->PopRandom(rng());
      if (!kept) kept = SetValue::CreateFor(m);
      kept->Add(m, max_intset);
    }
    popped = set->Members();
    // dbOverwrite: the key keeps its TTL. This frees the old set.
    int64_t expiry = k.shard->FindRaw(k.key, k.hash).expiry_ms();
    StoreSet(ctx, k, std::move(kept), expiry);
  }
  k.shard->Touch(k.key);
  ctx.Notify(kNotifySet, "spop", k.key);
  ReplyMembers(ctx, popped, true);
}

void SpopCommand(CommandContext& ctx) {
  if (ctx.args.size() == 3) return SpopWithCount(ctx);
  if (ctx.args.size() > 3) return ctx.Error(errors::kSyntax);
  KeyRef k = ctx.Key(ctx.args[1]);
  SetValue* set;
  if (!LookupSet(ctx, k, false, &set)) return;
  if (set == nullptr) return ctx.reply.Null();
  std::string m = set->PopRandom(Rng()());
  bool deleted = set->size() == 0;
  ctx.Notify(kNotifySet, "spop", k.key);
  ctx.reply.Bulk(m);  // Redis: event, reply, then the deletion and its event
  if (deleted) k.shard->Erase(k.key, k.hash, ctx.now_ms);
  k.shard->Touch(k.key);
  if (deleted) ctx.Notify(kNotifyGeneric, "del", k.key);
}

// Redis's SRANDMEMBER_SUB_STRATEGY_MUL.
constexpr uint64_t kSrandmemberSubStrategyMul = 3;

void SrandmemberWithCount(CommandContext& ctx) {
  int64_t l;
  if (!protocol::StringToInt64(ctx.args[2], &l)) return ctx.Error(errors::kNotInteger);
  if (l == INT64_MIN) return ctx.Error(errors::kOutOfLongRange);
  SetValue* set;
  if (!LookupSet(ctx, ctx.Key(ctx.args[1]), true, &set)) return;
  if (set == nullptr || l == 0) return ctx.reply.EmptyArray();
  auto& rng = Rng();
  const uint64_t size = set->size();
  // A negative count may repeat members: independent draws, in random order.
  if (l < 0 || l == 1) {
    uint64_t count = l < 0 ? static_cast<uint64_t>(-l) : 1;
    ctx.reply.ArrayHeader(count);
    for (uint64_t i = 0; i < count; ++i) ctx.reply.Bulk(set->RandomMember(rng()));
    return;
  }
  const uint64_t count = static_cast<uint64_t>(l);
  if (count >= size) {
    ctx.reply.ArrayHeader(size);
    set->ForEach([&](std::string_view m) { ctx.reply.Bulk(m); });
    return;
  }
  std::vector<std::string> out;
  if (count * kSrandmemberSubStrategyMul > size) {
    // Close to the size: a partial shuffle of a copy.
    out = set->Members();
    for (uint64_t i = 0; i < count; ++i) std::swap(out[i], out[i + rng() % (out.size() - i)]);
    out.resize(count);
  } else {
    std::unordered_set<std::string> seen;
    while (out.size() < count) {
      std::string m = set->RandomMember(rng());
      if (seen.insert(m).second) out.push_back(std::move(m));
    }
  }
  ReplyMembers(ctx, out, false);
}

void SrandmemberCommand(CommandContext& ctx) {
  if (ctx.args.size() == 3) return SrandmemberWithCount(ctx);
  if (ctx.args.size() > 3) return ctx.Error(errors::kSyntax);
  SetValue* set;
  if (!LookupSet(ctx, ctx.Key(ctx.args[1]), true, &set)) return;
  if (set == nullptr) return ctx.reply.Null();
  ctx.reply.Bulk(set->RandomMember(Rng()()));
}

void SmoveCommand(CommandContext& ctx) {
  KeyRef src = ctx.Key(ctx.args[1]);
  KeyRef dst = ctx.Key(ctx.args[2]);
  std::string_view member = ctx.args[3];
  // Both keys are looked up before either type is checked, and a missing source replies 0
  // even when the destination has the wrong type, as in Redis.
  Entry src_entry = LookupWrite(ctx, src);
  Entry dst_entry = LookupWrite(ctx, dst);
  if (!src_entry) return ctx.reply.Integer(0);
  auto set_or_missing = [](Entry e) { return !e || e.type() == ValueType::kSet; };
  if (!set_or_missing(src_entry) || !set_or_missing(dst_entry)) {
    return ctx.Error(errors::kWrongType);
  }
  SetValue* src_set = storage::ObjectAs<SetValue>(src_entry);
  SetValue* dst_set = dst_entry ? storage::ObjectAs<SetValue>(dst_entry) : nullptr;
  if (src.key == dst.key) return ctx.reply.Integer(src_set->Contains(member) ? 1 : 0);
  if (!src_set->Remove(member)) return ctx.reply.Integer(0);
  bool src_deleted = src_set->size() == 0;
  if (src_deleted) src.shard->Erase(src.key, src.hash, ctx.now_ms);
  src.shard->Touch(src.key);
  ctx.Notify(kNotifySet, "srem", src.key);
  if (src_deleted) ctx.Notify(kNotifyGeneric, "del", src.key);
  if (dst_set == nullptr) dst_set = StoreSet(ctx, dst, SetValue::CreateFor(member));
  bool added = dst_set->Add(member, MaxIntset(ctx));
  if (added) dst.shard->Touch(dst.key);
  if (added) ctx.Notify(kNotifySet, "sadd", dst.key);
  ctx.reply.Integer(1);
}

// Looks up every source key of a multi-set command with lookupKeyRead (the *STORE variants too,
// in Redis 7.0): false after WRONGTYPE (every key is checked, even after a missing one).
// Missing keys are null.
bool LookupSets(CommandContext& ctx, size_t first, size_t n, std::vector<SetValue*>* sets) {
  sets->assign(n, nullptr);
  for (size_t i = 0; i < n; ++i) {
    if (!LookupSet(ctx, ctx.Key(ctx.args[first + i]), true, &(*sets)[i])) return false;
  }
  return true;
}

// Stores a *STORE result (or deletes the destination when it is empty) and replies its size.
void StoreResult(CommandContext& ctx, std::unique_ptr<SetValue> result) {
  KeyRef dst = ctx.Key(ctx.args[1]);
  if (result->size() > 0) {
    int64_t n = static_cast<int64_t>(result->size());
    StoreSet(ctx, dst, std::move(result));
    ctx.reply.Integer(n);
    ctx.Notify(kNotifySet, ctx.command->spec.name, dst.key);  // "sinterstore", ...
    return;
  }
  ctx.reply.Integer(0);
  if (dst.shard->Erase(dst.key, dst.hash, ctx.now_ms)) ctx.Notify(kNotifyGeneric, "del", dst.key);
}

// sinterGenericCommand: SINTER, SMEMBERS (a one-key SINTER in Redis 7.0), SINTERSTORE and
// SINTERCARD. `first`/`n` locate the keys; `store` means args[1] is the destination.
void SinterGeneric(CommandContext& ctx, size_t first, size_t n, bool store, bool card_only,
                   uint64_t limit) {
  std::vector<SetValue*> sets;
  if (!LookupSets(ctx, first, n, &sets)) return;
  if (std::find(sets.begin(), sets.end(), nullptr) != sets.end()) {
    // Intersecting with an empty set gives an empty set.
    if (store) return StoreResult(ctx, SetValue::CreateIntset());
    if (card_only) return ctx.reply.Integer(0);
    return ctx.reply.SetHeader(0);
  }
  // Smallest first: its members are the candidates, in its order.
  std::stable_sort(sets.begin(), sets.end(),
                   [](SetValue* a, SetValue* b) { return a->size() < b->size(); });
  std::vector<std::string> members;
  uint64_t cardinality = 0;
  auto result = store ? SetValue::CreateIntset() : nullptr;
  uint64_t max_intset = MaxIntset(ctx);
  bool done = false;
  sets[0]->ForEach([&](std::string_view m) {
    if (done) return;
    for (size_t j = 1; j < sets.size(); ++j) {
      if (sets[j] != sets[0] && !sets[j]->Contains(m)) return;
    }
    ++cardinality;
    if (card_only) {
      if (limit != 0 && cardinality >= limit) done = true;  // SINTERCARD's LIMIT
    } else if (store) {
      result->Add(m, max_intset);
    } else {
      members.emplace_back(m);
    }
  });
  if (card_only) return ctx.reply.Integer(static_cast<int64_t>(cardinality));
  if (store) return StoreResult(ctx, std::move(result));
  ReplyMembers(ctx, members, true);
}

enum class SetOp { kUnion, kDiff };

// sunionDiffGenericCommand: the result is built in a new set (from an empty intset, as Redis),
// and replied in that set's order.
void SunionDiffGeneric(CommandContext& ctx, size_t first, size_t n, bool store, SetOp op) {
  std::vector<SetValue*> sets;
  if (!LookupSets(ctx, first, n, &sets)) return;
  auto result = SetValue::CreateIntset();
  uint64_t max_intset = MaxIntset(ctx);
  if (op == SetOp::kUnion) {
    for (SetValue* s : sets) {
      if (s != nullptr) s->ForEach([&](std::string_view m) { result->Add(m, max_intset); });
    }
  } else if (sets[0] != nullptr) {
    // Redis picks between two algorithms by estimated work; they differ in the result's
    // encoding (the second may turn it into a hashtable with members later removed), so the
    // choice is reproduced.
    uint64_t algo_one_work = 0, algo_two_work = 0;
    for (SetValue* s : sets) {
      if (s == nullptr) continue;
      algo_one_work += sets[0]->size();
      algo_two_work += s->size();
    }
    algo_one_work /= 2;
    if (algo_one_work <= algo_two_work) {
      // Subtract the largest sets first, where a member is most likely found.
      std::stable_sort(sets.begin() + 1, sets.end(), [](SetValue* a, SetValue* b) {
        return (a ? a->size() : 0) > (b ? b->size() : 0);
      });
      sets[0]->ForEach([&](std::string_view m) {
        for (size_t j = 1; j < sets.size(); ++j) {
          if (sets[j] == nullptr) continue;
          if (sets[j] == sets[0] || sets[j]->Contains(m)) return;
        }
        result->Add(m, max_intset);
      });
    } else {
      for (size_t j = 0; j < sets.size(); ++j) {
        if (sets[j] == nullptr) continue;
        sets[j]->ForEach([&](std::string_view m) {
          if (j == 0) {
            result->Add(m, max_intset);
          } else {
            result->Remove(m);
          }
        });
        if (result->size() == 0) break;
      }
    }
  }
  if (store) return StoreResult(ctx, std::move(result));
  ctx.reply.SetHeader(result->size());
  result->ForEach([&](std::string_view m) { ctx.reply.Bulk(m); });
}

void SmembersCommand(CommandContext& ctx) { SinterGeneric(ctx, 1, 1, false, false, 0); }
void SinterCommand(CommandContext& ctx) {
  SinterGeneric(ctx, 1, ctx.args.size() - 1, false, false, 0);
}
void SinterstoreCommand(CommandContext& ctx) {
  SinterGeneric(ctx, 2, ctx.args.size() - 2, true, false, 0);
}
void SunionCommand(CommandContext& ctx) {
  SunionDiffGeneric(ctx, 1, ctx.args.size() - 1, false, SetOp::kUnion);
}
void SunionstoreCommand(CommandContext& ctx) {
  SunionDiffGeneric(ctx, 2, ctx.args.size() - 2, true, SetOp::kUnion);
}
void SdiffCommand(CommandContext& ctx) {
  SunionDiffGeneric(ctx, 1, ctx.args.size() - 1, false, SetOp::kDiff);
}
void SdiffstoreCommand(CommandContext& ctx) {
  SunionDiffGeneric(ctx, 2, ctx.args.size() - 2, true, SetOp::kDiff);
}

// SINTERCARD numkeys key [key ...] [LIMIT limit]
void SintercardCommand(CommandContext& ctx) {
  const auto& args = ctx.args;
  int64_t numkeys;
  if (!ParseRange(ctx, args[1], 1, "ERR numkeys should be greater than 0", &numkeys)) return;
  if (numkeys > static_cast<int64_t>(args.size()) - 2) {
    return ctx.Error("ERR Number of keys can't be greater than number of args");
  }
  int64_t limit = 0;
  for (size_t j = 2 + static_cast<size_t>(numkeys); j < args.size(); ++j) {
    bool more = j + 1 < args.size();
    if (IsOption(args[j], "limit") && more) {
      if (!ParseRange(ctx, args[++j], 0, "ERR LIMIT can't be negative", &limit)) return;
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  SinterGeneric(ctx, 2, static_cast<size_t>(numkeys), false, true, static_cast<uint64_t>(limit));
}

// SSCAN key cursor [MATCH pattern] [COUNT count]: options are parsed once the key is known to
// be a set, as in Redis. An intset comes back whole with cursor 0; a hashtable's cursor is a
// position in its hash order (see CompactTable::Scan), valid across resizes.
void SscanCommand(CommandContext& ctx) {
  SetValue* set;
  uint64_t cursor;
  keycmd::ScanOptions options;
  if (!BeginCollectionScan(ctx, ValueType::kSet, &set, &cursor, &options)) return;
  std::vector<std::string> out;
  uint64_t next = set->Scan(cursor, options.Want(), [&](std::string_view m) {
    if (!options.use_pattern || storage::GlobMatch(options.pattern, m)) out.emplace_back(m);
  });
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  ReplyMembers(ctx, out, false);
}

}  // namespace

void RegisterSetCommands(CommandTable& table) {
  table.Add({"sadd", -3, kWrite | kDenyOom | kFast, 1, 1, 1, SaddCommand, "set",
             "Add one or more members to a set", "1.0.0",
             "O(1) for each element added, so O(N) to add N elements when the command is called "
             "with multiple arguments.",
             "write set fast", nullptr, "RW insert"});
  table.Add({"srem", -3, kWrite | kFast, 1, 1, 1, SremCommand, "set",
             "Remove one or more members from a set", "1.0.0",
             "O(N) where N is the number of members to be removed.", "write set fast", nullptr,
             "RW delete"});
  table.Add({"sismember", 3, kReadonly | kFast, 1, 1, 1, SismemberCommand, "set",
             "Determine if a given value is a member of a set", "1.0.0", "O(1)", "read set fast",
             nullptr, "RO"});
  table.Add({"smismember", -3, kReadonly | kFast, 1, 1, 1, SmismemberCommand, "set",
             "Returns the membership associated with the given elements for a set", "6.2.0",
             "O(N) where N is the number of elements being checked for membership",
             "read set fast"});
  table.Add({"smembers", 2, kReadonly, 1, 1, 1, SmembersCommand, "set",
             "Get all the members in a set", "1.0.0", "O(N) where N is the set cardinality.",
             "read set slow", "nondeterministic_output_order"});
  table.Add({"scard", 2, kReadonly | kFast, 1, 1, 1, ScardCommand, "set",
             "Get the number of members in a set", "1.0.0", "O(1)", "read set fast", nullptr,
             "RO"});
  table.Add({"spop", -2, kWrite | kFast, 1, 1, 1, SpopCommand, "set",
             "Remove and return one or multiple random members from a set", "1.0.0",
             "Without the count argument O(1), otherwise O(N) where N is the value of the passed "
             "count.",
             "write set fast", "nondeterministic_output", "RW access delete"});
  table.Add({"srandmember", -2, kReadonly, 1, 1, 1, SrandmemberCommand, "set",
             "Get one or multiple random members from a set", "1.0.0",
             "Without the count argument O(1), otherwise O(N) where N is the absolute value of "
             "the passed count.",
             "read set slow", "nondeterministic_output"});
  table.Add({"smove", 4, kWrite | kFast, 1, 2, 1, SmoveCommand, "set",
             "Move a member from one set to another", "1.0.0", "O(1)", "write set fast", nullptr,
             "RW access delete;RW insert"});
  constexpr const char* kInterComplexity =
      "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of "
      "sets.";
  constexpr const char* kUnionComplexity =
      "O(N) where N is the total number of elements in all given sets.";
  table.Add({"sinter", -2, kReadonly, 1, -1, 1, SinterCommand, "set", "Intersect multiple sets",
             "1.0.0", kInterComplexity, "read set slow", "nondeterministic_output_order"});
  table.Add({"sintercard", -3, kReadonly, 0, 0, 0, SintercardCommand, "set",
             "Intersect multiple sets and return the cardinality of the result", "7.0.0",
             kInterComplexity, "read set slow", nullptr, "RO access", 1});
  table.Add({"sunion", -2, kReadonly, 1, -1, 1, SunionCommand, "set", "Add multiple sets",
             "1.0.0", kUnionComplexity, "read set slow", "nondeterministic_output_order"});
  table.Add({"sdiff", -2, kReadonly, 1, -1, 1, SdiffCommand, "set", "Subtract multiple sets",
             "1.0.0", kUnionComplexity, "read set slow", "nondeterministic_output_order"});
  table.Add({"sinterstore", -3, kWrite | kDenyOom, 1, -1, 1, SinterstoreCommand, "set",
             "Intersect multiple sets and store the resulting set in a key", "1.0.0",
             kInterComplexity, "write set slow"});
  table.Add({"sunionstore", -3, kWrite | kDenyOom, 1, -1, 1, SunionstoreCommand, "set",
             "Add multiple sets and store the resulting set in a key", "1.0.0", kUnionComplexity,
             "write set slow"});
  table.Add({"sdiffstore", -3, kWrite | kDenyOom, 1, -1, 1, SdiffstoreCommand, "set",
             "Subtract multiple sets and store the resulting set in a key", "1.0.0",
             kUnionComplexity, "write set slow"});
  table.Add({"sscan", -3, kReadonly, 1, 1, 1, SscanCommand, "set",
             "Incrementally iterate Set elements", "2.8.0",
             "O(1) for every call. O(N) for a complete iteration, including enough command calls "
             "for the cursor to return back to 0. N is the number of elements inside the "
             "collection..",
             "read set slow", "nondeterministic_output"});
}

}  // namespace stash::server
