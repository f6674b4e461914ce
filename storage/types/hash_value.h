// The hash type. Two encodings, as Redis 7.0 (t_hash.c):
//
// - listpack: one malloc'ed buffer of elements, field, value, field, value, ... in insertion
//   order (which HGETALL shows, as from Redis), no allocation per field. An element is a tag
//   byte and its payload:
//     0x00-0xBF   a string of that many bytes follows
//     0xC1-0xC8   an integer of (tag - 0xC0) bytes follows, little-endian two's complement;
//                 used for canonical integers ("123", "-7"; see compact::ParseCanonicalInt)
//                 when that is shorter than the string
//     0xF0        a varint length and that many bytes follow (strings of 192 bytes or more)
//   Every string has exactly one encoding, so fields are compared by their encoded bytes.
// - hashtable: a CompactTable whose slots point at malloc'ed nodes
//   [varint field length][field][varint value length][value], with 16 bits of the field's hash
//   in the pointer's unused top bits.
//
// A listpack becomes a hashtable (never back) when a field or value longer than
// hash-max-listpack-value is stored, or when it would hold more than hash-max-listpack-entries
// fields; the caller passes both limits in.
#ifndef STASH_STORAGE_TYPES_HASH_VALUE_H_
#define STASH_STORAGE_TYPES_HASH_VALUE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/memory_counter.h"
#include "storage/types/compact_table.h"
#include "storage/value.h"

namespace stash::storage {

// The listpack element format (see above).
namespace listpack {
inline constexpr size_t kMaxHeader = 11;  // tag + 10-byte varint, or tag + 8-byte integer
// Buffer size for decoding an integer element.
inline constexpr size_t kBufferSize = 24;

// The encoding of s: header bytes (written to header, returned length) then s itself unless
// the header is an integer (*payload_too = false).
size_t EncodeHeader(std::string_view s, uint8_t* header, bool* payload_too);
size_t EncodedSize(std::string_view s);
// Reads the element at p: returns the string (integers formatted into buf) and sets *next.
std::string_view Read(const uint8_t* p, char* buf, const uint8_t** next);
const uint8_t* Skip(const uint8_t* p);
}  // namespace listpack

// How a hashtable-encoded hash uses its slots: a node pointer (below 2^48, 16-byte aligned)
// with the low 16 bits of the field's hash in bits 48-63.
struct HashSlots {
  static constexpr uint64_t kPointerMask = (uint64_t{1} << 48) - 1;
  static uint64_t Tag(uint64_t hash) { return (hash & 0xffff) << 48; }
  static const uint8_t* Node(uint64_t slot) {
    return reinterpret_cast<const uint8_t*>(slot & kPointerMask);
  }
  static std::string_view Field(uint64_t slot) {
    uint64_t len;
    const uint8_t* p = compact::GetVarint(Node(slot), &len);
    return {reinterpret_cast<const char*>(p), static_cast<size_t>(len)};
  }
  static std::string_view Value(uint64_t slot) {
    std::string_view f = Field(slot);
    uint64_t len;
    const uint8_t* end = reinterpret_cast<const uint8_t*>(f.data() + f.size());
    const uint8_t* p = compact::GetVarint(end, &len);
    return {reinterpret_cast<const char*>(p), static_cast<size_t>(len)};
  }
  static size_t NodeSize(std::string_view field, std::string_view value) {
    return compact::VarintSize(field.size()) + field.size() + compact::VarintSize(value.size()) +
           value.size();
  }
  static uint64_t Hash(uint64_t slot);
  static uint64_t NewNode(std::string_view field, std::string_view value, uint64_t hash);
  static void FreeSlot(uint64_t slot) { memory::Free(const_cast<uint8_t*>(Node(slot))); }
};

class HashValue final : public CollectionValue {
 public:
  using Table = compact::CompactTable<HashSlots>;
  static constexpr size_t kBufferSize = listpack::kBufferSize;

  struct Limits {
    uint64_t max_listpack_entries = 512;  // hash-max-listpack-entries
    uint64_t max_listpack_value = 64;     // hash-max-listpack-value
  };

  HashValue() : lp_(nullptr) {}
  HashValue(const HashValue&) = delete;
  HashValue& operator=(const HashValue&) = delete;
  ~HashValue() override;

  std::unique_ptr<CollectionValue> Clone() const override;
  size_t BytesUsed() const override;
  const char* Encoding() const override { return is_listpack() ? "listpack" : "hashtable"; }

  bool is_listpack() const { return count_ != kTableMode; }
  size_t size() const { return is_listpack() ? count_ : table_->size(); }

  // The value of field; an integer-encoded value is formatted into buf (kBufferSize bytes).
  bool Get(std::string_view field, char* buf, std::string_view* value) const;
  bool Exists(std::string_view field) const;
  // Sets field to value; true when the field is new. A listpack converts to a hashtable
  // before storing a field or value longer than limits.max_listpack_value (or one that would
  // take the buffer past 1 GB, Redis's listpack safety limit), and after storing when it holds
  // more than limits.max_listpack_entries fields.
  bool Set(std::string_view field, std::string_view value, const Limits& limits);
  // Redis's hashTypeTryConversion: converts a listpack now if any of these strings (the
  // fields and values about to be stored) is longer than limits.max_listpack_value.
  void ConvertForArgs(const std::string_view* args, size_t n, const Limits& limits);
  bool Delete(std::string_view field);

  // Visits every (field, value) in order: insertion order for a listpack, table order for a
  // hashtable. The views are valid only during the call; the hash must not change meanwhile.
  template <typename F>
  void ForEach(F&& f) const {
    if (is_listpack()) {
      char fbuf[kBufferSize], vbuf[kBufferSize];
      const uint8_t* p = lp_;
      const uint8_t* end = lp_ + lp_bytes_;
      while (p < end) {
        std::string_view field = listpack::Read(p, fbuf, &p);
        std::string_view value = listpack::Read(p, vbuf, &p);
        f(field, value);
      }
    } else {
      table_->ForEach([&](uint64_t s) { f(HashSlots::Field(s), HashSlots::Value(s)); });
    }
  }

  // A (field, value) chosen from r; the hash must be non-empty.
  void RandomPair(uint64_t r, std::string* field, std::string* value) const;
  // Every (field, value), in ForEach order.
  std::vector<std::pair<std::string, std::string>> Pairs() const;

  // HSCAN: a listpack is returned whole with cursor 0, as Redis does. A hashtable visits at
  // least `count` fields from `cursor` (a hash position that survives resizing, see
  // CompactTable::Scan) and returns the cursor to resume at, 0 when done.
  template <typename F>
  uint64_t Scan(uint64_t cursor, size_t count, F&& f) const {
    if (is_listpack()) {
      ForEach(f);
      return 0;
    }
    uint64_t next = 0;
    bool done = table_->Scan(cursor, count, &next, [&](uint64_t s) {
      f(HashSlots::Field(s), HashSlots::Value(s));
    });
    return done ? 0 : next;
  }

 private:
  static constexpr uint32_t kTableMode = UINT32_MAX;

  // Offset of field's element in the listpack, or SIZE_MAX.
  size_t ListpackFind(std::string_view field) const;
  size_t TableFind(std::string_view field, uint64_t hash) const;
  // Replaces `old_len` bytes at `at` with the encoding of s.
  void ListpackSplice(size_t at, size_t old_len, std::string_view s);
  void ConvertToTable();

  union {
    uint8_t* lp_;   // listpack: lp_bytes_ bytes of elements, count_ pairs
    Table* table_;  // hashtable
  };
  uint32_t lp_bytes_ = 0;
  uint32_t count_ = 0;  // kTableMode for a hashtable
};

}  // namespace stash::storage

#endif  // STASH_STORAGE_TYPES_HASH_VALUE_H_
