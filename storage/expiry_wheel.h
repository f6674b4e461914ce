// A hierarchical timing wheel holding a shard's keys with a TTL, so that expired keys are found
// without scanning or sampling the keyspace (active expiry; lazy expiry on access stays).
//
// Time is counted in ticks of 16 ms (tick = expiry_ms >> 4). Level L (0..6) has 64 slots, each
// covering 64^L ticks; 7 levels of 6 bits cover 2^42 ticks, which is every narrow expiry (below
// 2^46 ms, see entry.h), so no record ever needs clamping. As in Linux's classic timer wheel,
// an entry due at tick t goes to the level of the highest 6-bit digit in which t differs from
// the wheel's current tick, in the slot named by t's digit there. When the current tick enters
// a higher-level slot, that slot is "cascaded": its records are placed again, now on lower
// levels. Level-0 slots hold entries of one tick each; once the tick is wholly in the past,
// every entry there has expired.
//
// Records are the entries themselves: a bucket is an array of 8-byte records, each an entry's
// address with, on levels 1 and up, the entry's level-0 digit, and an opaque 14-bit hint from
// the caller (the shard keeps the key's home in its table there, EntryTable::HomeHint, so that
// deleting an expired key needs neither its key nor its hash to find its slot). Each entry
// stores its level (3 bits of its header byte) and its index in the bucket (4 bytes of its TTL
// extension). So removal is O(1) (swap with the last record and update that entry's index),
// a relocated entry just overwrites its record, and the wheel needs no per-key allocation.
// Buckets grow and shrink by at most 1.5x, so the records cost at most 12 bytes per key on top
// of the 4-byte index: the 16 bytes per TTL key that the design allows. Keys without a TTL cost
// nothing; the wheel itself (7 * 64 + 1 buckets of 16 bytes) exists only in shards that have
// held a TTL key.
//
// The level-1 slot that the current tick enters is not cascaded record by record: it is
// "frozen" instead. Its records stay where they are (so their entries' level and index stay
// true, and no entry is read or written), and a counting sort on the level-0 digits kept in
// the records lists, per level-0 tick, their indexes in the slot (4 bytes per record, while
// its second lasts; the slot's array is first trimmed to its size, so a record still costs at
// most 16 bytes). A removal from the frozen slot leaves a hole. Why: almost every key with a
// TTL of a second or more arrives at level 0 through this cascade; moving it there read and
// rewrote its entry, a cache miss per key a second before the one that deletes it, which was
// a fifth of the cost of a mass expiry. The sort touches only the slot's own array.
//
// The wheel never reads a clock: NextDue takes the time, which keeps it testable. Until the
// first NextDue call it does not know the time, so entries added before it wait, unsorted, on
// the due list, and NextDue sorts them out.
//
// REQUIRES: external synchronization (the shard mutex). Entries handed in must have a narrow
// expiry (Entry::has_narrow_expiry), and their expiry must not change while they are in the
// wheel (remove, change, add again).
#ifndef STASH_STORAGE_EXPIRY_WHEEL_H_
#define STASH_STORAGE_EXPIRY_WHEEL_H_

#include <cstddef>
#include <cstdint>

#include "storage/entry.h"
#include "storage/slab_allocator.h"

namespace stash::storage {

class ExpiryWheel {
 public:
  static constexpr int kLevels = 7;
  static constexpr int kSlotBits = 6;
  static constexpr int kSlots = 1 << kSlotBits;
  static constexpr int kTickShift = 4;  // 16 ms per tick

  // Bucket arrays come from `slab` (the owning shard's allocator: SlabAllocator::AllocateArray),
  // not from malloc, so that they go back with the shard's pages. The wheel must be destroyed
  // before slab->ReleaseAll().
  explicit ExpiryWheel(SlabAllocator* slab) : slab_(slab) {}
  ExpiryWheel(const ExpiryWheel&) = delete;
  ExpiryWheel& operator=(const ExpiryWheel&) = delete;
  ~ExpiryWheel();

  // Adds an entry that is not in the wheel; sets its level and position. hint (kHintBits
  // bits) is kept with its record and handed back by NextDueBatch.
  static constexpr int kHintBits = 14;
  void Insert(Entry e, uint32_t hint = 0);
  // Removes an entry that is in the wheel (ttl: its e.ttl(), when the caller has it).
  void Remove(Entry e) { Remove(e, e.ttl()); }
  void Remove(Entry e, const Entry::Ttl& ttl);
  // `to` is a relocated copy of `from` (same expiry): it takes over from's record.
  void Relocate(Entry from, Entry to);

  // The next entry whose expiry is at or before now_ms, left in the wheel for the caller to
  // delete (which removes it), or an empty Entry when none is due yet. Advancing the wheel's
  // time, cascading and sorting records costs one unit of *budget per record moved or slot
  // skipped; an empty Entry with *budget at 0 means the work was cut short, not that nothing
  // is due. The caller charges its own unit per entry returned, which bounds every call.
  Entry NextDue(int64_t now_ms, size_t* budget) { return EntryOf(NextDueRecord(now_ms, budget)); }
  // Like NextDue, but returns up to `max` due entries in out[] (their count): out[0] is the last
  // record of its bucket, out[1] the one before it, and so on, so deleting them in that order
  // (each is then its bucket's last record) moves no other record. Knowing several victims
  // ahead lets the caller prefetch their memory: a mass expiry is bound by cache misses.
  // hints[i] is out[i]'s hint (as given to Insert).
  size_t NextDueBatch(int64_t now_ms, size_t* budget, Entry* out, uint32_t* hints, size_t max);

  size_t size() const { return size_; }
  // Entries already due at now_ms that are still here: the due list and the level-0 slots of
  // wholly past ticks (the wheel's backlog; entries still on higher levels are not counted).
  size_t Backlog(int64_t now_ms) const;
  // Bytes allocated for buckets (records and spare capacity: usable sizes of their arrays).
  size_t bytes() const { return bytes_; }
  // After the shard swapped its allocator's contents with another's (SWAPDB), the wheel that
  // moved along with them must follow.
  void set_allocator(SlabAllocator* slab) { slab_ = slab; }

  // Visits every record as (entry, level, index in its bucket), for tests that check that the
  // records and the entries agree.
  template <typename Visit>
  void ForEachRecord(Visit&& visit) const {
    for (int level = 0; level < kLevels; ++level) {
      for (const Bucket& b : slots_[level]) {
        for (uint32_t i = 0; i < b.size; ++i) {
          if (b.items[i] != 0) visit(EntryOf(b.items[i]), level, i);  // 0: a frozen slot's hole
        }
      }
    }
    for (uint32_t i = 0; i < due_.size; ++i) visit(EntryOf(due_.items[i]), Entry::kDueLevel, i);
  }

 private:
  struct Bucket {
    uint32_t size = 0;
    uint32_t cap = 0;
    uint64_t* items = nullptr;  // records
  };

  // A record: the entry's address (8-byte aligned, below 2^47) in bits 0-43, on levels 1 and
  // up its level-0 digit in bits 44-49, the caller's hint in bits 50-63. 0 is no record.
  static constexpr int kDigitShift = 44;
  static constexpr int kHintShift = 50;
  static constexpr uint64_t kAddrMask = (uint64_t{1} << kDigitShift) - 1;
  static uint64_t Record(Entry e, unsigned digit0, uint32_t hint) {
    return (reinterpret_cast<uint64_t>(e.raw()) >> 3) | (uint64_t{digit0} << kDigitShift) |
           (uint64_t{hint} << kHintShift);
  }
  static Entry EntryOf(uint64_t record) {
    return Entry(reinterpret_cast<uint8_t*>((record & kAddrMask) << 3));
  }
  static unsigned Digit0Of(uint64_t record) { return (record >> kDigitShift) & (kSlots - 1); }
  static uint32_t HintOf(uint64_t record) { return static_cast<uint32_t>(record >> kHintShift); }
  // NextDue's work; returns the due record (0: none).
  uint64_t NextDueRecord(int64_t now_ms, size_t* budget);

  // The frozen level-1 slot (see the top of this file): order[begin[d], end[d]) are the
  // indexes in it of the records due in level-0 tick d, taken from the end; live[d] of them
  // are not holes.
  struct Frozen {
    Bucket* slot = nullptr;  // null: none frozen
    unsigned digit = 0;      // its level-1 digit
    uint32_t* order = nullptr;
    size_t order_bytes = 0;
    uint32_t begin[kSlots] = {};
    uint32_t end[kSlots] = {};
    uint32_t live[kSlots] = {};
    uint64_t mask = 0;  // bit d: live[d] > 0
    size_t live_total = 0;
  };

  static uint64_t Tick(int64_t ms) { return static_cast<uint64_t>(ms) >> kTickShift; }
  // The first tick that is not wholly at or before now_ms.
  static uint64_t EndTick(int64_t now_ms) {
    return now_ms < 0 ? 0 : static_cast<uint64_t>(now_ms + 1) >> kTickShift;
  }
  static unsigned Digit(uint64_t tick, int level) {
    return static_cast<unsigned>(tick >> (kSlotBits * level)) & (kSlots - 1);
  }
  Bucket& BucketOf(Entry e);
  void Place(Entry e, uint32_t hint);
  void Push(Bucket& b, Entry e, int level, unsigned digit, uint64_t record);
  void Erase(Bucket& b, uint32_t pos, int level, unsigned digit);
  void Resize(Bucket& b, uint32_t cap);
  bool Draining(int level, unsigned digit) const;
  uint64_t NextEventTick() const;
  int CascadeLevelAt(uint64_t tick) const;
  void Freeze(unsigned digit);
  void Unfreeze();
  // The last live record of the frozen slot due in level-0 tick d (holes at the end are
  // dropped); frozen_.live[d] must be non-zero.
  uint64_t FrozenLast(unsigned d);

  Bucket slots_[kLevels][kSlots];
  uint64_t occupied_[kLevels] = {};  // bit d of level L: slot d is non-empty
  Bucket due_;
  Frozen frozen_;
  SlabAllocator* slab_;
  uint64_t current_ = 0;   // ticks before this one are processed
  int cascade_level_ = 0;  // slots of levels 1..this at current_ still to cascade
  bool started_ = false;
  size_t size_ = 0;
  size_t bytes_ = 0;
};

}  // namespace stash::storage

#endif  // STASH_STORAGE_EXPIRY_WHEEL_H_
