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

// The slot array is malloc'ed directly (calloc: zeroed pages come free from the kernel), so its
// usable size is added to the process memory counter here.
static void FreeSlots(uint64_t* slots) {
  memory::Sub(static_cast<int64_t>(memory::UsableSize(slots)));
  free(slots);
}

EntryTable::~EntryTable() { FreeSlots(slots_); }

uint64_t EntryTable::LocalOfSlot(size_t slot) const {
  return Local(HashKey(Entry(Pointer(slots_[slot])).key()));
}

size_t EntryTable::HomeOfSlot(size_t slot) const { return Home(LocalOfSlot(slot), capacity_); }

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
  while (slots_[p] != 0) {
    if (++p == capacity_) p = 0;
  }
  slots_[p] = Tag(hash) | Addr(e);
  ++size_;
}

void EntryTable::EraseAt(size_t slot) {
  // Backward-shift deletion: pull later entries of the cluster into the hole when the hole
  // lies between their home and their current slot, so no tombstones are needed.
  size_t hole = slot;
  slots_[hole] = 0;
  size_t p = hole;
  while (true) {
    if (++p == capacity_) p = 0;
    if (slots_[p] == 0) break;
    size_t home = HomeOfSlot(p);
    size_t dist_home = (p + capacity_ - home) % capacity_;
    size_t dist_hole = (p + capacity_ - hole) % capacity_;
    if (dist_home >= dist_hole) {
      slots_[hole] = slots_[p];
      slots_[p] = 0;
      hole = p;
    }
  }
  --size_;
  if (capacity_ > kMinCapacity && size_ * 8 < capacity_) {
    size_t target = size_ * 2;
    Resize(target < kMinCapacity ? kMinCapacity : target);
  }
}

void EntryTable::Resize(size_t new_capacity) {
  uint64_t* old = slots_;
  size_t old_capacity = capacity_;
  slots_ = static_cast<uint64_t*>(calloc(new_capacity, sizeof(uint64_t)));
  if (slots_ == nullptr) {
    slots_ = old;
    throw std::bad_alloc();
  }
  memory::Add(static_cast<int64_t>(memory::UsableSize(slots_)));
  capacity_ = new_capacity;
  for (size_t i = 0; i < old_capacity; ++i) {
    if (old[i] == 0) continue;
    Entry e(Pointer(old[i]));
    size_t p = Home(Local(HashKey(e.key())), capacity_);
    while (slots_[p] != 0) {
      if (++p == capacity_) p = 0;
    }
    slots_[p] = old[i];
  }
  FreeSlots(old);
}

void EntryTable::Clear() {
  FreeSlots(slots_);
  slots_ = nullptr;
  capacity_ = 0;
  size_ = 0;
}

void EntryTable::Swap(EntryTable& other) {
  std::swap(slots_, other.slots_);
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
