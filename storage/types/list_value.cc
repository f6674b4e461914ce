#include "storage/types/list_value.h"

#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <new>

#include "storage/memory_counter.h"

namespace stash::storage {

namespace {

// Allocates at least `want` bytes; *cap receives what malloc really gave (its usable size), so
// the rounding glibc does anyway becomes spare room.
uint8_t* AllocBuffer(size_t want, size_t* cap) {
  if (want == 0) want = 1;
  void* p = memory::Malloc(want);
  if (p == nullptr) throw std::bad_alloc();
  *cap = malloc_usable_size(p);
  return static_cast<uint8_t*>(p);
}

// A tail node holding more than this many elements gets its offsets cached by the first RPOP
// (walking it for every pop would cost O(node)); smaller ones are simply walked.
constexpr size_t kTailCacheMinCount = 16;
constexpr size_t kMinNodeBytes = 16;

}  // namespace

// ---- Construction ------------------------------------------------------------------------

ListValue::ListValue(int fill) {
  // quicklistSetFill: FILL_MAX is 32767, and fills below -5 act as -5.
  fill_ = std::clamp(fill, -5, 32767);
}

ListValue::~ListValue() {
  for (size_t i = 0; i < nsize_; ++i) memory::Free(N(i).buf);
  if (nodes_ != &first_node_) delete[] nodes_;
}

std::unique_ptr<CollectionValue> ListValue::Clone() const {
  auto copy = std::make_unique<ListValue>(fill_);
  for (size_t i = 0; i < nsize_; ++i) {
    const ListNode& src = N(i);
    ListNode& dst = copy->InsertNode(i);
    dst.buf = AllocBuffer(src.used(), &dst.cap);
    memcpy(dst.buf, src.buf + src.begin, src.used());
    dst.begin = 0;
    dst.end = src.used();
    dst.count = src.count;
  }
  copy->count_ = count_;
  return copy;
}

size_t ListValue::BytesUsed() const {
  size_t ring = nodes_ == &first_node_ ? 0 : size_t{ncap_} * sizeof(ListNode);
  size_t bytes = sizeof(*this) + ring +
                 (tail_ ? sizeof(*tail_) + tail_->capacity() * sizeof(uint32_t) : 0);
  for (size_t i = 0; i < nsize_; ++i) bytes += N(i).cap;
  return bytes;
}

size_t ListValue::MaxBytes() const {
  // Redis's optimization_level: -1 = 4 KiB ... -5 = 64 KiB; count limits keep the 8 KiB
  // SIZE_SAFETY_LIMIT.
  return fill_ < 0 ? size_t{4096} << (-fill_ - 1) : 8192;
}

size_t ListValue::MaxCount() const {
  return fill_ < 0 ? SIZE_MAX : static_cast<size_t>(std::max(fill_, 1));
}

size_t ListValue::NewNodeCapacity(size_t esize) const {
  // A list that already fills a node will most likely fill the next one too: give it the whole
  // node at once rather than growing it step by step.
  if (fill_ < 0 && nsize_ > 0) return std::max(MaxBytes(), esize);
  return std::max(esize, kMinNodeBytes);
}

// ---- The node ring -----------------------------------------------------------------------

ListNode& ListValue::InsertNode(size_t pos) {
  if (ncap_ == 0) {
    // Most lists need a single node: it lives inside the object, no ring allocation.
    nodes_ = &first_node_;
    ncap_ = 1;
  } else if (nsize_ == ncap_) {
    uint32_t cap = ncap_ * 2;
    ListNode* fresh = new ListNode[cap];
    for (size_t i = 0; i < pos; ++i) fresh[i] = N(i);
    for (size_t i = pos; i < nsize_; ++i) fresh[i + 1] = N(i);
    if (nodes_ != &first_node_) delete[] nodes_;
    nodes_ = fresh;
    ncap_ = cap;
    nhead_ = 0;
  } else if (pos < nsize_ / 2) {
    nhead_ = (nhead_ - 1) & (ncap_ - 1);
    for (size_t i = 0; i < pos; ++i) N(i) = N(i + 1);
  } else {
    for (size_t i = nsize_; i > pos; --i) N(i) = N(i - 1);
  }
  ++nsize_;
  N(pos) = ListNode{};
  return N(pos);
}

void ListValue::EraseNode(size_t pos) {
  if (pos == nsize_ - 1) ClearTailCache();
  memory::Free(N(pos).buf);
  if (pos < nsize_ / 2) {
    for (size_t i = pos; i > 0; --i) N(i) = N(i - 1);
    nhead_ = (nhead_ + 1) & (ncap_ - 1);
  } else {
    for (size_t i = pos; i + 1 < nsize_; ++i) N(i) = N(i + 1);
  }
  --nsize_;
  if (ncap_ > 8 && nsize_ < ncap_ / 4) {
    uint32_t cap = ncap_ / 2;
    ListNode* fresh = new ListNode[cap];
    for (size_t i = 0; i < nsize_; ++i) fresh[i] = N(i);
    delete[] nodes_;
    nodes_ = fresh;
    ncap_ = cap;
    nhead_ = 0;
  }
}

void ListValue::ClearTailCache() {
  tail_.reset();
}

void ListValue::TrimTailCache() {
  // After removals at the front of a lone node the cache may name elements that are gone.
  size_t count = N(nsize_ - 1).count;
  if (tail_ && tail_->size() > count) {
    tail_->erase(tail_->begin(), tail_->end() - static_cast<ptrdiff_t>(count));
  }
}

// ---- Room inside a node ------------------------------------------------------------------

size_t ListValue::FrontSlackShare(size_t ni, size_t slack) const {
  // The head node of a longer list grows at its front (LPUSH), the tail node and middle nodes
  // at their back; a lone node at both ends.
  if (nsize_ == 1) return slack / 2;
  return ni == 0 ? slack : 0;
}

void ListValue::Relocate(size_t ni, size_t new_cap, size_t gap_off, size_t gap,
                         size_t front_slack) {
  ListNode& n = N(ni);
  size_t cap;
  uint8_t* fresh = AllocBuffer(new_cap, &cap);
  size_t left = gap_off - n.begin;
  size_t right = n.end - gap_off;
  memcpy(fresh + front_slack, n.buf + n.begin, left);
  memcpy(fresh + front_slack + left + gap, n.buf + gap_off, right);
  memory::Free(n.buf);
  n.buf = fresh;
  n.cap = cap;
  n.begin = front_slack;
  n.end = front_slack + left + gap + right;
  if (ni == nsize_ - 1) ClearTailCache();
}

// The capacity a node needs to hold `want` bytes, growing by a quarter at a time up to the node
// size limit (or exactly `want` for an element bigger than that). Only a list's first node
// grows this way (later ones get the whole node at once), so the steps stay few while small
// lists waste little.
static size_t GrownCapacity(size_t cap, size_t want, size_t limit) {
  size_t grown = std::max({want, cap + cap / 4, kMinNodeBytes});
  return std::min(grown, std::max(limit, want));
}

void ListValue::RoomAtEdge(size_t ni, size_t need, bool front) {
  ListNode& n = N(ni);
  if (front ? n.begin >= need : n.cap - n.end >= need) return;
  size_t used = n.used();
  size_t want = used + need;
  size_t cap = n.cap;
  // Moving the contents inside the buffer only pays when that leaves a fair amount of room;
  // otherwise grow (unless the node is already as big as it may get).
  if (want + want / 4 > cap) cap = std::max(cap, GrownCapacity(cap, want, MaxBytes()));
  size_t slack = cap - used;
  size_t front_slack = FrontSlackShare(ni, slack);
  if (front) {
    front_slack = std::max(front_slack, need);
  } else {
    front_slack = std::min(front_slack, slack - need);
  }
  Relocate(ni, cap, n.end, 0, front_slack);
}

size_t ListValue::MakeGap(size_t ni, size_t off, size_t need) {
  ListNode& n = N(ni);
  if (ni == nsize_ - 1) ClearTailCache();
  bool back_room = n.cap - n.end >= need;
  bool front_room = n.begin >= need;
  if (back_room && (!front_room || n.end - off <= off - n.begin)) {
    memmove(n.buf + off + need, n.buf + off, n.end - off);
    n.end += need;
    return off;
  }
  if (front_room) {
    memmove(n.buf + n.begin - need, n.buf + n.begin, off - n.begin);
    n.begin -= need;
    return off - need;
  }
  size_t used = n.used();
  size_t cap = std::max(n.cap, GrownCapacity(n.cap, used + need, MaxBytes()));
  size_t front_slack = FrontSlackShare(ni, cap - used - need);
  size_t left = off - n.begin;
  Relocate(ni, cap, off, need, front_slack);
  return front_slack + left;
}

void ListValue::MaybeShrink(size_t ni) {
  ListNode& n = N(ni);
  size_t used = n.used();
  if (n.cap <= 128 || used * 4 >= n.cap) return;
  size_t cap = std::max(used * 2, kMinNodeBytes);
  Relocate(ni, cap, n.end, 0, FrontSlackShare(ni, cap - used));
}

// ---- Positions ---------------------------------------------------------------------------

size_t ListValue::OffsetOf(const ListNode& n, size_t idx) {
  size_t off = n.begin;
  for (size_t i = 0; i < idx; ++i) off += listcodec::Decode(n.buf + off).size;
  return off;
}

void ListValue::Offsets(const ListNode& n, size_t upto, std::vector<size_t>* out) {
  out->clear();
  size_t off = n.begin;
  for (size_t i = 0; i <= upto; ++i) {
    out->push_back(off);
    off += listcodec::Decode(n.buf + off).size;
  }
}

ListValue::Pos ListValue::Locate(size_t i) const {
  size_t ni;
  if (i < count_ / 2) {
    ni = 0;
    while (i >= N(ni).count) {
      i -= N(ni).count;
      ++ni;
    }
  } else {
    size_t from_tail = count_ - 1 - i;  // 0 for the last element
    ni = nsize_ - 1;
    while (from_tail >= N(ni).count) {
      from_tail -= N(ni).count;
      --ni;
    }
    i = N(ni).count - 1 - from_tail;
  }
  const ListNode& n = N(ni);
  size_t distance = n.count - i;  // 1 for the node's last element
  if (ni == nsize_ - 1 && tail_ && distance <= tail_->size()) {
    return {ni, (*tail_)[tail_->size() - distance], i};
  }
  return {ni, OffsetOf(n, i), i};
}

// ---- Push and pop ------------------------------------------------------------------------

void ListValue::PushToNode(size_t ni, const EncodedElement& e, bool front) {
  RoomAtEdge(ni, e.size(), front);
  ListNode& n = N(ni);
  if (front) {
    n.begin -= e.size();
    e.WriteTo(n.buf + n.begin);
  } else {
    if (ni == nsize_ - 1 && tail_) tail_->push_back(static_cast<uint32_t>(n.end));
    e.WriteTo(n.buf + n.end);
    n.end += e.size();
  }
  ++n.count;
  ++count_;
}

void ListValue::Push(End end, std::string_view value) {
  EncodedElement e(value);
  bool front = end == End::kHead;
  if (nsize_ == 0 || !Allows(front ? N(0) : N(nsize_ - 1), e.size())) {
    size_t cap = NewNodeCapacity(e.size());
    if (!front) ClearTailCache();  // a new tail node
    ListNode& n = InsertNode(front ? 0 : nsize_);
    n.buf = AllocBuffer(cap, &n.cap);
    n.begin = n.end = front ? n.cap : 0;
  }
  PushToNode(front ? 0 : nsize_ - 1, e, front);
}

bool ListValue::Pop(End end, std::string* out) {
  if (count_ == 0) return false;
  char buf[24];
  if (end == End::kHead) {
    ListNode& n = N(0);
    listcodec::Item it = listcodec::Decode(n.buf + n.begin);
    out->assign(listcodec::View(it, buf));
    n.begin += it.size;
    --n.count;
    --count_;
    if (n.count == 0) {
      EraseNode(0);
    } else {
      TrimTailCache();
      MaybeShrink(0);
    }
    return true;
  }
  size_t ni = nsize_ - 1;
  ListNode& n = N(ni);
  size_t off;
  if (n.count == 1) {
    off = n.begin;
  } else if (tail_ && !tail_->empty()) {
    off = tail_->back();
  } else if (n.count > kTailCacheMinCount && n.cap <= UINT32_MAX) {
    size_t o = n.begin;
    if (!tail_) tail_ = std::make_unique<std::vector<uint32_t>>();
    tail_->reserve(n.count);
    for (size_t i = 0; i < n.count; ++i) {
      tail_->push_back(static_cast<uint32_t>(o));
      o += listcodec::Decode(n.buf + o).size;
    }
    off = tail_->back();
  } else {
    off = OffsetOf(n, n.count - 1);
  }
  listcodec::Item it = listcodec::Decode(n.buf + off);
  out->assign(listcodec::View(it, buf));
  n.end = off;
  if (tail_ && !tail_->empty()) tail_->pop_back();
  --n.count;
  --count_;
  if (n.count == 0) {
    EraseNode(ni);
  } else {
    MaybeShrink(ni);
  }
  return true;
}

void ListValue::Erase(End end, size_t k) {
  k = std::min(k, count_);
  if (end == End::kHead) {
    while (k > 0) {
      ListNode& n = N(0);
      if (n.count <= k) {
        k -= n.count;
        count_ -= n.count;
        EraseNode(0);
        continue;
      }
      n.begin = OffsetOf(n, k);
      n.count -= k;
      count_ -= k;
      k = 0;
      TrimTailCache();
      MaybeShrink(0);
    }
    return;
  }
  while (k > 0) {
    size_t ni = nsize_ - 1;
    ListNode& n = N(ni);
    if (n.count <= k) {
      k -= n.count;
      count_ -= n.count;
      EraseNode(ni);
      continue;
    }
    n.end = Locate(count_ - k).off;
    if (tail_ && tail_->size() >= k) {
      tail_->resize(tail_->size() - k);
    } else {
      ClearTailCache();
    }
    n.count -= k;
    count_ -= k;
    k = 0;
    MaybeShrink(ni);
  }
}

// ---- Random access and edits in the middle -----------------------------------------------

static bool NormalizeIndex(int64_t index, size_t count, size_t* out) {
  if (index < 0) {
    uint64_t back = 0 - static_cast<uint64_t>(index);  // |index|, INT64_MIN included
    if (back > count) return false;
    *out = count - back;
    return true;
  }
  if (static_cast<uint64_t>(index) >= count) return false;
  *out = static_cast<size_t>(index);
  return true;
}

bool ListValue::Get(int64_t index, std::string* out) const {
  size_t i;
  if (!NormalizeIndex(index, count_, &i)) return false;
  Pos p = Locate(i);
  char buf[24];
  out->assign(listcodec::View(listcodec::Decode(N(p.node).buf + p.off), buf));
  return true;
}

void ListValue::RemoveAt(Pos* pos) {
  size_t ni = pos->node;
  ListNode& n = N(ni);
  if (ni == nsize_ - 1) ClearTailCache();
  size_t s = listcodec::Decode(n.buf + pos->off).size;
  if (n.end - pos->off - s <= pos->off - n.begin) {
    memmove(n.buf + pos->off, n.buf + pos->off + s, n.end - pos->off - s);
    n.end -= s;
  } else {
    memmove(n.buf + n.begin + s, n.buf + n.begin, pos->off - n.begin);
    n.begin += s;
    pos->off += s;
  }
  --n.count;
  --count_;
}

void ListValue::NewNodeWith(size_t at, const EncodedElement& e) {
  if (at == nsize_) ClearTailCache();  // a new tail node
  ListNode& n = InsertNode(at);
  n.buf = AllocBuffer(e.size(), &n.cap);
  e.WriteTo(n.buf);
  n.end = e.size();
  n.count = 1;
  ++count_;
}

void ListValue::InsertAt(Pos pos, const EncodedElement& e) {
  size_t ni = pos.node;
  size_t s = e.size();
  if (Allows(N(ni), s)) {
    size_t off = MakeGap(ni, pos.off, s);
    e.WriteTo(N(ni).buf + off);
    ++N(ni).count;
    ++count_;
    return;
  }
  // The node is full: as quicklist's _quicklistInsert, try the neighbour at that edge, else a
  // new node there, else split the node at the insertion point.
  bool at_tail = pos.idx == N(ni).count;
  bool at_head = pos.idx == 0;
  if (at_tail && ni + 1 < nsize_ && Allows(N(ni + 1), s)) return PushToNode(ni + 1, e, true);
  if (at_head && ni > 0 && Allows(N(ni - 1), s)) return PushToNode(ni - 1, e, false);
  if (at_tail) return NewNodeWith(ni + 1, e);
  if (at_head) return NewNodeWith(ni, e);
  size_t right_bytes = N(ni).end - pos.off;
  size_t right_count = N(ni).count - pos.idx;
  ClearTailCache();
  ListNode& right = InsertNode(ni + 1);
  ListNode& left = N(ni);
  right.buf = AllocBuffer(right_bytes + s, &right.cap);
  right.begin = s;  // room for the new element, should it go there
  memcpy(right.buf + right.begin, left.buf + pos.off, right_bytes);
  right.end = right.begin + right_bytes;
  right.count = right_count;
  left.end = pos.off;
  left.count = pos.idx;
  if (Allows(left, s)) return PushToNode(ni, e, false);
  if (Allows(right, s)) return PushToNode(ni + 1, e, true);
  NewNodeWith(ni + 1, e);
}

bool ListValue::Set(int64_t index, std::string_view value) {
  size_t i;
  if (!NormalizeIndex(index, count_, &i)) return false;
  Pos p = Locate(i);
  EncodedElement e(value);
  ListNode& n = N(p.node);
  if (listcodec::Decode(n.buf + p.off).size == e.size()) {
    e.WriteTo(n.buf + p.off);
    return true;
  }
  RemoveAt(&p);
  InsertAt(p, e);
  return true;
}

bool ListValue::Insert(std::string_view pivot, std::string_view value, bool after) {
  ElementMatcher m(pivot);
  for (size_t ni = 0; ni < nsize_; ++ni) {
    const ListNode& n = N(ni);
    size_t off = n.begin;
    for (size_t idx = 0; idx < n.count; ++idx) {
      listcodec::Item it = listcodec::Decode(n.buf + off);
      if (m.Matches(it)) {
        Pos p = after ? Pos{ni, off + it.size, idx + 1} : Pos{ni, off, idx};
        InsertAt(p, EncodedElement(value));
        return true;
      }
      off += it.size;
    }
  }
  return false;
}

size_t ListValue::RemoveInNode(size_t ni, const ElementMatcher& m, size_t quota,
                               bool from_tail) {
  ListNode& n = N(ni);
  size_t removed = 0;
  size_t w = n.begin;
  if (!from_tail) {
    size_t r = n.begin;
    while (r < n.end) {
      listcodec::Item it = listcodec::Decode(n.buf + r);
      if (m.Matches(it)) {
        ++removed;
        r += it.size;
        if (removed == quota) break;
        continue;
      }
      if (w != r) memmove(n.buf + w, n.buf + r, it.size);
      w += it.size;
      r += it.size;
    }
    if (removed == 0) return 0;
    if (w != r) memmove(n.buf + w, n.buf + r, n.end - r);
    n.end = w + (n.end - r);
  } else {
    std::vector<size_t> offs;
    Offsets(n, n.count - 1, &offs);
    std::vector<bool> drop(offs.size(), false);
    for (size_t i = offs.size(); i-- > 0 && removed < quota;) {
      if (m.Matches(listcodec::Decode(n.buf + offs[i]))) {
        drop[i] = true;
        ++removed;
      }
    }
    if (removed == 0) return 0;
    for (size_t i = 0; i < offs.size(); ++i) {
      size_t size = (i + 1 < offs.size() ? offs[i + 1] : n.end) - offs[i];
      if (drop[i]) continue;
      if (w != offs[i]) memmove(n.buf + w, n.buf + offs[i], size);
      w += size;
    }
    n.end = w;
  }
  if (ni == nsize_ - 1) ClearTailCache();
  n.count -= removed;
  count_ -= removed;
  return removed;
}

size_t ListValue::Remove(std::string_view value, int64_t count) {
  ElementMatcher m(value);
  size_t quota = count == 0 ? SIZE_MAX
                            : static_cast<size_t>(count < 0 ? 0 - static_cast<uint64_t>(count)
                                                            : static_cast<uint64_t>(count));
  size_t removed = 0;
  if (count >= 0) {
    size_t ni = 0;
    while (ni < nsize_ && removed < quota) {
      removed += RemoveInNode(ni, m, quota - removed, false);
      if (N(ni).count == 0) {
        EraseNode(ni);
      } else {
        MaybeShrink(ni);
        ++ni;
      }
    }
  } else {
    for (size_t ni = nsize_; ni-- > 0 && removed < quota;) {
      removed += RemoveInNode(ni, m, quota - removed, true);
      if (N(ni).count == 0) {
        EraseNode(ni);
      } else {
        MaybeShrink(ni);
      }
    }
  }
  return removed;
}

}  // namespace stash::storage
