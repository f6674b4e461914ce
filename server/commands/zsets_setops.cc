// Sorted set algebra, as Redis 7.0's zunionInterDiffGenericCommand: ZUNION, ZINTER, ZDIFF,
// ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE and ZINTERCARD. Inputs may be sorted sets or plain sets
// (whose members score 1).
//
// Results do not depend on the order elements are visited in, but sums of floating-point scores
// do depend on the order of the inputs: as in Redis, the inputs are sorted by size (stably, as
// glibc's merge-sort qsort does) and each element's score is aggregated in that order.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocol/numbers.h"
#include "server/commands/keys.h"
#include "server/commands/zsets.h"
#include "server/errors.h"
#include "storage/access_policy.h"
#include "storage/types/set_value.h"

namespace stash::server {
namespace {

using storage::SetValue;
using storage::ZSetValue;

enum class Op { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

struct Source {
  const ZSetValue* zset = nullptr;
  const SetValue* set = nullptr;
  double weight = 1.0;
  size_t size() const { return zset ? zset->size() : set ? set->size() : 0; }
  bool same_object(const Source& o) const {
    return (zset != nullptr && zset == o.zset) || (set != nullptr && set == o.set);
  }
  // zuiFind: the member's score (1 for a set member).
  bool Find(std::string_view member, double* score) const {
    if (zset != nullptr) return zset->Score(member, score);
    if (set != nullptr && set->Contains(member)) {
      *score = 1.0;
      return true;
    }
    return false;
  }
  // Visits every (member, score); set members are formatted into a temporary buffer, so the
  // member view is valid only during the call.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    if (zset != nullptr) {
      for (ZSetValue::Cursor c = zset->Seek(0); c.valid(); c.Next()) {
        visit(c.get().member, c.get().score);
      }
    } else if (set != nullptr) {
      set->ForEach([&](std::string_view m) { visit(m, 1.0); });
    }
  }
};

// zunionInterAggregate: a sum of +inf and -inf is 0, not NaN.
void AggregateInto(double* target, double value, Aggregate how) {
  switch (how) {
    case Aggregate::kSum:
      *target += value;
      if (std::isnan(*target)) *target = 0.0;
      break;
    case Aggregate::kMin:
      *target = value < *target ? value : *target;
      break;
    case Aggregate::kMax:
      *target = value > *target ? value : *target;
      break;
  }
}

// Weighted score of an input element; inf * 0 is 0, not NaN.
double Weighted(double weight, double score) {
  double v = weight * score;
  return std::isnan(v) ? 0.0 : v;
}

// numkeys_index: 1 for ZUNION/ZINTER/ZDIFF/ZINTERCARD, 2 for the STORE forms (dst at 1).
void ZsetOpGeneric(CommandContext& ctx, size_t numkeys_index, Op op, bool cardinality_only) {
  const auto& args = ctx.args;
  const bool store = numkeys_index == 2;
  int64_t setnum;
  if (!protocol::StringToInt64(args[numkeys_index], &setnum)) {
    return ctx.Error(errors::kNotInteger);
  }
  if (setnum < 1) {
    return ctx.Error("ERR at least 1 input key is needed for '" + ctx.command->full_name() +
                     "' command");
  }
  if (setnum > static_cast<int64_t>(args.size() - (numkeys_index + 1))) {
    return ctx.Error(errors::kSyntax);
  }
  // Every input is looked up (and type-checked) before the options are parsed.
  std::vector<Source> src(static_cast<size_t>(setnum));
  size_t j = numkeys_index + 1;
  for (size_t i = 0; i < src.size(); ++i, ++j) {
    KeyRef k = ctx.Key(args[j]);
    storage::Entry e = k.shard->Find(k.key, k.hash, ctx.now_ms);
    if (e) {
      ctx.Hit();
      storage::StampAccess(e, ctx.now_ms);
      if (e.type() == storage::ValueType::kZSet) {
        src[i].zset = storage::ObjectAs<ZSetValue>(e);
      } else if (e.type() == storage::ValueType::kSet) {
        src[i].set = storage::ObjectAs<SetValue>(e);
      } else {
        return ctx.Error(errors::kWrongType);
      }
    } else {
      ctx.Miss(k.key);
    }
  }
  Aggregate aggregate = Aggregate::kSum;
  bool withscores = false;
  int64_t limit = 0;
  while (j < args.size()) {
    size_t remaining = args.size() - j;
    if (op != Op::kDiff && !cardinality_only && remaining >= src.size() + 1 &&
        IsOption(args[j], "weights")) {
      ++j;
      for (size_t i = 0; i < src.size(); ++i, ++j) {
        if (!protocol::StringToDouble(args[j], &src[i].weight)) {
          return ctx.Error("ERR weight value is not a float");
        }
      }
    } else if (op != Op::kDiff && !cardinality_only && remaining >= 2 &&
               IsOption(args[j], "aggregate")) {
      std::string_view how = args[j + 1];
      if (IsOption(how, "sum")) {
        aggregate = Aggregate::kSum;
      } else if (IsOption(how, "min")) {
        aggregate = Aggregate::kMin;
      } else if (IsOption(how, "max")) {
        aggregate = Aggregate::kMax;
      } else {
        return ctx.Error(errors::kSyntax);
      }
      j += 2;
    } else if (!store && !cardinality_only && IsOption(args[j], "withscores")) {
      ++j;
      withscores = true;
    } else if (cardinality_only && remaining >= 2 && IsOption(args[j], "limit")) {
      if (!protocol::StringToInt64(args[j + 1], &limit) || limit < 0) {
        return ctx.Error("ERR LIMIT can't be negative");
      }
      j += 2;
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  if (op != Op::kDiff) {
    std::stable_sort(src.begin(), src.end(),
                     [](const Source& a, const Source& b) { return a.size() < b.size(); });
  }

  // The result: owned members and their scores.
  std::vector<std::pair<std::string, double>> result;
  size_t cardinality = 0;
  if (op == Op::kInter) {
    if (src[0].size() > 0) {
      src[0].ForEach([&](std::string_view member, double s) {
        if (cardinality_only && limit > 0 && cardinality >= static_cast<size_t>(limit)) return;
        double score = Weighted(src[0].weight, s);
        size_t k = 1;
        for (; k < src.size(); ++k) {
          double value;
          if (src[k].same_object(src[0])) {
            value = s * src[k].weight;
          } else if (src[k].Find(member, &value)) {
            value *= src[k].weight;
          } else {
            break;
          }
          AggregateInto(&score, value, aggregate);
        }
        if (k < src.size()) return;
        if (cardinality_only) {
          ++cardinality;
        } else {
          result.emplace_back(std::string(member), score);
        }
      });
    }
  } else if (op == Op::kUnion) {
    std::unordered_map<std::string, double> acc;
    acc.reserve(src.back().size());
    for (const Source& s : src) {
      s.ForEach([&](std::string_view member, double score) {
        double v = Weighted(s.weight, score);
        auto [it, inserted] = acc.try_emplace(std::string(member), v);
        if (!inserted) AggregateInto(&it->second, v, aggregate);
      });
    }
    result.reserve(acc.size());
    for (auto& [member, score] : acc) result.emplace_back(member, score);
  } else {
    // ZDIFF: the first input's elements found in none of the others (all of them, unless an
    // input is the first one again). Scores are not weighted.
    bool repeated = false;
    for (size_t i = 1; i < src.size(); ++i) repeated = repeated || src[i].same_object(src[0]);
    if (!repeated) {
      src[0].ForEach([&](std::string_view member, double score) {
        double ignored;
        for (size_t i = 1; i < src.size(); ++i) {
          if (src[i].Find(member, &ignored)) return;
        }
        result.emplace_back(std::string(member), score);
      });
    }
  }

  if (cardinality_only) return ctx.reply.Integer(static_cast<int64_t>(cardinality));
  std::vector<ZSetValue::Element> elements;
  elements.reserve(result.size());
  for (const auto& [member, score] : result) elements.push_back({member, score});
  if (store) {
    KeyRef dst = ctx.Key(args[1]);
    if (elements.empty()) {
      ctx.reply.Integer(0);
      bool deleted = dst.shard->Erase(dst.key, dst.hash, ctx.now_ms);
      if (deleted) ctx.Notify(kNotifyGeneric, "del", dst.key);
      return;
    }
    size_t n = elements.size();
    zsetcmd::Store(ctx, dst, ZSetValue::Build(std::move(elements), zsetcmd::Limits(ctx)));
    ctx.reply.Integer(static_cast<int64_t>(n));
    ctx.Notify(kNotifyZset, ctx.command->spec.name, dst.key);  // "zunionstore", ...
    return;
  }
  std::sort(elements.begin(), elements.end(), [](const auto& a, const auto& b) {
    if (a.score != b.score) return a.score < b.score;
    return storage::zset::CompareMembers(a.member, b.member) < 0;
  });
  zsetcmd::ElementReply out(ctx, withscores);
  out.Begin(elements.size());
  for (const auto& e : elements) out.Add(e.member, e.score);
}

void ZunionstoreCommand(CommandContext& ctx) { ZsetOpGeneric(ctx, 2, Op::kUnion, false); }
void ZinterstoreCommand(CommandContext& ctx) { ZsetOpGeneric(ctx, 2, Op::kInter, false); }
void ZdiffstoreCommand(CommandContext& ctx) { ZsetOpGeneric(ctx, 2, Op::kDiff, false); }
void ZunionCommand(CommandContext& ctx) { ZsetOpGeneric(ctx, 1, Op::kUnion, false); }
void ZinterCommand(CommandContext& ctx) { ZsetOpGeneric(ctx, 1, Op::kInter, false); }
void ZdiffCommand(CommandContext& ctx) { ZsetOpGeneric(ctx, 1, Op::kDiff, false); }
void ZintercardCommand(CommandContext& ctx) { ZsetOpGeneric(ctx, 1, Op::kInter, true); }

}  // namespace

void RegisterZSetSetOpCommands(CommandTable& table) {
  constexpr const char* kUnionComplexity =
      "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being "
      "the number of elements in the resulting sorted set.";
  constexpr const char* kInterComplexity =
      "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the "
      "number of input sorted sets and M being the number of elements in the resulting sorted "
      "set.";
  constexpr const char* kDiffComplexity =
      "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N "
      "is the size of the first set, and K is the size of the result set.";
  table.Add({"zunion", -3, kReadonly, 0, 0, 0, ZunionCommand, "sorted-set",
             "Add multiple sorted sets", "6.2.0", kUnionComplexity, "read sortedset slow", nullptr,
             "RO access", 1});
  table.Add({"zinter", -3, kReadonly, 0, 0, 0, ZinterCommand, "sorted-set",
             "Intersect multiple sorted sets", "6.2.0", kInterComplexity,
             "read sortedset slow", nullptr, "RO access", 1});
  table.Add({"zdiff", -3, kReadonly, 0, 0, 0, ZdiffCommand, "sorted-set",
             "Subtract multiple sorted sets", "6.2.0", kDiffComplexity, "read sortedset slow",
             nullptr, "RO access", 1});
  table.Add({"zintercard", -3, kReadonly, 0, 0, 0, ZintercardCommand, "sorted-set",
             "Intersect multiple sorted sets and return the cardinality of the result", "7.0.0",
             "O(N*K) worst case with N being the smallest input sorted set, K being the number "
             "of input sorted sets.",
             "read sortedset slow", nullptr, "RO access", 1});
  table.Add({"zunionstore", -4, kWrite | kDenyOom, 1, 1, 1, ZunionstoreCommand, "sorted-set",
             "Add multiple sorted sets and store the resulting sorted set in a new key", "2.0.0",
             "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M "
             "being the number of elements in the resulting sorted set.",
             "write sortedset slow", nullptr,
             "OW update;RO access", 2});
  table.Add({"zinterstore", -4, kWrite | kDenyOom, 1, 1, 1, ZinterstoreCommand, "sorted-set",
             "Intersect multiple sorted sets and store the resulting sorted set in a new key",
             "2.0.0", kInterComplexity, "write sortedset slow", nullptr,
             "OW update;RO access", 2});
  table.Add({"zdiffstore", -4, kWrite | kDenyOom, 1, 1, 1, ZdiffstoreCommand, "sorted-set",
             "Subtract multiple sorted sets and store the resulting sorted set in a new key",
             "6.2.0", kDiffComplexity, "write sortedset slow", nullptr,
             "OW update;RO access", 2});
}

}  // namespace stash::server
