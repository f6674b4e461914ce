// Sorted set commands, as Redis 7.0's t_zset.c: ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE,
// ZRANK, ZREVRANK, ZPOPMIN, ZPOPMAX, ZMPOP, ZRANDMEMBER and ZSCAN. The range commands (and
// ZCOUNT, ZLEXCOUNT) live in zsets_range.cc, the multi-key set operations in zsets_setops.cc,
// the blocking pops in zsets_blocking.cc; the value itself (listpack / skiplist encodings) is
// storage::ZSetValue.
//
// Hit/miss accounting follows Redis: ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT,
// ZRANDMEMBER, ZSCAN, the ZRANGE family and ZUNION/ZINTER/ZDIFF/ZINTERCARD look keys up with
// lookupKeyRead (counted); ZADD, ZINCRBY, ZREM, ZREMRANGEBY*, ZPOP* and ZMPOP with
// lookupKeyWrite (not counted).
#include "server/commands/zsets.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "protocol/numbers.h"
#include "server/commands/collection_util.h"
#include "server/commands/keys.h"
#include "server/commands/lookup.h"
#include "server/commands/pop_args.h"
#include "server/errors.h"
#include "storage/access_policy.h"
#include "storage/glob.h"

namespace stash::server {

namespace zsetcmd {

storage::ZSetLimits Limits(CommandContext& ctx) {
  return {static_cast<uint64_t>(ctx.server.config->zset_max_listpack_entries()),
          static_cast<uint64_t>(ctx.server.config->zset_max_listpack_value())};
}

bool Lookup(CommandContext& ctx, const KeyRef& k, bool read, ZSetValue** z) {
  return LookupTyped(ctx, k, read, storage::ValueType::kZSet, z);
}

void Store(CommandContext& ctx, const KeyRef& k, std::unique_ptr<ZSetValue> z) {
  // New entries are stamped (LRU clock or LFU counter) by the shard.
  k.shard->PutObject(k.key, k.hash, storage::ValueType::kZSet, std::move(z), storage::kNoExpiry);
  ctx.KeyReady(k.key);
}

void ElementReply::Begin(size_t n) {
  ctx_.reply.ArrayHeader(withscores_ && !ctx_.reply.resp3() ? n * 2 : n);
}

void ElementReply::Add(std::string_view member, double score) {
  if (withscores_ && ctx_.reply.resp3()) ctx_.reply.ArrayHeader(2);
  ctx_.reply.Bulk(member);
  if (withscores_) ctx_.reply.Double(score);
}

void PopAndReply(storage::Shard* shard, std::string_view key, uint64_t hash, ZSetValue* z,
                 bool max, int64_t count, bool emit_key, bool nested,
                 protocol::ReplyBuilder& reply, int64_t now_ms) {
  int64_t n = std::min<int64_t>(count < 0 ? 1 : count, static_cast<int64_t>(z->size()));
  if (!nested && !emit_key) {
    reply.ArrayHeader(n * 2);
  } else if (nested && !emit_key) {
    reply.ArrayHeader(n);
  } else if (!nested) {
    reply.ArrayHeader(n * 2 + 1);
    reply.Bulk(key);
  } else {
    reply.ArrayHeader(2);
    reply.Bulk(key);
    reply.ArrayHeader(n);
  }
  for (int64_t i = 0; i < n; ++i) {
    auto [member, score] = z->Pop(max);
    if (nested) reply.ArrayHeader(2);
    reply.Bulk(member);
    reply.Double(score);
  }
  if (z->size() == 0) {
    shard->Erase(key, hash, now_ms);
  } else {
    shard->Touch(key);
  }
}

}  // namespace zsetcmd

namespace {

using storage::ZSetValue;
using zsetcmd::ElementReply;
using zsetcmd::Lookup;

// ---- ZADD / ZINCRBY ------------------------------------------------------------------------

// zaddGenericCommand. `flags` starts with kIncr for ZINCRBY.
void ZaddGeneric(CommandContext& ctx, unsigned flags) {
  const auto& args = ctx.args;
  bool ch = false;
  size_t scoreidx = 2;
  for (; scoreidx < args.size(); ++scoreidx) {
    std::string_view opt = args[scoreidx];
    if (IsOption(opt, "nx")) {
      flags |= ZSetValue::kNx;
    } else if (IsOption(opt, "xx")) {
      flags |= ZSetValue::kXx;
    } else if (IsOption(opt, "ch")) {
      ch = true;
    } else if (IsOption(opt, "incr")) {
      flags |= ZSetValue::kIncr;
    } else if (IsOption(opt, "gt")) {
      flags |= ZSetValue::kGt;
    } else if (IsOption(opt, "lt")) {
      flags |= ZSetValue::kLt;
    } else {
      break;
    }
  }
  const bool incr = flags & ZSetValue::kIncr, nx = flags & ZSetValue::kNx;
  const bool xx = flags & ZSetValue::kXx, gt = flags & ZSetValue::kGt;
  const bool lt = flags & ZSetValue::kLt;
  size_t elements = args.size() - scoreidx;
  if (elements % 2 != 0 || elements == 0) return ctx.Error(errors::kSyntax);
  elements /= 2;
  if (nx && xx) return ctx.Error("ERR XX and NX options at the same time are not compatible");
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    return ctx.Error("ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  if (incr && elements > 1) {
    return ctx.Error("ERR INCR option supports a single increment-element pair");
  }
  // Every score is parsed before anything changes: the command runs fully or not at all.
  std::vector<double> scores(elements);
  for (size_t j = 0; j < elements; ++j) {
    if (!protocol::StringToDouble(args[scoreidx + j * 2], &scores[j])) {
      return ctx.Error(errors::kNotFloat);
    }
  }

  KeyRef k = ctx.Key(args[1]);
  ZSetValue* z;
  if (!Lookup(ctx, k, /*read=*/false, &z)) return;
  int64_t added = 0, updated = 0, processed = 0;
  double score = 0;
  if (z == nullptr && !xx) {
    // A new key starts as a listpack (a skiplist only when no listpack could hold the first
    // member: zsetAdd converts it right away).
    auto fresh = std::make_unique<ZSetValue>();
    z = fresh.get();
    zsetcmd::Store(ctx, k, std::move(fresh));
  }
  if (z != nullptr) {
    storage::ZSetLimits limits = zsetcmd::Limits(ctx);
    for (size_t j = 0; j < elements; ++j) {
      double new_score = 0;
      ZSetValue::AddResult r = z->Add(args[scoreidx + 1 + j * 2], scores[j], flags, limits,
                                      &new_score);
      if (r == ZSetValue::AddResult::kNaN) {
        if (added + updated > 0) k.shard->Touch(k.key);
        return ctx.Error("ERR resulting score is not a number (NaN)");
      }
      if (r == ZSetValue::AddResult::kAdded) ++added;
      if (r == ZSetValue::AddResult::kUpdated) ++updated;
      if (r != ZSetValue::AddResult::kNop) {
        ++processed;
        score = new_score;
      }
    }
    if (added + updated > 0) k.shard->Touch(k.key);
  }
  if (incr) {
    if (processed > 0) {
      ctx.reply.Double(score);
    } else {
      ctx.reply.Null();
    }
  } else {
    ctx.reply.Integer(ch ? added + updated : added);
  }
  // After the reply, as Redis.
  if (added + updated > 0) ctx.Notify(kNotifyZset, incr ? "zincr" : "zadd", k.key);
}

void ZaddCommand(CommandContext& ctx) { ZaddGeneric(ctx, 0); }
void ZincrbyCommand(CommandContext& ctx) { ZaddGeneric(ctx, ZSetValue::kIncr); }

// ---- ZREM / ZCARD / ZSCORE / ZMSCORE / ZRANK -----------------------------------------------

void ZremCommand(CommandContext& ctx) {
  KeyRef k = ctx.Key(ctx.args[1]);
  ZSetValue* z;
  if (!Lookup(ctx, k, false, &z)) return;
  if (z == nullptr) return ctx.reply.Integer(0);
  RemoveMembersAndReply(ctx, k, z, kNotifyZset, "zrem",
                        [z](std::string_view member) { return z->Remove(member); });
}

void ZcardCommand(CommandContext& ctx) {
  ZSetValue* z;
  if (!Lookup(ctx, ctx.Key(ctx.args[1]), true, &z)) return;
  ctx.reply.Integer(z ? static_cast<int64_t>(z->size()) : 0);
}

void ZscoreCommand(CommandContext& ctx) {
  ZSetValue* z;
  if (!Lookup(ctx, ctx.Key(ctx.args[1]), true, &z)) return;
  double score;
  if (z == nullptr || !z->Score(ctx.args[2], &score)) return ctx.reply.Null();
  ctx.reply.Double(score);
}

void ZmscoreCommand(CommandContext& ctx) {
  ZSetValue* z;
  if (!Lookup(ctx, ctx.Key(ctx.args[1]), true, &z)) return;
  ctx.reply.ArrayHeader(ctx.args.size() - 2);
  for (size_t j = 2; j < ctx.args.size(); ++j) {
    double score;
    if (z == nullptr || !z->Score(ctx.args[j], &score)) {
      ctx.reply.Null();
    } else {
      ctx.reply.Double(score);
    }
  }
}

void ZrankGeneric(CommandContext& ctx, bool reverse) {
  ZSetValue* z;
  if (!Lookup(ctx, ctx.Key(ctx.args[1]), true, &z)) return;
  size_t rank;
  if (z == nullptr || !z->Rank(ctx.args[2], reverse, &rank)) return ctx.reply.Null();
  ctx.reply.Integer(static_cast<int64_t>(rank));
}

void ZrankCommand(CommandContext& ctx) { ZrankGeneric(ctx, false); }
void ZrevrankCommand(CommandContext& ctx) { ZrankGeneric(ctx, true); }

// ---- ZPOPMIN / ZPOPMAX / ZMPOP -------------------------------------------------------------

// genericZpopCommand: the first existing key of keys is popped from (a WRONGTYPE stops the
// search). count -1 is the plain single pop.
void ZpopGeneric(CommandContext& ctx, const std::vector<std::string_view>& keys, bool max,
                 int64_t count, bool emit_key, bool nested, bool nil_when_empty) {
  ZSetValue* z = nullptr;
  KeyRef k{};
  for (std::string_view key : keys) {
    k = ctx.Key(key);
    if (!Lookup(ctx, k, false, &z)) return;
    if (z != nullptr) break;
  }
  if (z == nullptr) {
    if (nil_when_empty) return ctx.reply.NullArray();
    return ctx.reply.EmptyArray();
  }
  if (count == 0) return ctx.reply.EmptyArray();
  bool emptied = (count < 0 ? 1 : static_cast<uint64_t>(count)) >= z->size();
  zsetcmd::PopAndReply(k.shard, k.key, k.hash, z, max, count, emit_key, nested, ctx.reply,
                       ctx.now_ms);
  ctx.Notify(kNotifyZset, max ? "zpopmax" : "zpopmin", k.key);
  if (emptied) ctx.Notify(kNotifyGeneric, "del", k.key);
}

// getPositiveLongFromObjectOrReply with Redis's default message.
bool ParsePositive(CommandContext& ctx, std::string_view arg, int64_t* out,
                   std::string_view error = "ERR value is out of range, must be positive") {
  if (!protocol::StringToInt64(arg, out) || *out < 0) {
    ctx.Error(error);
    return false;
  }
  return true;
}

void ZpopMinMax(CommandContext& ctx, bool max) {
  if (ctx.args.size() > 3) return ctx.Error(errors::kSyntax);
  int64_t count = -1;
  if (ctx.args.size() == 3 && !ParsePositive(ctx, ctx.args[2], &count)) return;
  // A single flat array in RESP2 or without a count; [member, score] pairs in RESP3 with one.
  bool nested = ctx.reply.resp3() && count != -1;
  ZpopGeneric(ctx, {ctx.args[1]}, max, count, false, nested, false);
}

void ZpopminCommand(CommandContext& ctx) { ZpopMinMax(ctx, false); }
void ZpopmaxCommand(CommandContext& ctx) { ZpopMinMax(ctx, true); }

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
void ZmpopCommand(CommandContext& ctx) {
  const auto& args = ctx.args;
  size_t where_idx;
  if (!ParseMpopKeys(ctx, 1, &where_idx)) return;
  bool max;
  if (!ParseMinMax(args[where_idx], &max)) return ctx.Error(errors::kSyntax);
  int64_t count;
  if (!ParseMpopCount(ctx, where_idx + 1, &count)) return;
  std::vector<std::string_view> keys(args.begin() + 2, args.begin() + where_idx);
  ZpopGeneric(ctx, keys, max, count, true, true, true);
}

// ---- ZRANDMEMBER ---------------------------------------------------------------------------

void ZrandmemberWithCount(CommandContext& ctx, int64_t l, bool withscores) {
  ZSetValue* z;
  if (!Lookup(ctx, ctx.Key(ctx.args[1]), true, &z)) return;
  if (z == nullptr) return ctx.reply.EmptyArray();
  size_t size = z->size();
  bool unique = l >= 0;
  uint64_t count = unique ? static_cast<uint64_t>(l) : static_cast<uint64_t>(-l);
  if (count == 0) return ctx.reply.EmptyArray();
  ElementReply out(ctx, withscores);
  auto& rng = Rng();

  // CASE 1: a negative count (repetitions allowed, random order), or a single element.
  if (!unique || count == 1) {
    out.Begin(count);
    if (z->is_listpack()) {
      std::vector<ZSetValue::Element> all = z->Elements();
      for (uint64_t i = 0; i < count; ++i) {
        const ZSetValue::Element& e = all[rng() % all.size()];
        out.Add(e.member, e.score);
      }
    } else {
      for (uint64_t i = 0; i < count; ++i) {
        ZSetValue::Element e = z->RandomElement(rng());
        out.Add(e.member, e.score);
      }
    }
    return;
  }
  // CASE 2: at least the whole set: every element, from the highest (Redis iterates sorted sets
  // backwards here).
  if (count >= size) {
    out.Begin(size);
    for (ZSetValue::Cursor c = z->Seek(size - 1); c.valid(); c.Prev()) {
      out.Add(c.get().member, c.get().score);
    }
    return;
  }
  out.Begin(count);
  std::vector<ZSetValue::Element> all;
  if (z->is_listpack() || count * 3 > size) {
    // A listpack: selection sampling, in set order (lpRandomPairsUnique). A skiplist asked for
    // more than a third of it: pick `count` distinct positions at random.
    all = z->Elements();
    if (z->is_listpack()) {
      uint64_t needed = count;
      for (size_t i = 0; i < all.size() && needed > 0; ++i) {
        if (rng() % (all.size() - i) < needed) {
          out.Add(all[i].member, all[i].score);
          --needed;
        }
      }
      return;
    }
    for (uint64_t i = 0; i < count; ++i) {
      std::swap(all[i], all[i + rng() % (all.size() - i)]);
      out.Add(all[i].member, all[i].score);
    }
    return;
  }
  // CASE 4: a large set and few elements: random picks, skipping repeats.
  std::unordered_set<std::string_view> seen;
  while (seen.size() < count) {
    ZSetValue::Element e = z->RandomElement(rng());
    if (seen.insert(e.member).second) out.Add(e.member, e.score);
  }
}

void ZrandmemberCommand(CommandContext& ctx) {
  const auto& args = ctx.args;
  if (args.size() >= 3) {
    int64_t l;
    bool withscores;
    if (!ParseRandomCount(ctx, "withscores", &l, &withscores)) return;
    return ZrandmemberWithCount(ctx, l, withscores);
  }
  ZSetValue* z;
  if (!Lookup(ctx, ctx.Key(args[1]), true, &z)) return;
  if (z == nullptr) return ctx.reply.Null();
  ctx.reply.Bulk(z->RandomElement(Rng()()).member);
}

// ---- ZSCAN ---------------------------------------------------------------------------------

void ZscanCommand(CommandContext& ctx) {
  ZSetValue* z;
  uint64_t cursor;
  keycmd::ScanOptions options;
  if (!BeginCollectionScan(ctx, storage::ValueType::kZSet, &z, &cursor, &options)) return;
  // Members and scores as bulk strings. A listpack stores integral scores as integers and
  // prints them as such (1e18 is "1000000000000000000"); a skiplist prints "%.17g".
  std::vector<std::pair<std::string_view, std::string>> found;
  auto visit = [&](ZSetValue::Element e, bool listpack) {
    if (options.use_pattern && !storage::GlobMatch(options.pattern, e.member)) return;
    int64_t v;
    if (listpack && ZSetValue::ScoreIsListpackInteger(e.score, &v)) {
      std::string text;
      protocol::AppendInt64(&text, v);
      found.emplace_back(e.member, std::move(text));
    } else {
      found.emplace_back(e.member, protocol::FormatDouble(e.score));
    }
  };
  uint64_t next;
  if (z->is_listpack()) {
    next = z->Scan(cursor, 0, visit);
  } else {
    // Like dictScan's loop: keep going until about `count` elements or the end, visiting at
    // most ten times `count` slots.
    const size_t want = options.Want();
    size_t budget = want * 10;
    next = cursor;
    do {
      size_t step = std::min(budget, want);
      next = z->Scan(next, step, visit);
      budget -= step;
    } while (next != 0 && budget > 0 && found.size() < want);
  }
  ctx.reply.ArrayHeader(2);
  std::string cursor_text = std::to_string(next);
  ctx.reply.Bulk(cursor_text);
  ctx.reply.ArrayHeader(found.size() * 2);
  for (const auto& [member, score] : found) {
    ctx.reply.Bulk(member);
    ctx.reply.Bulk(score);
  }
}

}  // namespace

void RegisterZSetCommands(CommandTable& table) {
  table.Add({"zadd", -4, kWrite | kDenyOom | kFast, 1, 1, 1, ZaddCommand, "sorted-set",
             "Add one or more members to a sorted set, or update its score if it already exists",
             "1.2.0",
             "O(log(N)) for each item added, where N is the number of elements in the sorted "
             "set.",
             "write sortedset fast", nullptr, "RW update"});
  table.Add({"zincrby", 4, kWrite | kDenyOom | kFast, 1, 1, 1, ZincrbyCommand, "sorted-set",
             "Increment the score of a member in a sorted set", "1.2.0",
             "O(log(N)) where N is the number of elements in the sorted set.",
             "write sortedset fast", nullptr, "RW access update"});
  table.Add({"zrem", -3, kWrite | kFast, 1, 1, 1, ZremCommand, "sorted-set",
             "Remove one or more members from a sorted set", "1.2.0",
             "O(M*log(N)) with N being the number of elements in the sorted set and M the "
             "number of elements to be removed.",
             "write sortedset fast", nullptr, "RW delete"});
  table.Add({"zcard", 2, kReadonly | kFast, 1, 1, 1, ZcardCommand, "sorted-set",
             "Get the number of members in a sorted set", "1.2.0", "O(1)",
             "read sortedset fast", nullptr, "RO"});
  table.Add({"zscore", 3, kReadonly | kFast, 1, 1, 1, ZscoreCommand, "sorted-set",
             "Get the score associated with the given member in a sorted set", "1.2.0", "O(1)",
             "read sortedset fast"});
  table.Add({"zmscore", -3, kReadonly | kFast, 1, 1, 1, ZmscoreCommand, "sorted-set",
             "Get the score associated with the given members in a sorted set", "6.2.0",
             "O(N) where N is the number of members being requested.", "read sortedset fast"});
  table.Add({"zrank", 3, kReadonly | kFast, 1, 1, 1, ZrankCommand, "sorted-set",
             "Determine the index of a member in a sorted set", "2.0.0", "O(log(N))",
             "read sortedset fast"});
  table.Add({"zrevrank", 3, kReadonly | kFast, 1, 1, 1, ZrevrankCommand, "sorted-set",
             "Determine the index of a member in a sorted set, with scores ordered from high to "
             "low",
             "2.0.0", "O(log(N))", "read sortedset fast"});
  constexpr const char* kPopComplexity =
      "O(log(N)*M) with N being the number of elements in the sorted set, and M being the "
      "number of elements popped.";
  table.Add({"zpopmin", -2, kWrite | kFast, 1, 1, 1, ZpopminCommand, "sorted-set",
             "Remove and return members with the lowest scores in a sorted set", "5.0.0",
             kPopComplexity, "write sortedset fast", nullptr, "RW access delete"});
  table.Add({"zpopmax", -2, kWrite | kFast, 1, 1, 1, ZpopmaxCommand, "sorted-set",
             "Remove and return members with the highest scores in a sorted set", "5.0.0",
             kPopComplexity, "write sortedset fast", nullptr, "RW access delete"});
  table.Add({"zmpop", -4, kWrite, 0, 0, 0, ZmpopCommand, "sorted-set",
             "Remove and return members with scores in a sorted set", "7.0.0",
             "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of "
             "elements in the sorted set, and M being the number of elements popped.",
             "write sortedset slow", nullptr, "RW access delete", 1});
  table.Add({"zrandmember", -2, kReadonly, 1, 1, 1, ZrandmemberCommand, "sorted-set",
             "Get one or multiple random elements from a sorted set", "6.2.0",
             "O(N) where N is the number of elements returned", "read sortedset slow",
             "nondeterministic_output"});
  table.Add({"zscan", -3, kReadonly, 1, 1, 1, ZscanCommand, "sorted-set",
             "Incrementally iterate sorted sets elements and associated scores", "2.8.0",
             "O(1) for every call. O(N) for a complete iteration, including enough command "
             "calls for the cursor to return back to 0. N is the number of elements inside the "
             "collection..",
             "read sortedset slow", "nondeterministic_output"});
  RegisterZSetRangeCommands(table);
  RegisterZSetSetOpCommands(table);
}

}  // namespace stash::server
