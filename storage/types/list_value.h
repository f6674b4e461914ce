// The list value: a quicklist-like deque of compact nodes, as Redis 7.0's quicklist of
// listpacks. Each node is one contiguous buffer holding several elements back to back (no
// allocation per element), sized by list-max-listpack-size: a negative fill caps a node's bytes
// (-1 = 4 KiB ... -5 = 64 KiB, -2 = 8 KiB by default), a positive one its element count (with
// the same 8 KiB safety cap Redis applies). An element larger than the cap gets a node alone.
//
// Element encoding (a listpack without the back-length byte, which is what makes it smaller):
//   0xxxxxxx                      integer 0..127 (1 byte)
//   10llllll <bytes>              string of 0..63 bytes
//   110vvvvv vvvvvvvv             13-bit signed integer
//   0xE0 <varint len> <bytes>     longer string
//   0xF0..0xF3 <2/3/4/8 bytes>    16/24/32/64-bit signed integer, little endian
// Only strings that are the canonical decimal form of an int64 (what Redis's string2ll accepts
// and ll2string prints back identically) are stored as integers, so every element reads back
// byte for byte.
//
// Nodes keep spare room at either end of their buffer, so pushes and pops at both ends of the
// list are O(1) amortized: a head pop just advances the node's begin offset. Without back
// lengths, finding the last element of a node means walking it, so the tail node's element
// offsets are cached once it is walked (RPOP streams then cost O(1) each).
//
// Pop/Push are the storage-level operations LPOP/RPOP/LMOVE use (and blocking pops can use).
// Not thread-safe: the owning shard's lock guards it.
#ifndef STASH_STORAGE_TYPES_LIST_VALUE_H_
#define STASH_STORAGE_TYPES_LIST_VALUE_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/types/compact_table.h"
#include "storage/value.h"

namespace stash::storage {

namespace listcodec {

// True (with *v) when s is exactly how an int64 prints in decimal: optional '-', no '+', no
// leading zeros, no "-0", within range.
inline bool CanonicalInt(std::string_view s, int64_t* v) {
  if (s.empty() || s.size() > 20) return false;
  size_t i = 0;
  bool negative = s[0] == '-';
  if (negative && s.size() == 1) return false;
  if (negative) i = 1;
  if (s[i] == '0') {
    // Only "0" itself: "00", "01" and "-0" print back differently.
    if (s.size() != 1) return false;
    *v = 0;
    return true;
  }
  uint64_t acc = 0;
  for (; i < s.size(); ++i) {
    unsigned d = static_cast<unsigned char>(s[i]) - '0';
    if (d > 9) return false;
    if (acc > (UINT64_MAX - d) / 10) return false;
    acc = acc * 10 + d;
  }
  if (negative) {
    if (acc > uint64_t{1} << 63) return false;
    *v = static_cast<int64_t>(0 - acc);
  } else {
    if (acc > static_cast<uint64_t>(INT64_MAX)) return false;
    *v = static_cast<int64_t>(acc);
  }
  return true;
}

// Writes the decimal form of v into buf (at least 21 bytes); returns its length.
inline size_t FormatInt(char* buf, int64_t v) { return compact::FormatInt(v, buf); }

// Encoded sizes: of a varint (the entry layout's), and of an integer element.
using entry_layout::VarintSize;

inline size_t IntSize(int64_t v) {
  if (v >= 0 && v <= 127) return 1;
  if (v >= -4096 && v <= 4095) return 2;
  if (v >= INT16_MIN && v <= INT16_MAX) return 3;
  if (v >= -(1 << 23) && v < (1 << 23)) return 4;
  if (v >= INT32_MIN && v <= INT32_MAX) return 5;
  return 9;
}

// A decoded element: either a string (str, len) or an integer (ival).
struct Item {
  const char* str;
  size_t len;
  int64_t ival;
  bool is_int;
  size_t size;  // encoded bytes
};

inline Item Decode(const uint8_t* p) {
  uint8_t h = p[0];
  if (h < 0x80) return {nullptr, 0, h, true, 1};
  if (h < 0xC0) return {reinterpret_cast<const char*>(p + 1), size_t{h & 0x3Fu}, 0, false,
                        1 + size_t{h & 0x3Fu}};
  if (h < 0xE0) {
    int64_t v = (int64_t{h & 0x1F} << 8) | p[1];
    if (v & 0x1000) v -= 0x2000;
    return {nullptr, 0, v, true, 2};
  }
  if (h == 0xE0) {
    uint64_t len = 0;
    int shift = 0;
    const uint8_t* q = p + 1;
    while (*q & 0x80) {
      len |= uint64_t{*q++ & 0x7Fu} << shift;
      shift += 7;
    }
    len |= uint64_t{*q++} << shift;
    size_t header = static_cast<size_t>(q - p);
    return {reinterpret_cast<const char*>(q), static_cast<size_t>(len), 0, false,
            header + static_cast<size_t>(len)};
  }
  // 0xF0..0xF3: 2, 3, 4 or 8 little-endian bytes, sign-extended.
  static constexpr int kBytes[4] = {2, 3, 4, 8};
  int n = kBytes[h & 3];
  uint64_t u = 0;
  for (int i = n - 1; i >= 0; --i) u = (u << 8) | p[1 + i];
  if (n < 8 && (u >> (n * 8 - 1)) & 1) u |= ~uint64_t{0} << (n * 8);
  return {nullptr, 0, static_cast<int64_t>(u), true, 1 + static_cast<size_t>(n)};
}

// The element's bytes as a string; integers are printed into buf (21 bytes).
inline std::string_view View(const Item& it, char* buf) {
  if (!it.is_int) return {it.str, it.len};
  return {buf, FormatInt(buf, it.ival)};
}

}  // namespace listcodec

// A value encoded once, ready to be written into a node.
class EncodedElement {
 public:
  explicit EncodedElement(std::string_view v);
  size_t size() const { return size_; }
  void WriteTo(uint8_t* p) const;

 private:
  std::string_view str_;
  int64_t ival_ = 0;
  bool is_int_ = false;
  size_t size_ = 0;
};

inline EncodedElement::EncodedElement(std::string_view v) : str_(v) {
  if (listcodec::CanonicalInt(v, &ival_)) {
    is_int_ = true;
    size_ = listcodec::IntSize(ival_);
  } else if (v.size() < 64) {
    size_ = 1 + v.size();
  } else {
    size_ = 1 + listcodec::VarintSize(v.size()) + v.size();
  }
}

inline void EncodedElement::WriteTo(uint8_t* p) const {
  if (!is_int_) {
    if (str_.size() < 64) {
      *p++ = static_cast<uint8_t>(0x80 | str_.size());
    } else {
      *p++ = 0xE0;
      uint64_t len = str_.size();
      while (len >= 0x80) {
        *p++ = static_cast<uint8_t>(len | 0x80);
        len >>= 7;
      }
      *p++ = static_cast<uint8_t>(len);
    }
    if (!str_.empty()) memcpy(p, str_.data(), str_.size());
    return;
  }
  int64_t v = ival_;
  switch (size_) {
    case 1:
      p[0] = static_cast<uint8_t>(v);
      return;
    case 2: {
      uint64_t u = static_cast<uint64_t>(v) & 0x1FFF;
      p[0] = static_cast<uint8_t>(0xC0 | (u >> 8));
      p[1] = static_cast<uint8_t>(u & 0xFF);
      return;
    }
    default: {
      int n = static_cast<int>(size_) - 1;  // 2, 3, 4 or 8
      p[0] = static_cast<uint8_t>(0xF0 | (n == 2 ? 0 : n == 3 ? 1 : n == 4 ? 2 : 3));
      uint64_t u = static_cast<uint64_t>(v);
      for (int i = 0; i < n; ++i) p[1 + i] = static_cast<uint8_t>(u >> (8 * i));
      return;
    }
  }
}

// Compares elements with one argument (LREM, LINSERT) without decoding them to text: a
// canonical integer argument can only equal integer-encoded elements and vice versa.
class ElementMatcher {
 public:
  explicit ElementMatcher(std::string_view v) : str_(v) {
    is_int_ = listcodec::CanonicalInt(v, &ival_);
  }
  bool Matches(const listcodec::Item& it) const {
    if (it.is_int) return is_int_ && it.ival == ival_;
    return !is_int_ && it.len == str_.size() && memcmp(it.str, str_.data(), it.len) == 0;
  }

 private:
  std::string_view str_;
  int64_t ival_ = 0;
  bool is_int_ = false;
};

struct ListNode {
  uint8_t* buf = nullptr;
  size_t cap = 0;
  size_t begin = 0;  // first byte of the first element
  size_t end = 0;    // one past the last element
  size_t count = 0;
  size_t used() const { return end - begin; }
};

class ListValue final : public CollectionValue {
 public:
  enum class End { kHead, kTail };

  // fill is list-max-listpack-size; Redis clamps it to -5..32767 the same way.
  explicit ListValue(int fill = -2);
  ~ListValue() override;
  ListValue(const ListValue&) = delete;
  ListValue& operator=(const ListValue&) = delete;

  std::unique_ptr<CollectionValue> Clone() const override;
  size_t BytesUsed() const override;
  const char* Encoding() const override { return "quicklist"; }

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  size_t node_count() const { return nsize_; }

  void Push(End end, std::string_view value);
  // Removes the element at `end` into *out; false when the list is empty.
  bool Pop(End end, std::string* out);

  // Redis's index convention: negative counts from the tail (-1 is the last element).
  bool Get(int64_t index, std::string* out) const;
  // LSET: false when the index is out of range.
  bool Set(int64_t index, std::string_view value);
  // LINSERT: inserts before/after the first element equal to pivot (from the head); false when
  // there is none.
  bool Insert(std::string_view pivot, std::string_view value, bool after);
  // LREM: removes up to |count| elements equal to value, from the head when count > 0, from the
  // tail when count < 0, all of them when 0. Returns how many were removed.
  size_t Remove(std::string_view value, int64_t count);
  // Removes n elements from one end (LTRIM, pops with a count).
  void Erase(End end, size_t n);

  // Calls f(std::string_view) for elements [start, start + n) in order, or from start + n - 1
  // down to start when reverse; stops early when f returns false. REQUIRES start + n <= size().
  template <typename F>
  void Visit(size_t start, size_t n, bool reverse, F&& f) const;

 private:
  struct Pos {
    size_t node;
    size_t off;  // byte offset of the element in the node's buffer
    size_t idx;  // index of the element within its node
  };

  ListNode& N(size_t i) { return nodes_[(nhead_ + i) & (ncap_ - 1)]; }
  const ListNode& N(size_t i) const { return nodes_[(nhead_ + i) & (ncap_ - 1)]; }
  size_t MaxBytes() const;
  size_t MaxCount() const;
  bool Allows(const ListNode& n, size_t esize) const {
    return n.count == 0 || (n.used() + esize <= MaxBytes() && n.count < MaxCount());
  }
  // Element i of the list (i < size()).
  Pos Locate(size_t i) const;
  static size_t OffsetOf(const ListNode& n, size_t idx);
  // Offsets of elements [0, upto] of node n.
  static void Offsets(const ListNode& n, size_t upto, std::vector<size_t>* out);

  // Inserts an empty node at ring position pos; returns it.
  ListNode& InsertNode(size_t pos);
  void EraseNode(size_t pos);
  // Space inside node ni. These may move its contents (and then drop the tail cache).
  // Room for `need` bytes before the first element (front) or after the last.
  void RoomAtEdge(size_t ni, size_t need, bool front);
  // Opens `need` bytes at offset off; returns where the gap starts afterwards.
  size_t MakeGap(size_t ni, size_t off, size_t need);
  // Moves the contents into a new buffer of new_cap bytes with front_slack bytes before them
  // and a gap of `gap` bytes (counted as contents) opened at old offset gap_off.
  void Relocate(size_t ni, size_t new_cap, size_t gap_off, size_t gap, size_t front_slack);
  // How much of a node's spare room goes before its contents.
  size_t FrontSlackShare(size_t ni, size_t slack) const;
  void MaybeShrink(size_t ni);

  void PushToNode(size_t ni, const EncodedElement& e, bool front);
  void NewNodeWith(size_t at, const EncodedElement& e);
  void InsertAt(Pos pos, const EncodedElement& e);
  // Removes the element at *pos, leaving pos->off where an element inserted at the same index
  // goes. Leaves an emptied node in place.
  void RemoveAt(Pos* pos);
  size_t RemoveInNode(size_t ni, const ElementMatcher& m, size_t quota, bool from_tail);
  size_t NewNodeCapacity(size_t esize) const;
  void ClearTailCache();
  // Keeps the cache within the tail node's count after removals at its front.
  void TrimTailCache();

  ListNode* nodes_ = nullptr;  // ring buffer of ncap_ (a power of two) slots
  ListNode first_node_;        // the ring while it has a single slot
  uint32_t ncap_ = 0;
  uint32_t nhead_ = 0;
  uint32_t nsize_ = 0;
  int32_t fill_;
  size_t count_ = 0;
  // Offsets of the last tail_->size() elements of the tail node (never more than it holds), in
  // order; null or empty when not known. Valid while the tail node's contents do not move.
  std::unique_ptr<std::vector<uint32_t>> tail_;
};

template <typename F>
void ListValue::Visit(size_t start, size_t n, bool reverse, F&& f) const {
  if (n == 0) return;
  char buf[24];
  if (!reverse) {
    Pos p = Locate(start);
    size_t ni = p.node;
    size_t off = p.off;
    while (n > 0) {
      const ListNode& node = N(ni);
      if (off == node.end) {
        off = N(++ni).begin;
        continue;
      }
      listcodec::Item it = listcodec::Decode(node.buf + off);
      if (!f(listcodec::View(it, buf))) return;
      off += it.size;
      --n;
    }
    return;
  }
  Pos p = Locate(start + n - 1);
  size_t ni = p.node;
  size_t upto = p.idx;
  std::vector<size_t> offs;
  while (true) {
    const ListNode& node = N(ni);
    Offsets(node, upto, &offs);
    for (size_t i = offs.size(); i-- > 0;) {
      listcodec::Item it = listcodec::Decode(node.buf + offs[i]);
      if (!f(listcodec::View(it, buf))) return;
      if (--n == 0) return;
    }
    --ni;
    upto = N(ni).count - 1;
  }
}

}  // namespace stash::storage

#endif  // STASH_STORAGE_TYPES_LIST_VALUE_H_
