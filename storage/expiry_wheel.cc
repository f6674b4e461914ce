#include "storage/expiry_wheel.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace stash::storage {

ExpiryWheel::~ExpiryWheel() {
  for (auto& level : slots_) {
    for (Bucket& b : level) Resize(b, 0);
  }
  Resize(due_, 0);
  if (frozen_.order != nullptr) slab_->DeallocateArray(frozen_.order, frozen_.order_bytes);
}

void ExpiryWheel::Resize(Bucket& b, uint32_t cap) {
  // A shrink to the same usable size would copy for nothing.
  if (cap > 0 && SlabAllocator::ArraySize(size_t{cap} * sizeof(uint64_t)) ==
                     size_t{b.cap} * sizeof(uint64_t)) {
    return;
  }
  // The slab counts the arrays (INFO used_memory, maxmemory), as every allocation of the
  // keyspace. cap becomes what the array's usable size holds (at least the cap asked for).
  uint64_t* items = nullptr;
  size_t bytes = 0;
  if (cap > 0) {
    bytes = size_t{cap} * sizeof(uint64_t);
    items = static_cast<uint64_t*>(slab_->AllocateArray(&bytes));
    if (b.size > 0) std::memcpy(items, b.items, size_t{b.size} * sizeof(uint64_t));
  }
  if (b.items != nullptr) slab_->DeallocateArray(b.items, size_t{b.cap} * sizeof(uint64_t));
  bytes_ -= size_t{b.cap} * sizeof(uint64_t);
  b.items = items;
  b.cap = static_cast<uint32_t>(bytes / sizeof(uint64_t));
  bytes_ += bytes;
}

void ExpiryWheel::Push(Bucket& b, Entry e, int level, unsigned digit, uint64_t record) {
  // Growth by 1.5x (not 2x) keeps spare capacity within the 16-byte-per-key budget.
  if (b.size == b.cap) Resize(b, b.cap + std::max<uint32_t>(1, b.cap / 2));
  b.items[b.size] = record;
  e.set_wheel_level(level);
  e.set_wheel_pos(b.size);
  ++b.size;
  ++size_;
  if (level != Entry::kDueLevel) occupied_[level] |= uint64_t{1} << digit;
}

void ExpiryWheel::Erase(Bucket& b, uint32_t pos, int level, unsigned digit) {
  uint32_t last = b.size - 1;
  if (pos != last) {
    b.items[pos] = b.items[last];
    EntryOf(b.items[pos]).set_wheel_pos(pos);
  }
  b.size = last;
  --size_;
  if (b.size == 0) {
    Resize(b, 0);
    if (level != Entry::kDueLevel) occupied_[level] &= ~(uint64_t{1} << digit);
  } else if (uint64_t{b.cap} * 2 > uint64_t{b.size} * 3 && !Draining(level, digit)) {
    // More than 1.5x spare: shrink to 1.25x, so a grow and a shrink are Θ(size) operations
    // apart (amortized O(1)).
    Resize(b, b.size + b.size / 4);
  }
}

bool ExpiryWheel::Draining(int level, unsigned digit) const {
  // The level-0 bucket of the current tick is the one that active expiry empties from the end
  // (NextDueBatch): shrinking it on the way would copy it again and again (a mass expiry
  // drains thousands of them), and it is freed once empty anyway.
  return level == 0 && started_ && digit == Digit(current_, 0);
}

ExpiryWheel::Bucket& ExpiryWheel::BucketOf(Entry e) {
  int level = e.wheel_level();
  if (level == Entry::kDueLevel) return due_;
  return slots_[level][Digit(Tick(e.expiry_ms()), level)];
}

void ExpiryWheel::Place(Entry e, uint32_t hint) {
  uint64_t tick = Tick(e.expiry_ms());
  if (!started_ || tick < current_) {
    Push(due_, e, Entry::kDueLevel, 0, Record(e, 0, hint));
    return;
  }
  uint64_t x = tick ^ current_;
  // x < 2^42 for narrow expiries (entry.h), so the level is at most 6.
  int level = x == 0 ? 0 : (63 - __builtin_clzll(x)) / kSlotBits;
  unsigned digit = Digit(tick, level);
  Push(slots_[level][digit], e, level, digit, Record(e, level == 0 ? 0 : Digit(tick, 0), hint));
}

void ExpiryWheel::Insert(Entry e, uint32_t hint) { Place(e, hint); }

void ExpiryWheel::Remove(Entry e, const Entry::Ttl& ttl) {
  int level = e.wheel_level();
  if (level == Entry::kDueLevel) {
    Erase(due_, ttl.wheel_pos, level, 0);
    return;
  }
  unsigned digit = Digit(Tick(ttl.expiry_ms), level);
  Bucket& b = slots_[level][digit];
  if (&b == frozen_.slot) {
    // A hole: the other records keep their places (their indexes are listed by tick).
    uint32_t pos = ttl.wheel_pos;
    unsigned d = Digit0Of(b.items[pos]);
    b.items[pos] = 0;
    --size_;
    if (--frozen_.live[d] == 0) frozen_.mask &= ~(uint64_t{1} << d);
    if (--frozen_.live_total == 0) Unfreeze();
    return;
  }
  Erase(b, ttl.wheel_pos, level, digit);
}

void ExpiryWheel::Relocate(Entry from, Entry to) {
  Bucket& b = BucketOf(from);
  uint32_t pos = from.wheel_pos();
  b.items[pos] = (b.items[pos] & ~kAddrMask) | Record(to, 0, 0);
  to.set_wheel_level(from.wheel_level());
  to.set_wheel_pos(pos);
}

uint64_t ExpiryWheel::NextEventTick() const {
  // The start of the earliest non-empty slot after the current tick. Every record on level L
  // has a digit above the current tick's there (the slot at the current digit was cascaded),
  // and the same higher digits, so its slot starts within the current level-(L+1) slot.
  uint64_t best = UINT64_MAX;
  for (int level = 0; level < kLevels; ++level) {
    unsigned d = Digit(current_, level);
    // The frozen slot's ticks are level-0 ticks of the current level-1 slot.
    uint64_t occupied = level == 0 ? occupied_[0] | frozen_.mask : occupied_[level];
    uint64_t later = d == kSlots - 1 ? 0 : occupied & (~uint64_t{0} << (d + 1));
    if (later == 0) continue;
    int shift = kSlotBits * level;
    uint64_t base = (current_ >> (shift + kSlotBits)) << (shift + kSlotBits);
    best = std::min(best, base | (static_cast<uint64_t>(__builtin_ctzll(later)) << shift));
  }
  return best;
}

int ExpiryWheel::CascadeLevelAt(uint64_t tick) const {
  // Arriving at the start of a level-L slot (the low 6L bits are zero) means that slot's
  // records, and those of the lower levels' slots starting there, must move down.
  int level = 0;
  while (level + 1 < kLevels && (tick & ((uint64_t{1} << (kSlotBits * (level + 1))) - 1)) == 0) {
    ++level;
  }
  return level;
}

uint64_t ExpiryWheel::NextDueRecord(int64_t now_ms, size_t* budget) {
  uint64_t end = EndTick(now_ms);
  if (!started_) {
    started_ = true;
    current_ = end;
  }
  while (*budget > 0) {
    if (due_.size > 0) {
      if (due_.size > 8) __builtin_prefetch(EntryOf(due_.items[due_.size - 9]).raw());
      uint64_t record = due_.items[due_.size - 1];
      Entry e = EntryOf(record);
      int64_t expiry = e.expiry_ms();
      if (expiry <= now_ms) return record;
      // Not due: added before the wheel knew the time, or the clock went back (then it waits
      // for the clock to catch up).
      if (Tick(expiry) < current_) return 0;
      Erase(due_, due_.size - 1, Entry::kDueLevel, 0);
      Place(e, HintOf(record));
      --*budget;
      continue;
    }
    if (cascade_level_ == 1) {
      // Every record of the level-1 slot now current is due within this level-0 cycle.
      Freeze(Digit(current_, 1));
      cascade_level_ = 0;
      --*budget;
      continue;
    }
    if (cascade_level_ > 0) {
      unsigned digit = Digit(current_, cascade_level_);
      Bucket& b = slots_[cascade_level_][digit];
      if (b.size > 0) {
        // Placing reads the entry: fetch the ones a few steps ahead meanwhile.
        if (b.size > 8) __builtin_prefetch(EntryOf(b.items[b.size - 9]).raw());
        uint64_t record = b.items[b.size - 1];
        Erase(b, b.size - 1, cascade_level_, digit);
        Place(EntryOf(record), HintOf(record));  // lands lower: its digit here is the current one
        --*budget;
      } else {
        --cascade_level_;
      }
      continue;
    }
    if (current_ >= end) return 0;
    unsigned d0 = Digit(current_, 0);
    Bucket& b0 = slots_[0][d0];
    // Records of tick current_ < end: all expired (their expiry is at most 16 * end - 1).
    if (b0.size > 0) return b0.items[b0.size - 1];
    if (frozen_.slot != nullptr && frozen_.live[d0] > 0) return FrozenLast(d0);
    current_ = std::min(NextEventTick(), end);
    cascade_level_ = CascadeLevelAt(current_);
    --*budget;
  }
  return 0;
}

size_t ExpiryWheel::NextDueBatch(int64_t now_ms, size_t* budget, Entry* out, uint32_t* hints,
                                 size_t max) {
  if (max == 0) return 0;
  uint64_t first = NextDueRecord(now_ms, budget);
  if (first == 0) return 0;
  Entry e = EntryOf(first);
  out[0] = e;
  hints[0] = HintOf(first);
  unsigned d0 = Digit(current_, 0);
  if (e.wheel_level() == 1) {
    // From the frozen slot, whose records of this tick are all due: the live ones listed
    // before this one (FrozenLast dropped the holes after it).
    const uint64_t* items = frozen_.slot->items;
    size_t n = 1;
    size_t i = frozen_.end[d0] - 1;
    while (n < max && i > frozen_.begin[d0]) {
      uint64_t r = items[frozen_.order[--i]];
      if (r != 0) {
        hints[n] = HintOf(r);
        out[n++] = EntryOf(r);
      }
    }
    for (size_t k = 0; k < max && i > frozen_.begin[d0]; ++k) {
      __builtin_prefetch(EntryOf(items[frozen_.order[--i]]).raw());
    }
    return n;
  }
  if (e.wheel_level() != 0) return 1;  // from the due list: each one must be checked
  // A level-0 record of a wholly past tick: the whole bucket is due.
  const Bucket& b = slots_[0][d0];
  size_t n = std::min<size_t>(max, b.size);
  for (size_t i = 1; i < n; ++i) {
    uint64_t r = b.items[b.size - 1 - i];
    out[i] = EntryOf(r);
    hints[i] = HintOf(r);
  }
  // The next call's victims are the records before these: start fetching them now, so their
  // memory arrives while this batch is deleted.
  size_t ahead = std::min<size_t>(max, b.size - n);
  for (size_t i = 0; i < ahead; ++i) __builtin_prefetch(EntryOf(b.items[b.size - 1 - n - i]).raw());
  return n;
}

void ExpiryWheel::Freeze(unsigned digit) {
  Bucket& s = slots_[1][digit];
  if (s.size == 0) return;
  // No frozen slot is left from the last cycle: its ticks are past, so its records are gone.
  assert(frozen_.slot == nullptr);
  Resize(s, s.size);  // the order array's 4 bytes a record come out of the spare capacity
  Frozen& f = frozen_;
  f.slot = &s;
  f.digit = digit;
  f.order_bytes = size_t{s.size} * sizeof(uint32_t);
  f.order = static_cast<uint32_t*>(slab_->AllocateArray(&f.order_bytes));
  bytes_ += f.order_bytes;
  std::memset(f.live, 0, sizeof(f.live));
  for (uint32_t i = 0; i < s.size; ++i) ++f.live[Digit0Of(s.items[i])];
  uint32_t at = 0;
  f.mask = 0;
  for (unsigned d = 0; d < kSlots; ++d) {
    f.begin[d] = f.end[d] = at;
    at += f.live[d];
    if (f.live[d] > 0) f.mask |= uint64_t{1} << d;
  }
  for (uint32_t i = 0; i < s.size; ++i) f.order[f.end[Digit0Of(s.items[i])]++] = i;
  f.live_total = s.size;
}

void ExpiryWheel::Unfreeze() {
  Frozen& f = frozen_;
  f.slot->size = 0;  // only holes are left
  Resize(*f.slot, 0);
  occupied_[1] &= ~(uint64_t{1} << f.digit);
  slab_->DeallocateArray(f.order, f.order_bytes);
  bytes_ -= f.order_bytes;
  f.order = nullptr;
  f.order_bytes = 0;
  f.slot = nullptr;
  f.mask = 0;
}

uint64_t ExpiryWheel::FrozenLast(unsigned d) {
  Frozen& f = frozen_;
  while (true) {
    uint64_t r = f.slot->items[f.order[f.end[d] - 1]];
    if (r != 0) return r;
    --f.end[d];
  }
}

size_t ExpiryWheel::Backlog(int64_t now_ms) const {
  size_t n = due_.size;
  uint64_t end = EndTick(now_ms);
  if (!started_ || end <= current_) return n;
  uint64_t last = std::min(end, (current_ | (kSlots - 1)) + 1);  // within the level-0 cycle
  for (uint64_t t = current_; t < last; ++t) {
    n += slots_[0][Digit(t, 0)].size + (frozen_.slot != nullptr ? frozen_.live[Digit(t, 0)] : 0);
  }
  return n;
}

}  // namespace stash::storage
