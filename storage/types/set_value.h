// The set type. Two encodings, as Redis 7.0 (t_set.c, intset.c):
//
// - intset: every member is an integer (a string Redis's string2ll accepts) and there are at
//   most set-max-intset-entries of them: a sorted array of 16-, 32- or 64-bit integers, the
//   width being the smallest that holds every member (widened when needed, never narrowed).
//   Members come out in ascending order, as from Redis.
// - hashtable: a CompactTable of 8-byte slots. A member needs no allocation of its own when it
//   fits in the slot: an integer within 56 bits, or a string of up to 7 bytes. Longer members
//   live in a malloc'ed [varint length][bytes] block whose pointer the slot holds, with 16 bits
//   of the member's hash in the pointer's unused top bits so most probes skip the block. A set
//   of integers thus costs about 10 bytes per member (Redis: a 24-byte dictEntry, an sds and a
//   bucket pointer).
//
// An intset becomes a hashtable when a non-integer member is added or it grows past
// set-max-intset-entries; a hashtable never goes back (Redis does the same). Members compare as
// byte strings: "1" and "01" are different members ("01" is not an integer).
#ifndef STASH_STORAGE_TYPES_SET_VALUE_H_
#define STASH_STORAGE_TYPES_SET_VALUE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/types/compact_table.h"
#include "storage/value.h"

namespace stash::storage {

// How a hashtable-encoded set uses its slots.
//   low 4 bits 0:   pointer (16-byte aligned, below 2^48) to [varint len][bytes]; bits 48-63
//                   hold the low 16 bits of the member's hash.
//   low 4 bits 1:   inline string: length (0-7) in bits 4-7, bytes in bits 8-63.
//   low 4 bits 2:   inline integer: a canonical integer in [-2^55, 2^55) in bits 8-63.
// Every member has exactly one encoding, so two inline slots are equal members exactly when
// they are equal numbers.
struct SetSlots {
  static constexpr uint64_t kKindMask = 0xf;
  static constexpr uint64_t kInlineString = 0x1;
  static constexpr uint64_t kInlineInt = 0x2;
  static constexpr uint64_t kPointerMask = (uint64_t{1} << 48) - 1;
  // Buffer size that Decode needs.
  static constexpr size_t kBufferSize = 24;

  // The inline slot for m, or 0 when m must live in a heap block.
  static uint64_t InlineSlot(std::string_view m);
  static uint64_t InlineInt(int64_t v);  // v must be within 56 bits
  static bool FitsInline(int64_t v) { return v >= -(int64_t{1} << 55) && v < (int64_t{1} << 55); }
  static uint64_t Tag(uint64_t hash) { return (hash & 0xffff) << 48; }
  static std::string_view HeapMember(uint64_t slot) {
    const uint8_t* p = reinterpret_cast<const uint8_t*>(slot & kPointerMask);
    uint64_t len;
    p = compact::GetVarint(p, &len);
    return {reinterpret_cast<const char*>(p), static_cast<size_t>(len)};
  }
  // The member in a slot; inline members are written to buf (kBufferSize bytes).
  static std::string_view Decode(uint64_t slot, char* buf);
  static uint64_t Hash(uint64_t slot);
  // A heap slot for m with the given hash.
  static uint64_t NewHeap(std::string_view m, uint64_t hash);
  static void FreeSlot(uint64_t slot);
  static size_t SlotBytes(uint64_t slot);  // heap bytes held by a slot (0 for inline)
};

class SetValue final : public CollectionValue {
 public:
  using Table = compact::CompactTable<SetSlots>;

  // Redis's setTypeCreate: an intset when the first member to be added is an integer.
  static std::unique_ptr<SetValue> CreateFor(std::string_view first_member);
  // An empty intset (Redis's createIntsetObject, used for SINTERSTORE and friends' results).
  static std::unique_ptr<SetValue> CreateIntset() { return std::make_unique<SetValue>(); }

  SetValue() : ints_(nullptr) {}
  SetValue(const SetValue&) = delete;
  SetValue& operator=(const SetValue&) = delete;
  ~SetValue() override;

  std::unique_ptr<CollectionValue> Clone() const override;
  size_t BytesUsed() const override;
  const char* Encoding() const override { return intset_ ? "intset" : "hashtable"; }

  bool is_intset() const { return intset_; }
  size_t size() const { return intset_ ? int_count_ : table_->size(); }

  bool Contains(std::string_view m) const;
  // Adds m; false when it was already a member. An intset converts to a hashtable when m is
  // not an integer or the intset would exceed max_intset_entries (capped at 2^30, as Redis).
  bool Add(std::string_view m, uint64_t max_intset_entries);
  // Removes m; false when it was not a member.
  bool Remove(std::string_view m);

  // Visits every member (f(std::string_view)): an intset in ascending order, a hashtable in
  // table order. The set must not change meanwhile.
  template <typename F>
  void ForEach(F&& f) const {
    char buf[SetSlots::kBufferSize];
    if (intset_) {
      for (uint32_t i = 0; i < int_count_; ++i) {
        f(std::string_view(buf, compact::FormatInt(IntAt(i), buf)));
      }
    } else {
      table_->ForEach([&](uint64_t slot) { f(SetSlots::Decode(slot, buf)); });
    }
  }

  // A member chosen from r (any 64-bit number); the set must be non-empty.
  std::string RandomMember(uint64_t r) const;
  // Removes and returns a member chosen from r; the set must be non-empty.
  std::string PopRandom(uint64_t r);
  // Every member, in ForEach order.
  std::vector<std::string> Members() const;

  // SSCAN: an intset is returned whole with cursor 0, as Redis does. A hashtable visits at
  // least `count` members from `cursor` (a hash position, see CompactTable::Scan) and returns
  // the cursor to resume at, 0 when done.
  template <typename F>
  uint64_t Scan(uint64_t cursor, size_t count, F&& f) const {
    if (intset_) {
      ForEach(f);
      return 0;
    }
    char buf[SetSlots::kBufferSize];
    uint64_t next = 0;
    bool done = table_->Scan(cursor, count, &next,
                             [&](uint64_t slot) { f(SetSlots::Decode(slot, buf)); });
    return done ? 0 : next;
  }

 private:
  int64_t IntAt(uint32_t i) const;
  void SetIntAt(uint8_t* data, uint8_t width, uint32_t i, int64_t v) const;
  // Binary search: true if found; *pos is where v is or would be inserted.
  bool IntSearch(int64_t v, uint32_t* pos) const;
  void IntAdd(int64_t v, uint32_t pos);
  void IntUpgradeAndAdd(int64_t v);
  void ConvertToTable();
  bool TableAdd(std::string_view m);

  union {
    uint8_t* ints_;  // intset: int_count_ integers of width_ bytes, ascending
    Table* table_;   // hashtable
  };
  uint32_t int_count_ = 0;
  uint8_t width_ = 2;
  bool intset_ = true;
};

}  // namespace stash::storage

#endif  // STASH_STORAGE_TYPES_SET_VALUE_H_
