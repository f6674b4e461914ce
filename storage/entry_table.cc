#include "storage/entry_table.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "storage/hash.h"
#include "storage/memory_counter.h"

namespace stash::storage {

// Grow past 85% full, by 1.5x; shrink below 1/8 full. Linear probing stays short at 85% because
// the tag filters out almost every non-matching slot without touching its entry.
static constexpr size_t kMinCapacity = 8;

// Without an allocator the slot array is malloc'ed directly (calloc: zeroed pages come free from
// the kernel), so its usable size is added to the process memory counter here; the slab counts
// its own.
uint64_t* EntryTable::AllocateSlots(size_t n, size_t* bytes) {
  if (slab_ == nullptr) {
    void* p = calloc(n, sizeof(uint64_t));
    if (p == nullptr) throw std::bad_alloc();
    *bytes = memory::UsableSize(p);
    memory::Add(static_cast<int64_t>(*bytes));
    return static_cast<uint64_t*>(p);
  }
  *bytes = n * sizeof(uint64_t);
  void* p = slab_->AllocateArray(bytes);
  std::memset(p, 0, n * sizeof(uint64_t));  // free-list blocks and reused chunks are dirty
  return static_cast<uint64_t*>(p);
}

void EntryTable::FreeSlots(uint64_t* slots, size_t bytes) {
  if (slots == nullptr) return;
  if (slab_ != nullptr) {
    slab_->DeallocateArray(slots, bytes);
    return;
  }
  memory::Sub(static_cast<int64_t>(bytes));
  free(slots);
}

EntryTable::~EntryTable() { FreeSlots(slots_, slots_bytes_); }

uint64_t EntryTable::LocalOfSlot(size_t slot) const {
  return Local(HashKey(Entry(Pointer(slots_[slot])).key()));
}

size_t EntryTable::HomeOfKey(size_t slot) const { return Home(LocalOfSlot(slot), capacity_); }

size_t EntryTable::Find(std::string_view key, uint64_t hash) const {
  if (size_ == 0) return kNotFound;
  const uint64_t tag = Tag(hash);
  size_t p = Home(Local(hash), capacity_);
  while (true) {
    uint64_t s = slots_[p];
    if (s == 0) return kNotFound;
    if ((s & kTagMask) == tag) {
      Entry e(Pointer(s));
      if (e.key() == key) return p;
    }
    if (++p == capacity_) p = 0;
  }
}

void EntryTable::Insert(Entry e, uint64_t hash) {
  if ((size_ + 1) * 100 > capacity_ * 85) {
    Resize(capacity_ < kMinCapacity ? kMinCapacity : capacity_ + capacity_ / 2);
  }
  size_t p = Home(Local(hash), capacity_);
  size_t dist = 0;
  while (slots_[p] != 0) {
    if (++p == capacity_) p = 0;
    ++dist;
  }
  slots_[p] = WithDist(Tag(hash) | Addr(e), dist);
  ++size_;
}

void EntryTable::EraseAt(size_t slot) {
  // Backward-shift deletion: pull later entries of the cluster into the hole when the hole
  // lies between their home and their current slot, so no tombstones are needed. Homes come
  // from the slots' displacements: the entries themselves are not read.
  size_t hole = slot;
  slots_[hole] = 0;
  size_t p = hole;
  while (true) {
    if (++p == capacity_) p = 0;
    uint64_t s = slots_[p];
    if (s == 0) break;
    size_t dist_hole = p >= hole ? p - hole : p + capacity_ - hole;
    size_t dist_home = (s >> kDistShift) & kDistSaturated;
    if (dist_home == kDistSaturated) {
      size_t home = HomeOfKey(p);
      dist_home = p >= home ? p - home : p + capacity_ - home;
    }
    if (dist_home >= dist_hole) {
      slots_[hole] = WithDist(s, dist_home - dist_hole);
      slots_[p] = 0;
      hole = p;
    }
  }
  --size_;
  if (!defer_shrink_) MaybeShrink();
}

void EntryTable::DeferShrink(bool defer) {
  defer_shrink_ = defer;
  if (defer) return;
  if (size_ == 0 && slots_ != nullptr) {
    Clear();
  } else {
    MaybeShrink();
  }
}

void EntryTable::MaybeShrink() {
  if (capacity_ > kMinCapacity && size_ * 8 < capacity_) {
    size_t target = size_ * 2;
    Resize(target < kMinCapacity ? kMinCapacity : target);
  }
}

void EntryTable::Resize(size_t new_capacity) {
  uint64_t* old = slots_;
  size_t old_bytes = slots_bytes_;
  size_t old_capacity = capacity_;
  slots_ = AllocateSlots(new_capacity, &slots_bytes_);
  // An entry whose old home is h has a local hash in [h * step, (h + 1) * step + h + 1] with
  // step = floor(2^64 / old_capacity) (a superset of the exact interval, which needs a division
  // per slot). When both ends have the same new home, so does the entry: its key is not read.
  // Shrinking 4x, that holds for ~3/4 of the entries; growing 1.5x, for none (every key is
  // hashed again, its entry fetched a few slots ahead).
  const unsigned __int128 step =
      old_capacity == 0 ? 0 : (static_cast<unsigned __int128>(1) << 64) / old_capacity;
  const bool growing = new_capacity > old_capacity;
  constexpr size_t kAhead = 8;
  size_t memo_home = SIZE_MAX;
  size_t memo_new_home = SIZE_MAX;  // SIZE_MAX: ambiguous, hash the key
  for (size_t i = 0; i < old_capacity; ++i) {
    if (growing && i + kAhead < old_capacity && old[i + kAhead] != 0) {
      __builtin_prefetch(Pointer(old[i + kAhead]));
    }
    uint64_t s = old[i];
    if (s == 0) continue;
    size_t d = (s >> kDistShift) & kDistSaturated;
    size_t home = SIZE_MAX;
    if (!growing && d != kDistSaturated) {
      size_t old_home = i >= d ? i - d : i + old_capacity - d;
      if (old_home != memo_home) {
        memo_home = old_home;
        unsigned __int128 lo = step * old_home;
        unsigned __int128 hi = step * (old_home + 1) + old_home + 1;
        const unsigned __int128 max = ~uint64_t{0};
        if (hi > max) hi = max;
        size_t a = Home(static_cast<uint64_t>(lo), new_capacity);
        size_t b = Home(static_cast<uint64_t>(hi), new_capacity);
        memo_new_home = a == b ? a : SIZE_MAX;
      }
      home = memo_new_home;
    }
    if (home == SIZE_MAX) home = Home(Local(HashKey(Entry(Pointer(s)).key())), new_capacity);
    size_t p = home;
    size_t dist = 0;
    while (slots_[p] != 0) {
      if (++p == new_capacity) p = 0;
      ++dist;
    }
    slots_[p] = WithDist(s, dist);
  }
  capacity_ = new_capacity;
  FreeSlots(old, old_bytes);
}

void EntryTable::Clear() {
  FreeSlots(slots_, slots_bytes_);
  slots_ = nullptr;
  slots_bytes_ = 0;
  capacity_ = 0;
  size_ = 0;
}

void EntryTable::Swap(EntryTable& other) {
  std::swap(slots_, other.slots_);
  std::swap(slots_bytes_, other.slots_bytes_);
  std::swap(capacity_, other.capacity_);
  std::swap(size_, other.size_);
  std::swap(shard_bits_, other.shard_bits_);
}

size_t EntryTable::SlotNear(uint64_t r) const {
  size_t p = static_cast<size_t>(r % capacity_);
  while (slots_[p] == 0) {
    if (++p == capacity_) p = 0;
  }
  return p;
}

}  // namespace stash::storage
