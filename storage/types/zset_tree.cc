#include "storage/types/zset_tree.h"

#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <new>

#include "storage/hash.h"
#include "storage/memory_counter.h"

namespace stash::storage::zset {

// ---- RecordArena ---------------------------------------------------------------------------

RecordArena::~RecordArena() {
  for (void* chunk : chunks_) memory::Free(chunk);
}

uint8_t* RecordArena::Allocate(size_t size) {
  if (size > kMaxClassSize) {
    void* p = memory::Malloc(size);
    if (p == nullptr) throw std::bad_alloc();
    size_t usable = malloc_usable_size(p);
    reserved_ += usable;
    live_ += usable;
    return static_cast<uint8_t*>(p);
  }
  if (!classes_) classes_ = std::make_unique<SizeClass[]>(kMaxClassSize / kGranularity);
  size_t rounded = (size + kGranularity - 1) & ~(kGranularity - 1);
  SizeClass& cls = classes_[rounded / kGranularity - 1];
  live_ += rounded;
  if (cls.free_list != nullptr) {
    void* p = cls.free_list;
    cls.free_list = *static_cast<void**>(p);
    return static_cast<uint8_t*>(p);
  }
  if (cls.bump == nullptr || cls.bump + rounded > cls.bump_end) {
    size_t slots = std::max<size_t>(4, cls.slots / 4);
    slots = std::min(slots, std::max<size_t>(1, (64 * 1024) / rounded));
    size_t bytes = slots * rounded;
    char* chunk = static_cast<char*>(memory::Malloc(bytes));
    if (chunk == nullptr) throw std::bad_alloc();
    chunks_.push_back(chunk);
    reserved_ += bytes;
    cls.bump = chunk;
    cls.bump_end = chunk + bytes;
    cls.slots += slots;
  }
  void* p = cls.bump;
  cls.bump += rounded;
  return static_cast<uint8_t*>(p);
}

void RecordArena::Swap(RecordArena& other) {
  std::swap(classes_, other.classes_);
  chunks_.swap(other.chunks_);
  std::swap(reserved_, other.reserved_);
  std::swap(live_, other.live_);
}

void RecordArena::Free(uint8_t* p, size_t size) {
  if (size > kMaxClassSize) {
    size_t usable = malloc_usable_size(p);
    reserved_ -= usable;
    live_ -= usable;
    memory::Free(p);
    return;
  }
  size_t rounded = (size + kGranularity - 1) & ~(kGranularity - 1);
  SizeClass& cls = classes_[rounded / kGranularity - 1];
  // Classes are at least 16 bytes (8-byte score plus a length byte), room for the link.
  *reinterpret_cast<void**>(p) = cls.free_list;
  cls.free_list = p;
  live_ -= rounded;
}

// ---- MemberIndex ---------------------------------------------------------------------------

namespace {
// Load bounds: grow past 80% (by half), shrink under 20% (to 50%).
constexpr size_t kMinCapacity = 16;
bool OverMaxLoad(size_t size, size_t capacity) { return size * 5 > capacity * 4; }
}  // namespace

MemberIndex::~MemberIndex() { memory::Free(slots_); }

uint64_t MemberIndex::Hash(std::string_view member) { return HashKey(member); }

size_t MemberIndex::Locate(std::string_view member, uint64_t hash) const {
  if (capacity_ == 0) return capacity_;
  uint64_t tag = Tag(hash);
  size_t i = Home(hash);
  while (true) {
    uint64_t slot = slots_[i];
    if (slot == 0) return capacity_;
    if ((slot >> kTagShift) == tag && RecordMember(SlotRecord(slot)) == member) return i;
    if (++i == capacity_) i = 0;
  }
}

uint8_t* MemberIndex::Find(std::string_view member, uint64_t hash) const {
  size_t i = Locate(member, hash);
  return i == capacity_ ? nullptr : SlotRecord(slots_[i]);
}

void MemberIndex::Insert(uint8_t* rec, uint64_t hash) {
  // Slots keep 16 hash bits above a 48-bit pointer (user-space addresses on x86-64 and arm64).
  if ((reinterpret_cast<uintptr_t>(rec) >> kTagShift) != 0) abort();
  if (capacity_ == 0 || OverMaxLoad(size_ + 1, capacity_)) {
    Resize(std::max(kMinCapacity, capacity_ + capacity_ / 2));
  }
  size_t i = Home(hash);
  while (slots_[i] != 0) {
    if (++i == capacity_) i = 0;
  }
  slots_[i] = MakeSlot(rec, hash);
  ++size_;
}

uint8_t* MemberIndex::Erase(std::string_view member, uint64_t hash) {
  size_t i = Locate(member, hash);
  if (i == capacity_) return nullptr;
  uint8_t* rec = SlotRecord(slots_[i]);
  // Backward-shift deletion: pull later entries of the run into the hole when the hole lies
  // between their home and their slot.
  size_t hole = i;
  size_t j = i;
  while (true) {
    if (++j == capacity_) j = 0;
    uint64_t slot = slots_[j];
    if (slot == 0) break;
    size_t home = Home(Hash(RecordMember(SlotRecord(slot))));
    // Distance from home to j and from home to the hole, cyclically.
    size_t dist_j = (j + capacity_ - home) % capacity_;
    size_t dist_hole = (hole + capacity_ - home) % capacity_;
    if (dist_hole <= dist_j) {
      slots_[hole] = slot;
      hole = j;
    }
  }
  slots_[hole] = 0;
  --size_;
  if (capacity_ > kMinCapacity && size_ * 5 < capacity_) Resize(std::max(kMinCapacity, size_ * 2));
  return rec;
}

void MemberIndex::Replace(const uint8_t* old_rec, uint8_t* new_rec, uint64_t hash) {
  size_t i = Home(hash);
  while (SlotRecord(slots_[i]) != old_rec) {
    if (++i == capacity_) i = 0;
  }
  slots_[i] = MakeSlot(new_rec, hash);
}

void MemberIndex::Reserve(size_t n) {
  size_t want = n + n / 3 + 1;  // 75% load once n members are in
  if (want > capacity_ && OverMaxLoad(n, capacity_)) Resize(std::max(kMinCapacity, want));
}

uint8_t* MemberIndex::RandomRecord(uint64_t r) const {
  // Slots are at least 20% full, so a few probes find one; successive random picks are
  // independent, unlike walking to the next occupied slot (which favours run starts).
  uint64_t x = r;
  while (true) {
    size_t i = static_cast<size_t>((static_cast<unsigned __int128>(x) * capacity_) >> 64);
    uint64_t slot = slots_[i];
    if (slot != 0) return SlotRecord(slot);
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;  // next value of an LCG
  }
}

void MemberIndex::Resize(size_t capacity) {
  uint64_t* old = slots_;
  size_t old_capacity = capacity_;
  slots_ = static_cast<uint64_t*>(memory::Calloc(capacity, sizeof(uint64_t)));
  if (slots_ == nullptr) throw std::bad_alloc();
  capacity_ = capacity;
  for (size_t k = 0; k < old_capacity; ++k) {
    uint64_t slot = old[k];
    if (slot == 0) continue;
    size_t i = Home(Hash(RecordMember(SlotRecord(slot))));
    while (slots_[i] != 0) {
      if (++i == capacity_) i = 0;
    }
    slots_[i] = slot;
  }
  memory::Free(old);
}

// ---- OrderTree -----------------------------------------------------------------------------

OrderTree::Leaf* OrderTree::NewLeaf() {
  Leaf* l = static_cast<Leaf*>(memory::Malloc(sizeof(Leaf)));
  if (l == nullptr) throw std::bad_alloc();
  l->prev = l->next = nullptr;
  l->n = 0;
  bytes_ += sizeof(Leaf);
  return l;
}

OrderTree::Inner* OrderTree::NewInner() {
  Inner* in = static_cast<Inner*>(memory::Malloc(sizeof(Inner)));
  if (in == nullptr) throw std::bad_alloc();
  in->n = 0;
  bytes_ += sizeof(Inner);
  return in;
}

void OrderTree::FreeNode(void* node, int level) {
  bytes_ -= level == 0 ? sizeof(Leaf) : sizeof(Inner);
  memory::Free(node);
}

void OrderTree::Clear() {
  if (root_ == nullptr) return;
  // Free level by level: inner nodes recursively, leaves through the leaf list.
  struct Walker {
    OrderTree* t;
    void Free(void* node, int level) {
      if (level > 0) {
        Inner* in = static_cast<Inner*>(node);
        for (uint32_t i = 0; i < in->n; ++i) Free(in->child[i], level - 1);
      }
      t->FreeNode(node, level);
    }
  };
  Walker{this}.Free(root_, height_);
  root_ = nullptr;
  height_ = 0;
  size_ = 0;
}

OrderTree::Leaf* OrderTree::first_leaf() const {
  void* node = root_;
  if (node == nullptr) return nullptr;
  for (int level = height_; level > 0; --level) node = static_cast<Inner*>(node)->child[0];
  return static_cast<Leaf*>(node);
}

void OrderTree::Summarize(void* node, int level, uint64_t* count, uint8_t** maxrec) const {
  if (level == 0) {
    Leaf* l = static_cast<Leaf*>(node);
    *count = l->n;
    *maxrec = l->rec[l->n - 1];
    return;
  }
  Inner* in = static_cast<Inner*>(node);
  uint64_t total = 0;
  for (uint32_t i = 0; i < in->n; ++i) total += in->count[i];
  *count = total;
  *maxrec = in->maxrec[in->n - 1];
}

uint32_t OrderTree::ChildFor(const Inner* in, double score, std::string_view member) {
  // The first child whose largest record is >= the key; the last child for a larger key.
  uint32_t lo = 0, hi = in->n - 1;
  while (lo < hi) {
    uint32_t mid = (lo + hi) / 2;
    if (CompareKey(score, member, in->maxrec[mid]) > 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

uint32_t OrderTree::LeafLowerBound(const Leaf* l, double score, std::string_view member) {
  uint32_t lo = 0, hi = l->n;
  while (lo < hi) {
    uint32_t mid = (lo + hi) / 2;
    if (CompareKey(score, member, l->rec[mid]) > 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

void OrderTree::Insert(uint8_t* rec) {
  ++size_;
  if (root_ == nullptr) {
    Leaf* l = NewLeaf();
    l->rec[0] = rec;
    l->n = 1;
    root_ = l;
    height_ = 0;
    return;
  }
  void* right = InsertRec(root_, height_, RecordScore(rec), RecordMember(rec), rec, true);
  if (right != nullptr) {
    Inner* r = NewInner();
    r->n = 2;
    r->child[0] = root_;
    r->child[1] = right;
    Summarize(root_, height_, &r->count[0], &r->maxrec[0]);
    Summarize(right, height_, &r->count[1], &r->maxrec[1]);
    root_ = r;
    ++height_;
  }
}

void* OrderTree::InsertRec(void* node, int level, double score, std::string_view member,
                           uint8_t* rec, bool right_edge) {
  if (level == 0) {
    Leaf* l = static_cast<Leaf*>(node);
    uint32_t pos = LeafLowerBound(l, score, member);
    if (l->n < kLeafCap) {
      memmove(&l->rec[pos + 1], &l->rec[pos], (l->n - pos) * sizeof(uint8_t*));
      l->rec[pos] = rec;
      ++l->n;
      return nullptr;
    }
    // Split. Appending past the last element (or before the first) keeps the full leaf as it is
    // and starts a new one, so sets loaded in order end up with full leaves.
    uint32_t keep;
    if (pos == l->n && l->next == nullptr) {
      keep = l->n;
    } else if (pos == 0 && l->prev == nullptr) {
      keep = 0;
    } else {
      keep = (l->n + 1) / 2;
    }
    Leaf* r = NewLeaf();
    r->n = l->n - keep;
    memcpy(r->rec, &l->rec[keep], r->n * sizeof(uint8_t*));
    l->n = keep;
    r->prev = l;
    r->next = l->next;
    if (l->next != nullptr) l->next->prev = r;
    l->next = r;
    Leaf* target = l;
    if (pos > keep || (pos == keep && keep == kLeafCap)) {
      target = r;
      pos -= keep;
    }
    memmove(&target->rec[pos + 1], &target->rec[pos], (target->n - pos) * sizeof(uint8_t*));
    target->rec[pos] = rec;
    ++target->n;
    return r;
  }

  Inner* in = static_cast<Inner*>(node);
  uint32_t i = ChildFor(in, score, member);
  void* right =
      InsertRec(in->child[i], level - 1, score, member, rec, right_edge && i == in->n - 1);
  if (right == nullptr) {
    ++in->count[i];
    if (CompareKey(score, member, in->maxrec[i]) > 0) in->maxrec[i] = rec;
    return nullptr;
  }
  Summarize(in->child[i], level - 1, &in->count[i], &in->maxrec[i]);
  uint64_t rcount;
  uint8_t* rmax;
  Summarize(right, level - 1, &rcount, &rmax);
  uint32_t at = i + 1;  // where the new child goes
  Inner* target = in;
  Inner* split = nullptr;
  if (in->n == kInnerCap) {
    // As for leaves: a new last child of the rightmost node starts a new node.
    uint32_t keep = at == in->n && right_edge ? in->n : (in->n + 1) / 2;
    split = NewInner();
    split->n = in->n - keep;
    memcpy(split->child, &in->child[keep], split->n * sizeof(void*));
    memcpy(split->count, &in->count[keep], split->n * sizeof(uint64_t));
    memcpy(split->maxrec, &in->maxrec[keep], split->n * sizeof(uint8_t*));
    in->n = keep;
    if (at > keep || (at == keep && keep == kInnerCap)) {
      target = split;
      at -= keep;
    }
  }
  uint32_t move = target->n - at;
  memmove(&target->child[at + 1], &target->child[at], move * sizeof(void*));
  memmove(&target->count[at + 1], &target->count[at], move * sizeof(uint64_t));
  memmove(&target->maxrec[at + 1], &target->maxrec[at], move * sizeof(uint8_t*));
  target->child[at] = right;
  target->count[at] = rcount;
  target->maxrec[at] = rmax;
  ++target->n;
  return split;
}

void OrderTree::RemoveChild(Inner* in, uint32_t i, int child_level, bool free_it) {
  void* child = in->child[i];
  if (child_level == 0) {
    Leaf* l = static_cast<Leaf*>(child);
    if (free_it) {
      if (l->prev != nullptr) l->prev->next = l->next;
      if (l->next != nullptr) l->next->prev = l->prev;
    }
  }
  if (free_it) FreeNode(child, child_level);
  uint32_t move = in->n - i - 1;
  memmove(&in->child[i], &in->child[i + 1], move * sizeof(void*));
  memmove(&in->count[i], &in->count[i + 1], move * sizeof(uint64_t));
  memmove(&in->maxrec[i], &in->maxrec[i + 1], move * sizeof(uint8_t*));
  --in->n;
}

// After child i lost a record: drop it when empty, refresh its max, merge it with a neighbour
// when it has become small and both fit in one node.
void OrderTree::FixChild(Inner* in, uint32_t i, int child_level) {
  void* child = in->child[i];
  uint32_t n = child_level == 0 ? static_cast<Leaf*>(child)->n : static_cast<Inner*>(child)->n;
  if (n == 0) {
    RemoveChild(in, i, child_level, true);
    return;
  }
  if (child_level == 0) {
    Leaf* l = static_cast<Leaf*>(child);
    in->maxrec[i] = l->rec[l->n - 1];
  } else {
    Inner* c = static_cast<Inner*>(child);
    in->maxrec[i] = c->maxrec[c->n - 1];
  }
  uint32_t cap = child_level == 0 ? kLeafCap : kInnerCap;
  if (n >= cap / 4 || in->n < 2) return;
  uint32_t left = i + 1 < in->n ? i : i - 1;  // merge child[left + 1] into child[left]
  void* a = in->child[left];
  void* b = in->child[left + 1];
  if (child_level == 0) {
    Leaf* la = static_cast<Leaf*>(a);
    Leaf* lb = static_cast<Leaf*>(b);
    if (la->n + lb->n > kLeafCap) return;
    memcpy(&la->rec[la->n], lb->rec, lb->n * sizeof(uint8_t*));
    la->n += lb->n;
    la->next = lb->next;
    if (lb->next != nullptr) lb->next->prev = la;
  } else {
    Inner* ia = static_cast<Inner*>(a);
    Inner* ib = static_cast<Inner*>(b);
    if (ia->n + ib->n > kInnerCap) return;
    memcpy(&ia->child[ia->n], ib->child, ib->n * sizeof(void*));
    memcpy(&ia->count[ia->n], ib->count, ib->n * sizeof(uint64_t));
    memcpy(&ia->maxrec[ia->n], ib->maxrec, ib->n * sizeof(uint8_t*));
    ia->n += ib->n;
  }
  in->count[left] += in->count[left + 1];
  in->maxrec[left] = in->maxrec[left + 1];
  FreeNode(b, child_level);
  RemoveChild(in, left + 1, child_level, false);
}

uint8_t* OrderTree::EraseRec(void* node, int level, const uint8_t* key_rec, size_t rank) {
  if (level == 0) {
    Leaf* l = static_cast<Leaf*>(node);
    uint32_t pos = key_rec != nullptr
                       ? LeafLowerBound(l, RecordScore(key_rec), RecordMember(key_rec))
                       : static_cast<uint32_t>(rank);
    uint8_t* rec = l->rec[pos];
    memmove(&l->rec[pos], &l->rec[pos + 1], (l->n - pos - 1) * sizeof(uint8_t*));
    --l->n;
    return rec;
  }
  Inner* in = static_cast<Inner*>(node);
  uint32_t i;
  if (key_rec != nullptr) {
    i = ChildFor(in, RecordScore(key_rec), RecordMember(key_rec));
  } else {
    i = 0;
    while (rank >= in->count[i]) rank -= in->count[i++];
  }
  uint8_t* rec = EraseRec(in->child[i], level - 1, key_rec, rank);
  --in->count[i];
  FixChild(in, i, level - 1);
  return rec;
}

void OrderTree::Erase(const uint8_t* rec) {
  EraseRec(root_, height_, rec, 0);
  --size_;
  // Collapse a root left with one child (or none).
  while (true) {
    if (height_ == 0) {
      if (static_cast<Leaf*>(root_)->n == 0) {
        FreeNode(root_, 0);
        root_ = nullptr;
      }
      return;
    }
    Inner* in = static_cast<Inner*>(root_);
    if (in->n > 1) return;
    root_ = in->n == 1 ? in->child[0] : nullptr;
    FreeNode(in, height_);
    --height_;
    if (root_ == nullptr) {
      height_ = 0;
      return;
    }
  }
}

uint8_t* OrderTree::EraseAt(size_t rank) {
  // Erasing by rank needs no comparisons: find the record first, then erase it by key (which
  // lands on the same slot since members are unique).
  uint8_t* rec = At(rank).get();
  Erase(rec);
  return rec;
}

size_t OrderTree::Rank(const uint8_t* rec) const {
  double score = RecordScore(rec);
  std::string_view member = RecordMember(rec);
  size_t rank = 0;
  void* node = root_;
  for (int level = height_; level > 0; --level) {
    const Inner* in = static_cast<const Inner*>(node);
    uint32_t i = ChildFor(in, score, member);
    for (uint32_t k = 0; k < i; ++k) rank += in->count[k];
    node = in->child[i];
  }
  return rank + LeafLowerBound(static_cast<const Leaf*>(node), score, member);
}

OrderTree::Pos OrderTree::At(size_t rank) const {
  if (rank >= size_) return Pos{};
  void* node = root_;
  for (int level = height_; level > 0; --level) {
    const Inner* in = static_cast<const Inner*>(node);
    uint32_t i = 0;
    while (rank >= in->count[i]) rank -= in->count[i++];
    node = in->child[i];
  }
  return Pos{static_cast<Leaf*>(node), static_cast<uint32_t>(rank)};
}

OrderTree::Pos OrderTree::Find(const uint8_t* rec) const {
  double score = RecordScore(rec);
  std::string_view member = RecordMember(rec);
  void* node = root_;
  for (int level = height_; level > 0; --level) {
    node = static_cast<const Inner*>(node)->child[ChildFor(static_cast<const Inner*>(node), score,
                                                           member)];
  }
  Leaf* l = static_cast<Leaf*>(node);
  return Pos{l, LeafLowerBound(l, score, member)};
}

void OrderTree::Refresh(void* node, int level) {
  Inner* in = static_cast<Inner*>(node);
  for (uint32_t i = 0; i < in->n; ++i) {
    if (level - 1 > 0) Refresh(in->child[i], level - 1);
    uint64_t ignored;
    Summarize(in->child[i], level - 1, &ignored, &in->maxrec[i]);
  }
}

// ---- ZSetBig -------------------------------------------------------------------------------

ZSetBig::~ZSetBig() {
  // The arena frees its chunks at once; records too large for a size class were malloc'ed one
  // by one.
  for (OrderTree::Leaf* l = tree_.first_leaf(); l != nullptr; l = l->next) {
    for (uint32_t i = 0; i < l->n; ++i) {
      size_t size = RecordSize(RecordMember(l->rec[i]).size());
      if (size > RecordArena::kMaxClassSize) arena_.Free(l->rec[i], size);
    }
  }
}

size_t ZSetBig::bytes_used() const {
  return sizeof(*this) + arena_.bytes_reserved() + index_.bytes() + tree_.bytes();
}

void ZSetBig::Insert(std::string_view member, double score) {
  uint8_t* rec = arena_.Allocate(RecordSize(member.size()));
  SetRecordScore(rec, score);
  uint8_t* p = entry_layout::PutVarint(rec + 8, member.size());
  if (!member.empty()) memcpy(p, member.data(), member.size());
  index_.Insert(rec, MemberIndex::Hash(member));
  tree_.Insert(rec);
}

void ZSetBig::FreeRecord(uint8_t* rec) {
  arena_.Free(rec, RecordSize(RecordMember(rec).size()));
}

bool ZSetBig::Remove(std::string_view member) {
  uint8_t* rec = index_.Erase(member, MemberIndex::Hash(member));
  if (rec == nullptr) return false;
  tree_.Erase(rec);
  FreeRecord(rec);
  MaybeCompact();
  return true;
}

void ZSetBig::UpdateScore(uint8_t* rec, double score) {
  // Like zslUpdateScore: when the record keeps its place (strictly between its neighbours'
  // scores) only the score changes; otherwise it leaves the order and comes back.
  OrderTree::Pos pos = tree_.Find(rec);
  OrderTree::Pos prev = pos, next = pos;
  prev.Prev();
  next.Next();
  if ((!prev.valid() || RecordScore(prev.get()) < score) &&
      (!next.valid() || RecordScore(next.get()) > score)) {
    SetRecordScore(rec, score);
    return;
  }
  tree_.Erase(rec);
  SetRecordScore(rec, score);
  tree_.Insert(rec);
}

void ZSetBig::EraseRange(size_t start, size_t count) {
  for (size_t k = 0; k < count; ++k) {
    uint8_t* rec = tree_.EraseAt(start);
    index_.Erase(RecordMember(rec), MemberIndex::Hash(RecordMember(rec)));
    FreeRecord(rec);
  }
  MaybeCompact();
}

void ZSetBig::MaybeCompact() {
  // Free arena slots are reused by later inserts; a set that shrank to a quarter of its arena
  // (and holds a noticeable amount) moves its records into a right-sized one.
  size_t reserved = arena_.bytes_reserved();
  if (reserved >= 256 * 1024 && arena_.bytes_live() * 4 < reserved) Compact();
}

void ZSetBig::Compact() {
  RecordArena fresh;
  for (OrderTree::Leaf* l = tree_.first_leaf(); l != nullptr; l = l->next) {
    for (uint32_t i = 0; i < l->n; ++i) {
      uint8_t* old = l->rec[i];
      std::string_view member = RecordMember(old);
      size_t size = RecordSize(member.size());
      uint8_t* rec = fresh.Allocate(size);
      memcpy(rec, old, size);
      index_.Replace(old, rec, MemberIndex::Hash(member));
      l->rec[i] = rec;
      if (size > RecordArena::kMaxClassSize) arena_.Free(old, size);
    }
  }
  tree_.RefreshSummaries();
  // The old chunks (with every old small record) go away with `fresh` at the end of the scope.
  arena_.Swap(fresh);
}

}  // namespace stash::storage::zset
