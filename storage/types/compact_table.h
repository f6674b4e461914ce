// Building blocks shared by the hash and set values (storage/types/hash_value.h, set_value.h):
//
// - canonical integers: the strings Redis's string2ll accepts ("-12", not "+12", "012" or
//   "-0"), which both types may store as numbers because each such string has exactly one
//   integer and each integer exactly one such string;
// - CompactTable: an open-addressing hash table of 8-byte slots, ordered by hash like the
//   keyspace's EntryTable, so that HSCAN/SSCAN cursors survive resizing (see Scan).
//
// What a slot holds is up to the user, described by a Policy with one static function:
//   static uint64_t Hash(uint64_t slot);   // the hash of the element stored in a nonzero slot
// A slot value of 0 means empty, so a policy never stores 0.
#ifndef STASH_STORAGE_TYPES_COMPACT_TABLE_H_
#define STASH_STORAGE_TYPES_COMPACT_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

#include "storage/entry.h"
#include "storage/memory_counter.h"

namespace stash::storage::compact {

// Redis's string2ll: optional '-', then digits without leading zeros (or exactly "0"), within
// int64. Exactly the strings that are the decimal form of an int64.
inline bool ParseCanonicalInt(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    i = 1;
    if (s.size() == 1) return false;
  }
  if (s[i] == '0') {
    if (s.size() == 1) {
      *out = 0;
      return true;
    }
    return false;
  }
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    unsigned d = static_cast<unsigned char>(s[i]) - '0';
    if (d > 9) return false;
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (negative) {
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *out = static_cast<int64_t>(0 - v);
  } else {
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

// Writes the decimal form of v into buf (at least 21 bytes); returns its length.
inline size_t FormatInt(int64_t v, char* buf) {
  char tmp[24];
  size_t n = 0;
  uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  do {
    tmp[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  size_t len = 0;
  if (v < 0) buf[len++] = '-';
  while (n > 0) buf[len++] = tmp[--n];
  return len;
}

// A 64-bit mixer (the splitmix64 finalizer), for hashing elements that are not byte strings.
inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// Unsigned LEB128 lengths: the same encoding as the entry layout, so the same functions.
using entry_layout::GetVarint;
using entry_layout::PutVarint;
using entry_layout::VarintSize;

// Open addressing with linear probing over 8-byte slots. An element's home slot is
// fastrange(hash, capacity) = (hash * capacity) >> 64, which is monotone in the hash at every
// capacity: the table keeps its elements in hash order (up to displacement by probing), and a
// scan cursor can be a position in hash space instead of a slot number (see Scan). Grows by 1.5x
// past 85% full, shrinks below 1/8 full; deletion shifts later elements back (no tombstones).
//
// Without stored hashes, Policy::Hash is called again for every element a resize moves, and for
// displaced elements met by deletions and scans; the policies keep that cheap (a 16-bit tag in
// pointer slots avoids most comparisons, small elements live in the slot itself).
template <typename Policy>
class CompactTable {
 public:
  static constexpr size_t kNotFound = SIZE_MAX;

  CompactTable() = default;
  CompactTable(const CompactTable&) = delete;
  CompactTable& operator=(const CompactTable&) = delete;
  ~CompactTable() { memory::Free(slots_); }

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  size_t bytes() const { return capacity_ * sizeof(uint64_t); }
  uint64_t At(size_t slot) const { return slots_[slot]; }
  // Replaces an element by one with the same hash (a relocated node).
  void Replace(size_t slot, uint64_t value) { slots_[slot] = value; }

  // Makes room for n elements without growing.
  void Reserve(size_t n) {
    size_t want = n * 100 / 80 + 1;
    if (want < kMinCapacity) want = kMinCapacity;
    if (want > capacity_) Resize(want);
  }

  // The slot whose element has this hash and satisfies eq(slot value), or kNotFound.
  template <typename Eq>
  size_t Find(uint64_t hash, Eq&& eq) const {
    if (size_ == 0) return kNotFound;
    size_t p = Home(hash, capacity_);
    while (true) {
      uint64_t s = slots_[p];
      if (s == 0) return kNotFound;
      if (eq(s)) return p;
      if (++p == capacity_) p = 0;
    }
  }

  // Adds an element that is not present. May resize: slot numbers change.
  void Insert(uint64_t value, uint64_t hash) {
    if ((size_ + 1) * 100 > capacity_ * 85) {
      Resize(capacity_ < kMinCapacity ? kMinCapacity : capacity_ + capacity_ / 2);
    }
    size_t p = Home(hash, capacity_);
    while (slots_[p] != 0) {
      if (++p == capacity_) p = 0;
    }
    slots_[p] = value;
    ++size_;
  }

  // Removes the element at slot (the caller frees what it points to). May resize.
  void EraseAt(size_t slot) {
    size_t hole = slot;
    slots_[hole] = 0;
    size_t p = hole;
    while (true) {
      if (++p == capacity_) p = 0;
      if (slots_[p] == 0) break;
      size_t home = Home(Policy::Hash(slots_[p]), capacity_);
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

  // Visits every element in slot order; visit must not modify the table.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    for (size_t i = 0; i < capacity_; ++i) {
      if (slots_[i] != 0) visit(slots_[i]);
    }
  }

  // A slot holding an element, chosen from r (any 64-bit number). The table must be non-empty.
  size_t SlotNear(uint64_t r) const {
    size_t p = static_cast<size_t>(r % capacity_);
    while (slots_[p] == 0) {
      if (++p == capacity_) p = 0;
    }
    return p;
  }

  // Cursor iteration in hash order, the keyspace's EntryTable::Scan algorithm. `cursor` is a
  // hash position (0 = start). Visits the elements whose hash is >= cursor, whole home slots at
  // a time, until at least `count` were visited or the table ended. Returns true when it ended;
  // otherwise *next is the position to resume at.
  //
  // Why a cursor survives resizing (and shrinking) between calls: every element with a hash
  // below the returned position has been visited, and that statement does not depend on the
  // capacity, because an element's home slot is a monotone function of its hash at any
  // capacity. So an element present for the whole iteration is returned at least once; it may
  // repeat only if its hash equals the cursor exactly.
  template <typename Visit>
  bool Scan(uint64_t cursor, size_t count, uint64_t* next, Visit&& visit) const {
    if (size_ == 0) return true;
    if (count == 0) count = 1;
    const size_t n = capacity_;
    const size_t first = Home(cursor, n);
    size_t visited = 0;
    size_t walked = 0;
    size_t last = n - 1;  // the last home slot whose elements this call covers
    // Phase 1: slots from the cursor's home on; an element at p with home in [first, p] is
    // ours. Stop after a slot once enough elements were seen (or enough slots walked).
    for (size_t p = first; p < n; ++p) {
      if (slots_[p] != 0) {
        uint64_t h = Policy::Hash(slots_[p]);
        size_t home = Home(h, n);
        if (home >= first && home <= p && (home != first || h >= cursor)) {
          visit(slots_[p]);
          ++visited;
        }
      }
      if (visited >= count || ++walked >= count * 10) {
        last = p;
        break;
      }
    }
    // Phase 2: elements whose home is in [first, last] may sit past `last` (displaced, perhaps
    // wrapped to the start); they end at the first empty slot. Those back inside [first, last]
    // with their home in [first, p] were visited by phase 1.
    for (size_t i = 1; i < n; ++i) {
      size_t p = (last + i) % n;
      if (slots_[p] == 0) break;
      uint64_t h = Policy::Hash(slots_[p]);
      size_t home = Home(h, n);
      bool seen_in_phase1 = p >= first && p <= last && home >= first && home <= p;
      if (home >= first && home <= last && !seen_in_phase1 && (home != first || h >= cursor)) {
        visit(slots_[p]);
      }
    }
    if (last + 1 >= n) return true;
    // The smallest hash whose home is past `last`: ceil((last + 1) * 2^64 / n).
    unsigned __int128 boundary = ((static_cast<unsigned __int128>(last + 1) << 64) + n - 1) / n;
    *next = static_cast<uint64_t>(boundary);
    return false;
  }

  // Forgets every slot (the caller has freed what they point to).
  void Clear() {
    memory::Free(slots_);
    slots_ = nullptr;
    capacity_ = 0;
    size_ = 0;
  }

 private:
  static constexpr size_t kMinCapacity = 8;

  static size_t Home(uint64_t hash, size_t capacity) {
    return static_cast<size_t>((static_cast<unsigned __int128>(hash) * capacity) >> 64);
  }

  void Resize(size_t new_capacity) {
    uint64_t* fresh = static_cast<uint64_t*>(memory::Calloc(new_capacity, sizeof(uint64_t)));
    if (fresh == nullptr) throw std::bad_alloc();
    for (size_t i = 0; i < capacity_; ++i) {
      uint64_t s = slots_[i];
      if (s == 0) continue;
      size_t p = Home(Policy::Hash(s), new_capacity);
      while (fresh[p] != 0) {
        if (++p == new_capacity) p = 0;
      }
      fresh[p] = s;
    }
    memory::Free(slots_);
    slots_ = fresh;
    capacity_ = new_capacity;
  }

  uint64_t* slots_ = nullptr;
  size_t capacity_ = 0;
  size_t size_ = 0;
};

}  // namespace stash::storage::compact

#endif  // STASH_STORAGE_TYPES_COMPACT_TABLE_H_
