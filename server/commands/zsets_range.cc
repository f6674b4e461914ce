// The sorted set range commands, as Redis 7.0's zrangeGenericCommand and
// zremrangeGenericCommand: ZRANGE (BYSCORE, BYLEX, REV, LIMIT, WITHSCORES), ZRANGESTORE,
// ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX, ZREMRANGEBYRANK,
// ZREMRANGEBYSCORE, ZREMRANGEBYLEX, and the counts ZCOUNT and ZLEXCOUNT; with the score and
// member range parsing they share (zslParseRange, zslParseLexRange).
#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include "protocol/numbers.h"
#include "server/commands/keys.h"
#include "server/commands/zsets.h"
#include "server/errors.h"

namespace stash::server {
namespace zsetcmd {
namespace {

// One bound of zslParseRange: strtod over the C string (so up to a NUL byte).
bool ParseScoreBound(std::string_view arg, double* value, bool* exclusive) {
  std::string text(CStr(arg));
  const char* start = text.c_str();
  *exclusive = false;
  if (start[0] == '(') {
    *exclusive = true;
    ++start;
  }
  char* end;
  *value = strtod(start, &end);
  return *end == '\0' && !std::isnan(*value);
}

bool ParseLexBound(std::string_view arg, storage::ZLexRange::Bound* bound) {
  using Kind = storage::ZLexRange::Kind;
  // The switch looks at the C string: an empty argument (or one starting with NUL) is invalid,
  // and "+"/"-" must be followed by the end of the C string.
  if (arg.empty()) return false;
  switch (arg[0]) {
    case '+':
    case '-':
      if (arg.size() > 1 && arg[1] != '\0') return false;
      bound->kind = arg[0] == '+' ? Kind::kPlusInf : Kind::kMinusInf;
      bound->ex = true;
      return true;
    case '(':
    case '[':
      bound->kind = Kind::kValue;
      bound->ex = arg[0] == '(';
      bound->value.assign(arg.substr(1));
      return true;
    default:
      return false;
  }
}
}  // namespace

bool ParseScoreRange(std::string_view min, std::string_view max, storage::ZScoreRange* range) {
  return ParseScoreBound(min, &range->min, &range->minex) &&
         ParseScoreBound(max, &range->max, &range->maxex);
}

bool ParseLexRange(std::string_view min, std::string_view max, storage::ZLexRange* range) {
  return ParseLexBound(min, &range->min) && ParseLexBound(max, &range->max);
}

}  // namespace zsetcmd

namespace {

using storage::ZSetValue;
using zsetcmd::Lookup;

enum class RangeType { kAuto, kRank, kScore, kLex };
enum class Direction { kAuto, kForward, kReverse };

// Where a range goes (Redis's zrange_result_handler): to the client, or into a new sorted set
// stored under a destination key (ZRANGESTORE).
class RangeSink {
 public:
  RangeSink(CommandContext& ctx, const KeyRef* dst) : ctx_(ctx), dst_(dst) {}
  void set_withscores(bool yes) { withscores_ = yes; }

  // length: the number of elements when known in advance, -1 when not.
  void Begin(int64_t length) {
    if (dst_ != nullptr) {
      // zsetTypeCreate: a skiplist from the start when the known length needs one.
      result_ = ZSetValue::Create(length > 0 ? static_cast<size_t>(length) : 0, limits_);
      return;
    }
    if (length > 0) {
      ctx_.reply.ArrayHeader(withscores_ && !ctx_.reply.resp3() ? length * 2 : length);
      deferred_ = false;
    } else {
      mark_ = ctx_.reply.BeginDeferredArray();
      deferred_ = true;
    }
  }

  void Emit(std::string_view member, double score) {
    if (dst_ != nullptr) {
      double ignored;
      result_->Add(member, score, 0, limits_, &ignored);
      return;
    }
    if (withscores_ && ctx_.reply.resp3()) ctx_.reply.ArrayHeader(2);
    ctx_.reply.Bulk(member);
    if (withscores_) ctx_.reply.Double(score);
  }

  void Finalize(size_t count) {
    if (dst_ != nullptr) {
      if (count > 0) {
        zsetcmd::Store(ctx_, *dst_, std::move(result_));
        ctx_.reply.Integer(static_cast<int64_t>(count));
        ctx_.Notify(kNotifyZset, "zrangestore", dst_->key);
      } else {
        ctx_.reply.Integer(0);
        bool deleted = dst_->shard->Erase(dst_->key, dst_->hash, ctx_.now_ms);
        if (deleted) ctx_.Notify(kNotifyGeneric, "del", dst_->key);
      }
      return;
    }
    if (deferred_) {
      ctx_.reply.EndDeferredArray(mark_, withscores_ && !ctx_.reply.resp3() ? count * 2 : count);
    }
  }

  void SetLimits(storage::ZSetLimits limits) { limits_ = limits; }

 private:
  CommandContext& ctx_;
  const KeyRef* dst_;
  bool withscores_ = false;
  bool deferred_ = false;
  size_t mark_ = 0;
  storage::ZSetLimits limits_;
  std::unique_ptr<ZSetValue> result_;
};

// genericZrangebyrankCommand.
void RangeByRank(RangeSink& sink, const ZSetValue& z, int64_t start, int64_t end, bool reverse) {
  int64_t llen = static_cast<int64_t>(z.size());
  if (start < 0) start = llen + start;
  if (end < 0) end = llen + end;
  if (start < 0) start = 0;
  if (start > end || start >= llen) {
    sink.Begin(0);
    sink.Finalize(0);
    return;
  }
  if (end >= llen) end = llen - 1;
  int64_t rangelen = end - start + 1;
  sink.Begin(rangelen);
  ZSetValue::Cursor c = z.Seek(static_cast<size_t>(reverse ? llen - 1 - start : start));
  for (int64_t i = 0; i < rangelen; ++i) {
    sink.Emit(c.get().member, c.get().score);
    if (reverse) {
      c.Prev();
    } else {
      c.Next();
    }
  }
  sink.Finalize(static_cast<size_t>(rangelen));
}

// genericZrangebyscoreCommand and genericZrangebylexCommand: from the first element in range
// (the last one when reversed), skip `offset` elements, then emit while in range, up to `limit`
// (negative: no limit). A negative offset walks off the end, so nothing is returned.
template <typename InRange>
void RangeFrom(RangeSink& sink, const ZSetValue& z, size_t first, int64_t offset, int64_t limit,
               bool reverse, InRange&& in_range) {
  sink.Begin(-1);
  size_t count = 0;
  if (limit < 0) limit = -1;  // no limit (and no overflow counting down from INT64_MIN)
  // Skipping `offset` elements without looking at them is a jump by rank.
  uint64_t skip = static_cast<uint64_t>(offset);
  bool skipped_past = first == ZSetValue::kNpos || offset < 0 ||
                      (reverse ? skip > first : skip >= z.size() - first);
  if (!skipped_past) {
    ZSetValue::Cursor c = z.Seek(reverse ? first - skip : first + skip);
    auto step = [&] {
      if (reverse) {
        c.Prev();
      } else {
        c.Next();
      }
    };
    while (c.valid() && limit-- != 0) {
      if (!in_range(c.get())) break;
      sink.Emit(c.get().member, c.get().score);
      ++count;
      step();
    }
  }
  sink.Finalize(count);
}

// zrangeGenericCommand. argc_start is where the source key is (1, or 2 for ZRANGESTORE).
void ZrangeGeneric(CommandContext& ctx, size_t argc_start, bool store, RangeType type,
                   Direction direction) {
  const auto& args = ctx.args;
  size_t minidx = argc_start + 1, maxidx = argc_start + 2;
  bool withscores = false;
  int64_t offset = 0, limit = -1;
  for (size_t j = argc_start + 3; j < args.size(); ++j) {
    size_t leftargs = args.size() - j - 1;
    if (!store && IsOption(args[j], "withscores")) {
      withscores = true;
    } else if (IsOption(args[j], "limit") && leftargs >= 2) {
      if (!protocol::StringToInt64(args[j + 1], &offset) ||
          !protocol::StringToInt64(args[j + 2], &limit)) {
        return ctx.Error(errors::kNotInteger);
      }
      j += 2;
    } else if (direction == Direction::kAuto && IsOption(args[j], "rev")) {
      direction = Direction::kReverse;
    } else if (type == RangeType::kAuto && IsOption(args[j], "bylex")) {
      type = RangeType::kLex;
    } else if (type == RangeType::kAuto && IsOption(args[j], "byscore")) {
      type = RangeType::kScore;
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  if (direction == Direction::kAuto) direction = Direction::kForward;
  if (type == RangeType::kAuto) type = RangeType::kRank;
  // An explicit "LIMIT x -1" is the default and passes, as in Redis.
  if (limit != -1 && type == RangeType::kRank) {
    return ctx.Error(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
  }
  if (withscores && type == RangeType::kLex) {
    return ctx.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  }
  bool reverse = direction == Direction::kReverse;
  if (reverse && type != RangeType::kRank) std::swap(minidx, maxidx);  // given as max, min

  int64_t start = 0, end = 0;
  storage::ZScoreRange score_range;
  storage::ZLexRange lex_range;
  switch (type) {
    case RangeType::kAuto:
    case RangeType::kRank:
      if (!protocol::StringToInt64(args[minidx], &start) ||
          !protocol::StringToInt64(args[maxidx], &end)) {
        return ctx.Error(errors::kNotInteger);
      }
      break;
    case RangeType::kScore:
      if (!zsetcmd::ParseScoreRange(args[minidx], args[maxidx], &score_range)) {
        return ctx.Error(zsetcmd::kNotFloatRange);
      }
      break;
    case RangeType::kLex:
      if (!zsetcmd::ParseLexRange(args[minidx], args[maxidx], &lex_range)) {
        return ctx.Error(zsetcmd::kNotLexRange);
      }
      break;
  }

  KeyRef dst{};
  if (store) dst = ctx.Key(args[1]);
  RangeSink sink(ctx, store ? &dst : nullptr);
  sink.set_withscores(withscores || store);
  if (store) sink.SetLimits(zsetcmd::Limits(ctx));
  ZSetValue* z;
  if (!Lookup(ctx, ctx.Key(args[argc_start]), /*read=*/true, &z)) return;
  if (z == nullptr) {
    if (!store) return ctx.reply.EmptyArray();
    sink.Begin(-1);
    sink.Finalize(0);
    return;
  }
  switch (type) {
    case RangeType::kAuto:
    case RangeType::kRank:
      RangeByRank(sink, *z, start, end, reverse);
      break;
    case RangeType::kScore: {
      size_t first = reverse ? z->LastInRange(score_range) : z->FirstInRange(score_range);
      RangeFrom(sink, *z, first, offset, limit, reverse, [&](const ZSetValue::Element& e) {
        return reverse ? score_range.GteMin(e.score) : score_range.LteMax(e.score);
      });
      break;
    }
    case RangeType::kLex: {
      size_t first = reverse ? z->LastInLexRange(lex_range) : z->FirstInLexRange(lex_range);
      RangeFrom(sink, *z, first, offset, limit, reverse, [&](const ZSetValue::Element& e) {
        return reverse ? lex_range.GteMin(e.member) : lex_range.LteMax(e.member);
      });
      break;
    }
  }
}

void ZrangeCommand(CommandContext& ctx) {
  ZrangeGeneric(ctx, 1, false, RangeType::kAuto, Direction::kAuto);
}
void ZrangestoreCommand(CommandContext& ctx) {
  ZrangeGeneric(ctx, 2, true, RangeType::kAuto, Direction::kAuto);
}
void ZrevrangeCommand(CommandContext& ctx) {
  ZrangeGeneric(ctx, 1, false, RangeType::kRank, Direction::kReverse);
}
void ZrangebyscoreCommand(CommandContext& ctx) {
  ZrangeGeneric(ctx, 1, false, RangeType::kScore, Direction::kForward);
}
void ZrevrangebyscoreCommand(CommandContext& ctx) {
  ZrangeGeneric(ctx, 1, false, RangeType::kScore, Direction::kReverse);
}
void ZrangebylexCommand(CommandContext& ctx) {
  ZrangeGeneric(ctx, 1, false, RangeType::kLex, Direction::kForward);
}
void ZrevrangebylexCommand(CommandContext& ctx) {
  ZrangeGeneric(ctx, 1, false, RangeType::kLex, Direction::kReverse);
}

// ---- ZCOUNT / ZLEXCOUNT --------------------------------------------------------------------

void ZcountCommand(CommandContext& ctx) {
  storage::ZScoreRange range;
  if (!zsetcmd::ParseScoreRange(ctx.args[2], ctx.args[3], &range)) {
    return ctx.Error(zsetcmd::kNotFloatRange);
  }
  ZSetValue* z;
  if (!Lookup(ctx, ctx.Key(ctx.args[1]), true, &z)) return;
  ctx.reply.Integer(z ? static_cast<int64_t>(z->CountInRange(range)) : 0);
}

void ZlexcountCommand(CommandContext& ctx) {
  storage::ZLexRange range;
  if (!zsetcmd::ParseLexRange(ctx.args[2], ctx.args[3], &range)) {
    return ctx.Error(zsetcmd::kNotLexRange);
  }
  ZSetValue* z;
  if (!Lookup(ctx, ctx.Key(ctx.args[1]), true, &z)) return;
  ctx.reply.Integer(z ? static_cast<int64_t>(z->CountInLexRange(range)) : 0);
}

// zremrangeGenericCommand.
void ZremrangeGeneric(CommandContext& ctx, RangeType type) {
  const auto& args = ctx.args;
  int64_t start = 0, end = 0;
  storage::ZScoreRange score_range;
  storage::ZLexRange lex_range;
  if (type == RangeType::kRank) {
    if (!protocol::StringToInt64(args[2], &start) || !protocol::StringToInt64(args[3], &end)) {
      return ctx.Error(errors::kNotInteger);
    }
  } else if (type == RangeType::kScore) {
    if (!zsetcmd::ParseScoreRange(args[2], args[3], &score_range)) {
      return ctx.Error(zsetcmd::kNotFloatRange);
    }
  } else if (!zsetcmd::ParseLexRange(args[2], args[3], &lex_range)) {
    return ctx.Error(zsetcmd::kNotLexRange);
  }
  KeyRef k = ctx.Key(args[1]);
  ZSetValue* z;
  if (!Lookup(ctx, k, /*read=*/false, &z)) return;
  if (z == nullptr) return ctx.reply.Integer(0);

  size_t first = 0, count = 0;
  if (type == RangeType::kRank) {
    int64_t llen = static_cast<int64_t>(z->size());
    if (start < 0) start = llen + start;
    if (end < 0) end = llen + end;
    if (start < 0) start = 0;
    if (start > end || start >= llen) return ctx.reply.Integer(0);
    if (end >= llen) end = llen - 1;
    first = static_cast<size_t>(start);
    count = static_cast<size_t>(end - start + 1);
  } else if (type == RangeType::kScore) {
    // From the first element in range, while within max (zzlDeleteRangeByScore).
    first = z->FirstInRange(score_range);
    if (first != ZSetValue::kNpos) count = z->CountInRange(score_range);
  } else {
    first = z->FirstInLexRange(lex_range);
    if (first != ZSetValue::kNpos) count = z->CountInLexRange(lex_range);
  }
  if (count > 0) {
    z->DeleteRange(first, count);
    bool emptied = z->size() == 0;
    if (emptied) {
      k.shard->Erase(k.key, k.hash, ctx.now_ms);
    } else {
      k.shard->Touch(k.key);
    }
    ctx.Notify(kNotifyZset, ctx.command->spec.name, k.key);  // "zremrangebyscore", ...
    if (emptied) ctx.Notify(kNotifyGeneric, "del", k.key);
  }
  ctx.reply.Integer(static_cast<int64_t>(count));
}

void ZremrangebyrankCommand(CommandContext& ctx) { ZremrangeGeneric(ctx, RangeType::kRank); }
void ZremrangebyscoreCommand(CommandContext& ctx) { ZremrangeGeneric(ctx, RangeType::kScore); }
void ZremrangebylexCommand(CommandContext& ctx) { ZremrangeGeneric(ctx, RangeType::kLex); }

}  // namespace

void RegisterZSetRangeCommands(CommandTable& table) {
  constexpr const char* kRangeComplexity =
      "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
      "elements returned.";
  constexpr const char* kByComplexity =
      "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
      "elements being returned. If M is constant (e.g. always asking for the first 10 elements "
      "with LIMIT), you can consider it O(log(N)).";
  constexpr const char* kRemComplexity =
      "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
      "elements removed by the operation.";
  table.Add({"zcount", 4, kReadonly | kFast, 1, 1, 1, ZcountCommand, "sorted-set",
             "Count the members in a sorted set with scores within the given values", "2.0.0",
             "O(log(N)) with N being the number of elements in the sorted set.",
             "read sortedset fast"});
  table.Add({"zlexcount", 4, kReadonly | kFast, 1, 1, 1, ZlexcountCommand, "sorted-set",
             "Count the number of members in a sorted set between a given lexicographical range",
             "2.8.9", "O(log(N)) with N being the number of elements in the sorted set.",
             "read sortedset fast"});
  table.Add({"zrange", -4, kReadonly, 1, 1, 1, ZrangeCommand, "sorted-set",
             "Return a range of members in a sorted set", "1.2.0", kRangeComplexity,
             "read sortedset slow"});
  table.Add({"zrangestore", -5, kWrite | kDenyOom, 1, 2, 1, ZrangestoreCommand, "sorted-set",
             "Store a range of members from sorted set into another key", "6.2.0",
             "O(log(N)+M) with N being the number of elements in the sorted set and M the number "
             "of elements stored into the destination key.",
             "write sortedset slow", nullptr, "OW update;RO access"});
  table.Add({"zrevrange", -4, kReadonly, 1, 1, 1, ZrevrangeCommand, "sorted-set",
             "Return a range of members in a sorted set, by index, with scores ordered from high "
             "to low",
             "1.2.0", kRangeComplexity, "read sortedset slow"});
  table.Add({"zrangebyscore", -4, kReadonly, 1, 1, 1, ZrangebyscoreCommand, "sorted-set",
             "Return a range of members in a sorted set, by score", "1.0.5", kByComplexity,
             "read sortedset slow"});
  table.Add({"zrevrangebyscore", -4, kReadonly, 1, 1, 1, ZrevrangebyscoreCommand, "sorted-set",
             "Return a range of members in a sorted set, by score, with scores ordered from high "
             "to low",
             "2.2.0", kByComplexity, "read sortedset slow"});
  table.Add({"zrangebylex", -4, kReadonly, 1, 1, 1, ZrangebylexCommand, "sorted-set",
             "Return a range of members in a sorted set, by lexicographical range", "2.8.9",
             kByComplexity, "read sortedset slow"});
  table.Add({"zrevrangebylex", -4, kReadonly, 1, 1, 1, ZrevrangebylexCommand, "sorted-set",
             "Return a range of members in a sorted set, by lexicographical range, ordered from "
             "higher to lower strings.",
             "2.8.9", kByComplexity, "read sortedset slow"});
  table.Add({"zremrangebyrank", 4, kWrite, 1, 1, 1, ZremrangebyrankCommand, "sorted-set",
             "Remove all members in a sorted set within the given indexes", "2.0.0",
             kRemComplexity, "write sortedset slow", nullptr, "RW delete"});
  table.Add({"zremrangebyscore", 4, kWrite, 1, 1, 1, ZremrangebyscoreCommand, "sorted-set",
             "Remove all members in a sorted set within the given scores", "1.2.0",
             kRemComplexity, "write sortedset slow", nullptr, "RW delete"});
  table.Add({"zremrangebylex", 4, kWrite, 1, 1, 1, ZremrangebylexCommand, "sorted-set",
             "Remove all members in a sorted set between the given lexicographical range",
             "2.8.9", kRemComplexity, "write sortedset slow", nullptr, "RW delete"});
}

}  // namespace stash::server
