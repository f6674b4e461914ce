// The per-key record: one allocation holding header, key and (for strings) the value inline.
//
//   byte 0      type (bits 0-2) | has-expiry (bit 3) | raw-string hint (bit 4)
//               | expiry-wheel level (bits 5-7, meaningful only with has-expiry)
//   bytes 1-3   24 bits reserved for eviction metadata (LRU clock or LFU counter)
//   varint      key length
//   varint      value length
//   [10 bytes]  the TTL extension, present only when has-expiry is set:
//                 bytes 0-5  absolute expiry in unix ms, 48-bit unsigned, below 2^46 (year 4199)
//                 bytes 6-9  index of the entry in its expiry-wheel bucket (see expiry_wheel.h)
//               or, for a "wide" expiry outside [0, 2^46) (Redis accepts PEXPIREAT k
//               9000000000000000000 and reports it back exactly), marked by bits 46-47 of the
//               48-bit field both set (byte 5 = 0xc0):
//                 bytes 0-3  low half of the int64 expiry, bytes 6-9 its high half
//               Wide expiries lie thousands of years away: such keys are never in the wheel
//               (lazy expiry still applies to them).
//   key bytes, value bytes
//
// A 16-byte key with a 24-byte value is 46 bytes (48 in its slab class); a TTL adds 10 (56, the
// next class: 4 bytes of wheel position cost no slab space there). Multi-byte fields are read
// with memcpy, so entries need no alignment.
#ifndef STASH_STORAGE_ENTRY_H_
#define STASH_STORAGE_ENTRY_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace stash::storage {

enum class ValueType : uint8_t { kString = 0, kList = 1, kSet = 2, kZSet = 3, kHash = 4 };

inline constexpr int64_t kNoExpiry = -1;

// The LRU clock kept in an entry's meta24 under the LRU policies: wall time in units of
// kLruClockResolutionMs, modulo 2^24. Redis's LRU_CLOCK() counts seconds; at 100k writes a second
// a whole second of keys then share one stamp and sampling cannot tell the oldest of them from
// the newest. 64 ms units keep an order among them; the price is that the clock wraps after
// 2^24 * 64 ms = ~12.4 days instead of ~194 days, so a key idle for longer than that looks
// recently used (Redis has the same blind spot, just later). OBJECT IDLETIME still answers in
// seconds. Stamping (LRU clock or LFU counter, by policy) is storage::StampAccess in
// access_policy.h; nothing else should write meta24.
inline constexpr uint32_t kLruClockMax = (1u << 24) - 1;
inline constexpr int64_t kLruClockResolutionMs = 64;
inline uint32_t LruClock(int64_t now_ms) {
  return static_cast<uint32_t>(now_ms / kLruClockResolutionMs) & kLruClockMax;
}
// Milliseconds since an entry stamped `lru` was used, as Redis's estimateObjectIdleTime. A stamp
// slightly ahead of now_ms (stamped from another clock read a moment later) is idle 0, not a
// wrapped clock.
inline int64_t LruIdleMs(uint32_t lru, int64_t now_ms) {
  uint32_t clock = LruClock(now_ms);
  if (lru > clock && lru - clock < (1u << 20)) return 0;
  uint32_t units = clock >= lru ? clock - lru : clock + (kLruClockMax - lru);
  return static_cast<int64_t>(units) * kLruClockResolutionMs;
}

namespace entry_layout {
inline constexpr uint8_t kTypeMask = 0x07;
inline constexpr uint8_t kHasExpiry = 0x08;
inline constexpr uint8_t kRawString = 0x10;
inline constexpr int kLevelShift = 5;
inline constexpr uint8_t kLevelMask = 0xe0;
inline constexpr size_t kFixedHeader = 4;
inline constexpr size_t kExpirySize = 10;
// Expiries in [0, kMaxNarrowExpiry) are stored in 48 bits; others are "wide". The bound keeps
// every narrow expiry within the expiry wheel's range (expiry_wheel.h).
inline constexpr int64_t kMaxNarrowExpiry = int64_t{1} << 46;
inline constexpr uint8_t kWideMarker = 0xc0;  // byte 5 of the extension of a wide expiry

inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
inline uint8_t* PutVarint(uint8_t* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<uint8_t>(v);
  return p;
}
inline const uint8_t* GetVarint(const uint8_t* p, uint64_t* v) {
  uint64_t result = 0;
  int shift = 0;
  while (*p & 0x80) {
    result |= static_cast<uint64_t>(*p++ & 0x7f) << shift;
    shift += 7;
  }
  result |= static_cast<uint64_t>(*p++) << shift;
  *v = result;
  return p;
}
inline size_t EntrySize(size_t key_len, size_t value_len, bool has_expiry) {
  return kFixedHeader + VarintSize(key_len) + VarintSize(value_len) +
         (has_expiry ? kExpirySize : 0) +
         key_len + value_len;
}
}  // namespace entry_layout

// A non-owning view of an entry. Cheap to copy; invalid once the entry is freed or relocated.
class Entry {
 public:
  Entry() = default;
  explicit Entry(uint8_t* p) : p_(p) {}

  explicit operator bool() const { return p_ != nullptr; }
  uint8_t* raw() const { return p_; }

  ValueType type() const { return static_cast<ValueType>(p_[0] & entry_layout::kTypeMask); }
  bool has_expiry() const { return p_[0] & entry_layout::kHasExpiry; }
  bool raw_string() const { return p_[0] & entry_layout::kRawString; }
  void set_raw_string(bool yes) {
    p_[0] = yes ? (p_[0] | entry_layout::kRawString) : (p_[0] & ~entry_layout::kRawString);
  }

  uint32_t meta24() const { return p_[1] | (p_[2] << 8) | (p_[3] << 16); }
  void set_meta24(uint32_t v) {
    p_[1] = v & 0xff;
    p_[2] = (v >> 8) & 0xff;
    p_[3] = (v >> 16) & 0xff;
  }

  // Levels 0-6 are the expiry wheel's levels; kDueLevel its list of due (or not yet sorted)
  // entries. Meaningful only for an entry with a narrow expiry.
  static constexpr int kDueLevel = 7;

  int64_t expiry_ms() const {
    if (!has_expiry()) return kNoExpiry;
    const uint8_t* q = ExpiryPtr();
    if (q[5] == entry_layout::kWideMarker) {
      uint32_t lo, hi;
      memcpy(&lo, q, 4);
      memcpy(&hi, q + 6, 4);
      return static_cast<int64_t>((static_cast<uint64_t>(hi) << 32) | lo);
    }
    uint64_t v = 0;
    memcpy(&v, q, 6);  // little-endian, as every target of this code
    return static_cast<int64_t>(v);
  }
  // True when the entry has an expiry that belongs in the expiry wheel (a narrow one).
  bool has_narrow_expiry() const {
    return has_expiry() && ExpiryPtr()[5] != entry_layout::kWideMarker;
  }
  // Rewrites the expiry of an entry that has one (the extension's size does not change). The
  // caller keeps the expiry wheel in step (Shard does).
  void set_expiry_in_place(int64_t ms) { WriteExpiry(ExpiryPtr(), ms); }
  bool ExpiredAt(int64_t now_ms) const { return has_expiry() && expiry_ms() <= now_ms; }
  static bool IsWide(int64_t ms) { return ms < 0 || ms >= entry_layout::kMaxNarrowExpiry; }

  int wheel_level() const { return p_[0] >> entry_layout::kLevelShift; }
  void set_wheel_level(int level) {
    p_[0] = static_cast<uint8_t>((p_[0] & ~entry_layout::kLevelMask) |
                                 (level << entry_layout::kLevelShift));
  }
  // The TTL extension read once (an entry with an expiry): what freeing an entry with a TTL
  // needs, without decoding the header again for each field.
  struct Ttl {
    int64_t expiry_ms;
    bool narrow;  // has_narrow_expiry()
    uint32_t wheel_pos;
  };
  Ttl ttl() const {
    const uint8_t* q = ExpiryPtr();
    uint32_t pos;
    memcpy(&pos, q + 6, 4);
    if (q[5] == entry_layout::kWideMarker) {
      uint32_t lo;
      memcpy(&lo, q, 4);
      return {static_cast<int64_t>((static_cast<uint64_t>(pos) << 32) | lo), false, 0};
    }
    uint64_t v = 0;
    memcpy(&v, q, 6);
    return {static_cast<int64_t>(v), true, pos};
  }
  uint32_t wheel_pos() const {
    uint32_t v;
    memcpy(&v, ExpiryPtr() + 6, 4);
    return v;
  }
  void set_wheel_pos(uint32_t pos) { memcpy(ExpiryPtr() + 6, &pos, 4); }

  std::string_view key() const {
    Fields f = Decode();
    return {reinterpret_cast<const char*>(f.key), f.key_len};
  }
  std::string_view value() const {
    Fields f = Decode();
    return {reinterpret_cast<const char*>(f.key + f.key_len), f.value_len};
  }
  char* value_data() const {
    Fields f = Decode();
    return reinterpret_cast<char*>(f.key + f.key_len);
  }
  size_t size() const {
    Fields f = Decode();
    return (f.key - p_) + f.key_len + f.value_len;
  }

  // Writes a header for a new entry at p (sized by EntrySize) and returns the entry.
  static Entry Init(uint8_t* p, ValueType type, std::string_view key, size_t value_len,
                    int64_t expiry_ms) {
    bool has_expiry = expiry_ms != kNoExpiry;
    p[0] = static_cast<uint8_t>(type) | (has_expiry ? entry_layout::kHasExpiry : 0);
    p[1] = p[2] = p[3] = 0;
    uint8_t* q = entry_layout::PutVarint(p + entry_layout::kFixedHeader, key.size());
    q = entry_layout::PutVarint(q, value_len);
    if (has_expiry) {
      Entry(p).WriteExpiry(q, expiry_ms);
      q += entry_layout::kExpirySize;
    }
    memcpy(q, key.data(), key.size());
    return Entry(p);
  }

 private:
  struct Fields {
    uint8_t* key;
    size_t key_len;
    size_t value_len;
  };
  Fields Decode() const {
    uint64_t klen, vlen;
    const uint8_t* q = entry_layout::GetVarint(p_ + entry_layout::kFixedHeader, &klen);
    q = entry_layout::GetVarint(q, &vlen);
    if (has_expiry()) q += entry_layout::kExpirySize;
    return {const_cast<uint8_t*>(q), static_cast<size_t>(klen), static_cast<size_t>(vlen)};
  }
  uint8_t* ExpiryPtr() const {
    uint64_t ignored;
    const uint8_t* q = entry_layout::GetVarint(p_ + entry_layout::kFixedHeader, &ignored);
    q = entry_layout::GetVarint(q, &ignored);
    return const_cast<uint8_t*>(q);
  }
  // Writes ms at q (the TTL extension). A narrow expiry starts on the wheel's due list at
  // position 0 until the wheel places the entry.
  void WriteExpiry(uint8_t* q, int64_t ms) {
    if (IsWide(ms)) {
      uint64_t v = static_cast<uint64_t>(ms);
      uint32_t lo = static_cast<uint32_t>(v), hi = static_cast<uint32_t>(v >> 32);
      memcpy(q, &lo, 4);
      q[4] = 0;
      q[5] = entry_layout::kWideMarker;
      memcpy(q + 6, &hi, 4);
      set_wheel_level(0);
    } else {
      uint64_t v = static_cast<uint64_t>(ms);
      memcpy(q, &v, 6);
      memset(q + 6, 0, 4);
      set_wheel_level(kDueLevel);
    }
  }

  uint8_t* p_ = nullptr;
};

}  // namespace stash::storage

#endif  // STASH_STORAGE_ENTRY_H_
