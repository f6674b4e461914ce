// The sorted set type. Two encodings, as Redis 7.0 (t_zset.c):
//
// - listpack: one malloc'ed buffer of elements in (score, member) order, no allocation per
//   element. An element is [varint member length][member][score], the score being either a
//   varint of (zigzag(v) + 1) for an integral v in [-2^62, 2^62] (what Redis's double2ll
//   accepts, stored there as a listpack integer) or a 0 byte and the 8-byte double. Like
//   Redis's, this keeps integral scores as integers, so -0 comes back as 0 from a listpack
//   (but stays -0 in the large encoding, as in a Redis skiplist).
// - skiplist (Redis's name, reported by OBJECT ENCODING): a zset::ZSetBig, see zset_tree.h:
//   records in an arena, a hash index member -> record and an order-statistic B+tree.
//
// A listpack becomes a skiplist (never back) when it would hold more than
// zset-max-listpack-entries elements or a member longer than zset-max-listpack-value; the caller
// passes both limits in (ZSetLimits). Results built at once (ZUNIONSTORE, ...) pick their
// encoding from their final size, as Redis's zsetConvertToListpackIfNeeded.
//
// Ranks are 0-based from the lowest (score, member). Positions past the end are kNpos.
#ifndef STASH_STORAGE_TYPES_ZSET_VALUE_H_
#define STASH_STORAGE_TYPES_ZSET_VALUE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/types/zset_tree.h"
#include "storage/value.h"

namespace stash::storage {

struct ZSetLimits {
  uint64_t max_listpack_entries = 128;
  uint64_t max_listpack_value = 64;
};

// A score interval (Redis's zrangespec): min/max with exclusive flags.
struct ZScoreRange {
  double min = 0, max = 0;
  bool minex = false, maxex = false;
  bool GteMin(double v) const { return minex ? v > min : v >= min; }
  bool LteMax(double v) const { return maxex ? v < max : v <= max; }
  // Ranges that can hold nothing (zslIsInRange's first test).
  bool Empty() const { return min > max || (min == max && (minex || maxex)); }
};

// A member interval (Redis's zlexrangespec): each end is "-" (before everything), "+" (after
// everything) or a member, inclusive ('[') or exclusive ('(').
struct ZLexRange {
  enum class Kind : uint8_t { kMinusInf, kPlusInf, kValue };
  struct Bound {
    Kind kind = Kind::kValue;
    bool ex = false;
    std::string value;
  };
  Bound min, max;
  bool GteMin(std::string_view v) const;
  bool LteMax(std::string_view v) const;
  bool Empty() const;  // zslIsInLexRange's first test
};

class ZSetValue final : public CollectionValue {
 public:
  struct Element {
    std::string_view member;
    double score;
  };
  static constexpr size_t kNpos = static_cast<size_t>(-1);

  // ZADD's options (zsetAdd's ZADD_IN_*).
  enum AddFlags : unsigned { kNx = 1, kXx = 2, kGt = 4, kLt = 8, kIncr = 16 };
  enum class AddResult {
    kAdded,      // a new member
    kUpdated,    // its score changed
    kUnchanged,  // processed, but the score stayed the same
    kNop,        // skipped because of NX, XX, GT or LT
    kNaN,        // the score (or the incremented score) is not a number; nothing changed
  };

  // An empty listpack, or an empty skiplist when size_hint elements would not fit a listpack
  // (Redis's zsetTypeCreate, used by ZRANGESTORE by rank).
  static std::unique_ptr<ZSetValue> Create(size_t size_hint, const ZSetLimits& limits);
  // A set holding `elements` (distinct members, any order), in the encoding their count and
  // longest member call for (ZUNIONSTORE and friends).
  static std::unique_ptr<ZSetValue> Build(std::vector<Element> elements,
                                          const ZSetLimits& limits);

  ZSetValue() = default;
  ZSetValue(const ZSetValue&) = delete;
  ZSetValue& operator=(const ZSetValue&) = delete;
  ~ZSetValue() override;

  std::unique_ptr<CollectionValue> Clone() const override;
  size_t BytesUsed() const override;
  const char* Encoding() const override { return big_ ? "skiplist" : "listpack"; }

  bool is_listpack() const { return big_ == nullptr; }
  size_t size() const { return big_ ? big_->size() : lp_count_; }

  // Redis's zsetAdd. *new_score receives the resulting score when the member was added or
  // processed (kAdded, kUpdated, kUnchanged).
  AddResult Add(std::string_view member, double score, unsigned flags, const ZSetLimits& limits,
                double* new_score);
  bool Remove(std::string_view member);
  bool Score(std::string_view member, double* score) const;
  // 0-based rank from the lowest score, or from the highest when reverse.
  bool Rank(std::string_view member, bool reverse, size_t* rank) const;

  // ---- Iteration by rank. ----
  class Cursor {
   public:
    bool valid() const { return valid_; }
    Element get() const { return current_; }
    size_t rank() const { return rank_; }
    void Next();
    void Prev();

   private:
    friend class ZSetValue;
    void LoadListpack();
    const ZSetValue* z_ = nullptr;
    bool valid_ = false;
    size_t rank_ = 0;
    Element current_{};
    // listpack: offset of the current element; offsets of every element once Prev is used.
    uint32_t offset_ = 0;
    std::vector<uint32_t> offsets_;
    // skiplist
    zset::OrderTree::Pos pos_;
  };
  // A cursor at rank (invalid when rank >= size()).
  Cursor Seek(size_t rank) const;
  Element At(size_t rank) const { return Seek(rank).get(); }

  // ---- Ranges, each as the Redis encoding it mirrors finds them. ----
  // zzlFirstInRange / zslFirstInRange: rank of the first element in range, or kNpos.
  size_t FirstInRange(const ZScoreRange& range) const;
  size_t LastInRange(const ZScoreRange& range) const;
  size_t FirstInLexRange(const ZLexRange& range) const;
  size_t LastInLexRange(const ZLexRange& range) const;
  // ZCOUNT / ZLEXCOUNT; also how many elements ZREMRANGEBYSCORE/BYLEX delete from the first.
  size_t CountInRange(const ZScoreRange& range) const;
  size_t CountInLexRange(const ZLexRange& range) const;

  // Removes ranks [start, start + count).
  void DeleteRange(size_t start, size_t count);
  // ZPOPMIN / ZPOPMAX (and the later BZPOPMIN): removes the first or last element and returns
  // it; the set must not be empty.
  std::pair<std::string, double> Pop(bool max);

  // Every element in order (views into this set; valid until it changes).
  std::vector<Element> Elements() const;
  // A uniformly chosen element (skiplist: a random hash slot), from r; the set must not be
  // empty.
  Element RandomElement(uint64_t r) const;

  // ZSCAN. A listpack is returned whole with cursor 0 (as Redis); a skiplist visits the
  // members whose hash lies in [cursor, next) and returns next (0 when done).
  template <typename Visit>
  uint64_t Scan(uint64_t cursor, size_t count, Visit&& visit) const {
    if (!big_) {
      for (Cursor c = Seek(0); c.valid(); c.Next()) visit(c.get(), true);
      return 0;
    }
    return big_->index().Scan(cursor, count, [&](const uint8_t* rec) {
      visit(Element{zset::RecordMember(rec), zset::RecordScore(rec)}, false);
    });
  }

  // Redis's double2ll test: the scores a listpack stores as integers (and ZSCAN of a listpack
  // prints as integers).
  static bool ScoreIsListpackInteger(double score, int64_t* out);

 private:
  // listpack helpers
  bool LpFind(std::string_view member, uint32_t* offset, double* score, size_t* rank) const;
  void LpInsert(std::string_view member, double score);
  void LpAppend(std::string_view member, double score);
  void LpErase(uint32_t offset);
  void LpEraseRange(uint32_t from, uint32_t to, size_t count);
  void ConvertToBig(size_t reserve);
  static const uint8_t* LpDecode(const uint8_t* p, Element* out);

  uint8_t* lp_ = nullptr;  // listpack bytes
  uint32_t lp_bytes_ = 0;
  uint32_t lp_count_ = 0;
  std::unique_ptr<zset::ZSetBig> big_;  // the skiplist encoding when non-null
};

}  // namespace stash::storage

#endif  // STASH_STORAGE_TYPES_ZSET_VALUE_H_
