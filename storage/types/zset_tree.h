// The large encoding of sorted sets (what Redis calls "skiplist"): member records in a per-set
// arena, an open-addressing hash index member -> record, and an order-statistic B+tree of record
// pointers ordered by (score, member).
//
// Why not Redis's layout: a Redis skiplist element costs a dictEntry (24 bytes), a bucket
// pointer, an sds string and a node of 32 + 16 x level bytes, each a separate allocation. Here
// an element is one arena record (8-byte score, varint length, member bytes, rounded to 8 with no
// allocator header), one 8-byte hash slot (at 55-80% load) and one 8-byte leaf slot. Ranks come
// from per-child counts in the inner nodes, so ZRANK and ZRANGE by index are O(log n).
#ifndef STASH_STORAGE_TYPES_ZSET_TREE_H_
#define STASH_STORAGE_TYPES_ZSET_TREE_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "storage/entry.h"

namespace stash::storage::zset {

// ---- Records: [score: 8 bytes][varint member length][member bytes] ----------------------------

inline double RecordScore(const uint8_t* r) {
  double d;
  memcpy(&d, r, sizeof(d));
  return d;
}
inline void SetRecordScore(uint8_t* r, double score) { memcpy(r, &score, sizeof(score)); }
inline std::string_view RecordMember(const uint8_t* r) {
  uint64_t len;
  const uint8_t* p = entry_layout::GetVarint(r + 8, &len);
  return {reinterpret_cast<const char*>(p), static_cast<size_t>(len)};
}
inline size_t RecordSize(size_t member_len) {
  return 8 + entry_layout::VarintSize(member_len) + member_len;
}

// Byte order of members, as Redis's sdscmp: memcmp over the common length, shorter first.
inline int CompareMembers(std::string_view a, std::string_view b) {
  size_t n = a.size() < b.size() ? a.size() : b.size();
  int c = n == 0 ? 0 : memcmp(a.data(), b.data(), n);
  if (c != 0) return c;
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

// The order of a sorted set: by score, then by member (zslInsert's comparison).
inline int CompareKey(double score, std::string_view member, const uint8_t* rec) {
  double s = RecordScore(rec);
  if (score < s) return -1;
  if (score > s) return 1;
  return CompareMembers(member, RecordMember(rec));
}

// ---- RecordArena: size-class allocator for one set's records ------------------------------

// Records up to kMaxClassSize bytes come from per-class chunks (8-byte classes, no header, free
// lists); larger ones from malloc. Chunks grow with the class's use (a quarter of what it holds,
// at least 4 slots, at most 64 KiB), so small sets do not reserve much and large ones waste
// little.
class RecordArena {
 public:
  static constexpr size_t kGranularity = 8;
  static constexpr size_t kMaxClassSize = 256;

  RecordArena() = default;
  RecordArena(const RecordArena&) = delete;
  RecordArena& operator=(const RecordArena&) = delete;
  ~RecordArena();

  uint8_t* Allocate(size_t size);
  void Free(uint8_t* p, size_t size);
  void Swap(RecordArena& other);

  size_t bytes_reserved() const { return reserved_; }
  size_t bytes_live() const { return live_; }

 private:
  struct SizeClass {
    void* free_list = nullptr;
    char* bump = nullptr;
    char* bump_end = nullptr;
    size_t slots = 0;  // slots carved from chunks so far
  };
  std::unique_ptr<SizeClass[]> classes_;
  std::vector<void*> chunks_;
  size_t reserved_ = 0;
  size_t live_ = 0;
};

// ---- MemberIndex: member -> record -------------------------------------------------------

// Linear probing over 8-byte slots holding the record pointer in the low 48 bits and 16 bits of
// the member's hash above it, so most probes never touch a record. A slot's home is
// (hash * capacity) >> 64, which keeps the slots in hash order: that is what lets ZSCAN use a
// position in hash space as its cursor, valid across resizes. Deletion shifts entries back
// (no tombstones).
class MemberIndex {
 public:
  MemberIndex() = default;
  MemberIndex(const MemberIndex&) = delete;
  MemberIndex& operator=(const MemberIndex&) = delete;
  ~MemberIndex();

  size_t size() const { return size_; }
  size_t bytes() const { return capacity_ * sizeof(uint64_t); }

  static uint64_t Hash(std::string_view member);
  uint8_t* Find(std::string_view member, uint64_t hash) const;
  // member must be absent.
  void Insert(uint8_t* rec, uint64_t hash);
  // Removes member and returns its record, or nullptr.
  uint8_t* Erase(std::string_view member, uint64_t hash);
  // Points member's slot (which must exist) at another copy of its record.
  void Replace(const uint8_t* old_rec, uint8_t* new_rec, uint64_t hash);
  void Reserve(size_t n);
  // Some record, from a random 64-bit value; the index must not be empty.
  uint8_t* RandomRecord(uint64_t r) const;

  // ZSCAN: visits every record whose hash is in [cursor, next) where next covers about `count`
  // slots, and returns next (0 once the end of hash space is reached).
  template <typename Visit>
  uint64_t Scan(uint64_t cursor, size_t count, Visit&& visit) const;

 private:
  static constexpr int kTagShift = 48;
  static constexpr uint64_t kPtrMask = (uint64_t{1} << kTagShift) - 1;
  static uint64_t Tag(uint64_t hash) { return hash & 0xffff; }
  static uint64_t MakeSlot(uint8_t* rec, uint64_t hash) {
    return reinterpret_cast<uintptr_t>(rec) | (Tag(hash) << kTagShift);
  }
  static uint8_t* SlotRecord(uint64_t slot) {
    return reinterpret_cast<uint8_t*>(static_cast<uintptr_t>(slot & kPtrMask));
  }
  size_t Home(uint64_t hash) const {
    return static_cast<size_t>((static_cast<unsigned __int128>(hash) * capacity_) >> 64);
  }
  void Resize(size_t capacity);
  size_t Locate(std::string_view member, uint64_t hash) const;  // slot index or capacity_

  uint64_t* slots_ = nullptr;
  size_t capacity_ = 0;
  size_t size_ = 0;
};

template <typename Visit>
uint64_t MemberIndex::Scan(uint64_t cursor, size_t count, Visit&& visit) const {
  if (capacity_ == 0) return 0;
  size_t start = Home(cursor);
  if (count < 1) count = 1;
  size_t stop = start + count;  // first home slot not covered by this call
  // Hashes below `limit` have homes below `stop`: limit = ceil(stop * 2^64 / capacity).
  unsigned __int128 limit128 =
      ((static_cast<unsigned __int128>(stop) << 64) + capacity_ - 1) / capacity_;
  bool to_end = stop >= capacity_ || (limit128 >> 64) != 0;
  uint64_t limit = to_end ? 0 : static_cast<uint64_t>(limit128);
  // Entries sit at or after their home, inside the run of occupied slots that contains it:
  // walk from `start` until past `stop` and at an empty slot (wrapping, at most one lap).
  for (size_t step = 0; step < capacity_; ++step) {
    size_t pos = start + step;
    uint64_t slot = slots_[pos % capacity_];
    if (slot == 0) {
      if (pos >= stop) break;
      continue;
    }
    uint8_t* rec = SlotRecord(slot);
    uint64_t h = Hash(RecordMember(rec));
    if (h >= cursor && (to_end || h < limit)) visit(rec);
  }
  return limit;
}

// ---- OrderTree: order-statistic B+tree of records ----------------------------------------

class OrderTree {
 public:
  static constexpr uint32_t kLeafCap = 62;   // a 520-byte leaf, a 528-byte malloc chunk
  static constexpr uint32_t kInnerCap = 32;

  struct Leaf {
    Leaf* prev;
    Leaf* next;
    uint32_t n;
    uint8_t* rec[kLeafCap];
  };
  struct Inner {
    uint32_t n;
    void* child[kInnerCap];
    uint64_t count[kInnerCap];   // records under child[i]
    uint8_t* maxrec[kInnerCap];  // the largest record under child[i]
  };
  // A position: leaf and index (leaf == nullptr past either end).
  struct Pos {
    Leaf* leaf = nullptr;
    uint32_t idx = 0;
    bool valid() const { return leaf != nullptr; }
    uint8_t* get() const { return leaf->rec[idx]; }
    void Next() {
      if (++idx >= leaf->n) {
        leaf = leaf->next;
        idx = 0;
      }
    }
    void Prev() {
      if (idx == 0) {
        leaf = leaf->prev;
        idx = leaf != nullptr ? leaf->n - 1 : 0;
      } else {
        --idx;
      }
    }
  };

  OrderTree() = default;
  OrderTree(const OrderTree&) = delete;
  OrderTree& operator=(const OrderTree&) = delete;
  ~OrderTree() { Clear(); }

  size_t size() const { return size_; }
  size_t bytes() const { return bytes_; }
  void Clear();

  // rec must not be in the tree (no record with the same member).
  void Insert(uint8_t* rec);
  // Removes rec, found by its current score and member.
  void Erase(const uint8_t* rec);
  // Removes and returns the record at rank.
  uint8_t* EraseAt(size_t rank);
  // 0-based rank of rec (which must be in the tree).
  size_t Rank(const uint8_t* rec) const;
  Pos At(size_t rank) const;
  // Position of rec (which must be in the tree).
  Pos Find(const uint8_t* rec) const;

  // First rank whose record satisfies pred, for a pred that is false then true along the order
  // (size() when it never holds).
  template <typename Pred>
  size_t PartitionPoint(Pred&& pred) const;

  // Recomputes every inner node's max record (after records moved, see ZSetBig::Compact).
  void RefreshSummaries() {
    if (root_ != nullptr && height_ > 0) Refresh(root_, height_);
  }
  // Every leaf in order (Compact rewrites the pointers).
  Leaf* first_leaf() const;

 private:
  Leaf* NewLeaf();
  Inner* NewInner();
  void FreeNode(void* node, int level);
  void Summarize(void* node, int level, uint64_t* count, uint8_t** maxrec) const;
  // right_edge: node is the last one of its level (every ancestor chose its last child).
  void* InsertRec(void* node, int level, double score, std::string_view member, uint8_t* rec,
                  bool right_edge);
  // Descends by key (key_rec != nullptr) or by rank; removes the record and fixes the path.
  uint8_t* EraseRec(void* node, int level, const uint8_t* key_rec, size_t rank);
  void FixChild(Inner* in, uint32_t i, int child_level);
  void RemoveChild(Inner* in, uint32_t i, int child_level, bool free_it);
  void Refresh(void* node, int level);
  static uint32_t ChildFor(const Inner* in, double score, std::string_view member);
  static uint32_t LeafLowerBound(const Leaf* l, double score, std::string_view member);

  void* root_ = nullptr;
  int height_ = 0;  // 0: the root is a leaf
  size_t size_ = 0;
  size_t bytes_ = 0;
};

template <typename Pred>
size_t OrderTree::PartitionPoint(Pred&& pred) const {
  if (root_ == nullptr) return 0;
  size_t rank = 0;
  void* node = root_;
  for (int level = height_; level > 0; --level) {
    const Inner* in = static_cast<const Inner*>(node);
    uint32_t i = 0;
    while (i < in->n && !pred(in->maxrec[i])) rank += in->count[i++];
    if (i == in->n) return size_;
    node = in->child[i];
  }
  const Leaf* l = static_cast<const Leaf*>(node);
  uint32_t lo = 0, hi = l->n;
  while (lo < hi) {
    uint32_t mid = (lo + hi) / 2;
    if (pred(l->rec[mid])) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return rank + lo;
}

// ---- ZSetBig: the three together ----------------------------------------------------------

class ZSetBig {
 public:
  ZSetBig() = default;
  ZSetBig(const ZSetBig&) = delete;
  ZSetBig& operator=(const ZSetBig&) = delete;
  ~ZSetBig();

  size_t size() const { return tree_.size(); }
  size_t bytes_used() const;

  uint8_t* Find(std::string_view member) const {
    return index_.Find(member, MemberIndex::Hash(member));
  }
  // member must be absent.
  void Insert(std::string_view member, double score);
  bool Remove(std::string_view member);
  // Gives an existing record a new score, moving it in the order if needed (zslUpdateScore).
  void UpdateScore(uint8_t* rec, double score);
  // Removes the records of ranks [start, start + count).
  void EraseRange(size_t start, size_t count);
  void Reserve(size_t n) { index_.Reserve(n); }

  const OrderTree& tree() const { return tree_; }
  const MemberIndex& index() const { return index_; }

 private:
  void FreeRecord(uint8_t* rec);
  void MaybeCompact();
  // Moves every record into a fresh arena, giving back the free space of a set that shrank.
  void Compact();

  RecordArena arena_;
  MemberIndex index_;
  OrderTree tree_;
};

}  // namespace stash::storage::zset

#endif  // STASH_STORAGE_TYPES_ZSET_TREE_H_
