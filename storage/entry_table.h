// One shard's hash table: open addressing with linear probing over 8-byte slots. A slot holds
// an entry's address (bits 0-43: entries are 8-byte aligned and user-space addresses fit in 47
// bits), the entry's displacement from its home slot (bits 44-51, saturating at 255), and a
// 12-bit tag of the key's hash (bits 52-63). No per-key node, no chain pointer: 8 bytes of table
// per slot, ~11 per key at the average load.
//
// A key's home slot is fastrange(local_hash, capacity) = (local_hash * capacity) >> 64, where
// local_hash is the key's hash shifted left past the shard-selection bits. Because fastrange is
// monotone in the hash, the table keeps keys in hash order (up to displacement by probing) at
// every capacity, which is what makes SCAN simple and exact (see Scan below). Capacity need not
// be a power of two, so the table grows by 1.5x instead of doubling.
//
// Why the displacement: deleting (backward shift) and scanning need every later slot's home.
// Computing it from the key costs a cache miss per neighbour (its entry) plus a hash; read from
// the slot it costs nothing, which is most of the price of a mass expiry. Shrinking uses it too:
// a slot's old home bounds its hash to an interval that, at the smaller capacity, usually falls
// into one home. The tag's 12 bits still filter out all but 1/4096 of non-matching slots in Find.
//
// REQUIRES: external synchronization (the shard mutex).
#ifndef STASH_STORAGE_ENTRY_TABLE_H_
#define STASH_STORAGE_ENTRY_TABLE_H_

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "storage/entry.h"
#include "storage/slab_allocator.h"

namespace stash::storage {

class EntryTable {
 public:
  static constexpr size_t kNotFound = SIZE_MAX;

  explicit EntryTable(int shard_bits) : shard_bits_(shard_bits) {}
  EntryTable(const EntryTable&) = delete;
  EntryTable& operator=(const EntryTable&) = delete;
  ~EntryTable();

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  size_t bytes() const { return capacity_ * sizeof(uint64_t); }
  // Slot arrays from `slab` (SlabAllocator::AllocateArray: the owning shard's allocator) rather
  // than malloc, so that an emptied shard's table memory goes back with its pages instead of
  // staying on glibc's heap (its per-thread caches pin pages). The table must be emptied
  // (Clear) before slab->ReleaseAll(). Swap keeps each table's allocator: a shard swaps its
  // table and its allocator's contents together. Set before the first insert.
  void set_allocator(SlabAllocator* slab) { slab_ = slab; }

  // The slot holding key, or kNotFound.
  size_t Find(std::string_view key, uint64_t hash) const;
  // The slot of an entry known to be in the table (hash is its key's). Compares addresses,
  // not keys: active expiry holds the entry already, and reading its key again is not free.
  size_t FindEntry(Entry e, uint64_t hash) const {
    const uint64_t want = Tag(hash) | Addr(e);
    size_t p = Home(Local(hash), capacity_);
    while ((slots_[p] & (kTagMask | kAddrMask)) != want) {
      if (++p == capacity_) p = 0;
    }
    return p;
  }
  // A key's home hint: the top kHintBits bits of its local hash. The expiry wheel keeps it in
  // the key's record, so active expiry finds (and prefetches) a victim's slot without reading
  // its key: the home lies at or after the hint's, within capacity / 2^14 slots of it.
  static constexpr int kHintBits = 14;
  uint32_t HomeHint(uint64_t hash) const {
    return static_cast<uint32_t>(Local(hash) >> (64 - kHintBits));
  }
  // The slot of an entry known to be in the table, from its home hint (see HomeHint).
  size_t FindByHint(Entry e, uint32_t hint) const {
    const uint64_t addr = Addr(e);
    size_t p = Home(uint64_t{hint} << (64 - kHintBits), capacity_);
    while ((slots_[p] & kAddrMask) != addr) {
      if (++p == capacity_) p = 0;
    }
    return p;
  }
  void PrefetchHint(uint32_t hint) const {
    if (capacity_ != 0) {
      __builtin_prefetch(&slots_[Home(uint64_t{hint} << (64 - kHintBits), capacity_)]);
    }
  }
  Entry At(size_t slot) const { return Entry(Pointer(slots_[slot])); }
  // Adds an entry whose key is not present. May grow the table: slot numbers change.
  void Insert(Entry e, uint64_t hash);
  // Points slot at a relocated entry with the same key.
  void Replace(size_t slot, Entry e) { slots_[slot] = (slots_[slot] & ~kAddrMask) | Addr(e); }
  // Removes the entry at slot (the caller frees it). Later slots may move, and the table may
  // shrink (slot numbers change) unless shrinking is deferred.
  void EraseAt(size_t slot);
  // While deferred, EraseAt never shrinks; ending the deferral shrinks once if due. A batch of
  // deletions (an active-expiry step) shrinks once at its end instead of in its middle. A table
  // that the batch emptied frees its slot array: a minimal array left by each emptied shard
  // would pin a page of the heap wherever it landed, keeping freed memory from the system.
  void DeferShrink(bool defer);
  // Drops every slot (the caller has freed the entries) and the slot array.
  void Clear();
  void Swap(EntryTable& other);

  // Cursor-based iteration in hash order. `cursor` is a local-hash position (0 = start). Visits
  // entries whose local hash is >= cursor, whole home slots at a time, until at least `count`
  // entries were visited or the table ends. Returns true when the table ended; otherwise
  // *next is the local-hash position to resume at.
  //
  // Why this survives resizing between calls: the cursor is a position in hash space, not a
  // slot number. Every entry with a local hash below the returned cursor has been visited, and
  // that statement does not depend on the capacity, because the home slot of every key is a
  // monotone function of its hash at any capacity. So a key present for the whole scan is
  // returned at least once however the table grows or shrinks; keys may repeat only when their
  // hash equals the cursor exactly.
  template <typename Visit>
  bool Scan(uint64_t cursor, size_t count, uint64_t* next, Visit&& visit) const;

  // Visits every entry (in slot order). The callback must not modify the table.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    for (size_t i = 0; i < capacity_; ++i) {
      if (slots_[i] != 0) visit(Entry(Pointer(slots_[i])));
    }
  }

  // A slot chosen from r (any 64-bit number) that holds an entry; table must be non-empty.
  size_t SlotNear(uint64_t r) const;

  // Visits the entries in up to max_slots slots starting at slot r % capacity (wrapping).
  template <typename Visit>
  void VisitFrom(uint64_t r, size_t max_slots, Visit&& visit) const {
    if (capacity_ == 0) return;
    size_t p = static_cast<size_t>(r % capacity_);
    if (max_slots > capacity_) max_slots = capacity_;
    for (size_t i = 0; i < max_slots; ++i) {
      if (slots_[p] != 0) visit(Entry(Pointer(slots_[p])));
      if (++p == capacity_) p = 0;
    }
  }

 private:
  static constexpr int kDistShift = 44;
  static constexpr uint64_t kAddrMask = (uint64_t{1} << kDistShift) - 1;
  static constexpr uint64_t kDistSaturated = 0xff;  // the displacement is 255 or more
  static constexpr uint64_t kDistMask = kDistSaturated << kDistShift;
  static constexpr uint64_t kTagMask = 0xfffULL << 52;
  static uint64_t Addr(Entry e) {
    uint64_t a = reinterpret_cast<uint64_t>(e.raw());
    // Slab classes are multiples of 8 bytes in malloc'ed pages; larger entries are malloc'ed.
    assert((a & 7) == 0 && a < (uint64_t{1} << 47));
    return a >> 3;
  }
  static uint8_t* Pointer(uint64_t slot) {
    return reinterpret_cast<uint8_t*>((slot & kAddrMask) << 3);
  }
  static uint64_t Tag(uint64_t hash) { return (hash & 0xfff) << 52; }
  static uint64_t WithDist(uint64_t slot, size_t dist) {
    uint64_t d = dist < kDistSaturated ? dist : kDistSaturated;
    return (slot & ~kDistMask) | (d << kDistShift);
  }
  uint64_t Local(uint64_t hash) const { return shard_bits_ ? hash << shard_bits_ : hash; }
  static size_t Home(uint64_t local, size_t capacity) {
    return static_cast<size_t>((static_cast<unsigned __int128>(local) * capacity) >> 64);
  }
  // Home of the (occupied) slot: from its displacement, or from its key when saturated.
  size_t HomeOfSlot(size_t slot) const {
    size_t d = (slots_[slot] >> kDistShift) & kDistSaturated;
    if (d == kDistSaturated) return HomeOfKey(slot);
    return slot >= d ? slot - d : slot + capacity_ - d;
  }
  size_t HomeOfKey(size_t slot) const;
  uint64_t LocalOfSlot(size_t slot) const;
  void Resize(size_t new_capacity);
  void MaybeShrink();
  // A zeroed slot array of n slots (its usable size in *bytes, counted), and its release.
  uint64_t* AllocateSlots(size_t n, size_t* bytes);
  void FreeSlots(uint64_t* slots, size_t bytes);

  uint64_t* slots_ = nullptr;
  size_t slots_bytes_ = 0;  // usable size of slots_
  SlabAllocator* slab_ = nullptr;  // null: malloc
  size_t capacity_ = 0;
  size_t size_ = 0;
  int shard_bits_;
  bool defer_shrink_ = false;
};

template <typename Visit>
bool EntryTable::Scan(uint64_t cursor, size_t count, uint64_t* next, Visit&& visit) const {
  if (size_ == 0) return true;
  const size_t n = capacity_;
  const size_t first = Home(cursor, n);
  size_t visited = 0;
  size_t walked = 0;
  size_t last = n - 1;  // the last home slot whose entries this call covers
  // Phase 1: walk slots from the cursor's home; an entry at slot p with home in [first, p] is
  // ours. Stop after a slot once enough entries were seen (or enough slots walked).
  for (size_t p = first; p < n; ++p) {
    if (slots_[p] != 0) {
      size_t home = HomeOfSlot(p);
      if (home >= first && home <= p && (home != first || LocalOfSlot(p) >= cursor)) {
        visit(Entry(Pointer(slots_[p])));
        ++visited;
      }
    }
    if (visited >= count || ++walked >= count * 10) {
      last = p;
      break;
    }
  }
  // Phase 2: entries whose home is in [first, last] may sit past `last` (displaced by probing,
  // possibly wrapped to the start); they end at the first empty slot. When the walk wraps back
  // into [first, last], an entry there whose home is in [first, p] was already visited by
  // phase 1: skip it, or an entry at the start of a table walked to its end would be visited
  // twice. (Stopping at `first` instead would miss entries wrapped from the end of the table
  // to slots 0, 1, ... when first is 0.)
  for (size_t i = 1; i < n; ++i) {
    size_t p = (last + i) % n;
    if (slots_[p] == 0) break;
    size_t home = HomeOfSlot(p);
    bool seen_in_phase1 = p >= first && p <= last && home >= first && home <= p;
    if (home >= first && home <= last && !seen_in_phase1 &&
        (home != first || LocalOfSlot(p) >= cursor)) {
      visit(Entry(Pointer(slots_[p])));
    }
  }
  if (last + 1 >= n) return true;
  // The smallest local hash whose home is past `last`: ceil((last + 1) * 2^64 / n).
  unsigned __int128 boundary = ((static_cast<unsigned __int128>(last + 1) << 64) + n - 1) / n;
  *next = static_cast<uint64_t>(boundary);
  return false;
}

}  // namespace stash::storage

#endif  // STASH_STORAGE_ENTRY_TABLE_H_
