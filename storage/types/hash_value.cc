#include "storage/types/hash_value.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "storage/hash.h"
#include "storage/memory_counter.h"

namespace stash::storage {

// ---- listpack elements -----------------------------------------------------------------------

namespace listpack {
namespace {

constexpr uint8_t kMaxShortString = 0xbf;
constexpr uint8_t kIntBase = 0xc0;  // + number of bytes
constexpr uint8_t kLongString = 0xf0;

// Bytes needed for v as a little-endian two's complement integer.
size_t IntBytes(int64_t v) {
  size_t n = 1;
  while (n < 8) {
    int64_t limit = int64_t{1} << (8 * n - 1);
    if (v >= -limit && v < limit) break;
    ++n;
  }
  return n;
}

// Whether s is stored as an integer, and which.
bool AsInt(std::string_view s, int64_t* v, size_t* nbytes) {
  if (s.size() < 2 || !compact::ParseCanonicalInt(s, v)) return false;
  *nbytes = IntBytes(*v);
  return *nbytes < s.size();  // only when shorter than the string itself
}

}  // namespace

size_t EncodeHeader(std::string_view s, uint8_t* header, bool* payload_too) {
  int64_t v;
  size_t n;
  if (AsInt(s, &v, &n)) {
    header[0] = static_cast<uint8_t>(kIntBase + n);
    uint64_t u = static_cast<uint64_t>(v);
    for (size_t i = 0; i < n; ++i) header[1 + i] = static_cast<uint8_t>(u >> (8 * i));
    *payload_too = false;
    return 1 + n;
  }
  *payload_too = true;
  if (s.size() <= kMaxShortString) {
    header[0] = static_cast<uint8_t>(s.size());
    return 1;
  }
  header[0] = kLongString;
  return 1 + (compact::PutVarint(header + 1, s.size()) - (header + 1));
}

size_t EncodedSize(std::string_view s) {
  uint8_t header[kMaxHeader];
  bool payload_too;
  size_t h = EncodeHeader(s, header, &payload_too);
  return h + (payload_too ? s.size() : 0);
}

std::string_view Read(const uint8_t* p, char* buf, const uint8_t** next) {
  uint8_t tag = p[0];
  if (tag <= kMaxShortString) {
    *next = p + 1 + tag;
    return {reinterpret_cast<const char*>(p + 1), tag};
  }
  if (tag == kLongString) {
    uint64_t len;
    const uint8_t* q = compact::GetVarint(p + 1, &len);
    *next = q + len;
    return {reinterpret_cast<const char*>(q), static_cast<size_t>(len)};
  }
  size_t n = tag - kIntBase;
  uint64_t u = 0;
  for (size_t i = 0; i < n; ++i) u |= static_cast<uint64_t>(p[1 + i]) << (8 * i);
  if (n < 8 && (u >> (8 * n - 1)) & 1) u |= ~uint64_t{0} << (8 * n);  // sign-extend
  *next = p + 1 + n;
  return {buf, compact::FormatInt(static_cast<int64_t>(u), buf)};
}

const uint8_t* Skip(const uint8_t* p) {
  uint8_t tag = p[0];
  if (tag <= kMaxShortString) return p + 1 + tag;
  if (tag == kLongString) {
    uint64_t len;
    const uint8_t* q = compact::GetVarint(p + 1, &len);
    return q + len;
  }
  return p + 1 + (tag - kIntBase);
}

}  // namespace listpack

// ---- HashSlots -------------------------------------------------------------------------------

uint64_t HashSlots::Hash(uint64_t slot) { return HashKey(Field(slot)); }

uint64_t HashSlots::NewNode(std::string_view field, std::string_view value, uint64_t hash) {
  uint8_t* p = static_cast<uint8_t*>(memory::Malloc(NodeSize(field, value)));
  if (p == nullptr) throw std::bad_alloc();
  uint8_t* q = compact::PutVarint(p, field.size());
  if (!field.empty()) memcpy(q, field.data(), field.size());
  q = compact::PutVarint(q + field.size(), value.size());
  if (!value.empty()) memcpy(q, value.data(), value.size());
  return reinterpret_cast<uint64_t>(p) | Tag(hash);
}

// ---- HashValue -------------------------------------------------------------------------------

namespace {

// Redis's LISTPACK_MAX_SAFETY_SIZE: a listpack never grows past 1 GB.
constexpr size_t kMaxListpackBytes = size_t{1} << 30;

void* Realloc(void* p, size_t n) {
  void* q = memory::Realloc(p, n == 0 ? 1 : n);
  if (q == nullptr) throw std::bad_alloc();
  return q;
}

size_t MallocChunk(size_t n) {  // glibc's cost of an n-byte block
  size_t chunk = (n + 8 + 15) & ~size_t{15};
  return chunk < 32 ? 32 : chunk;
}

}  // namespace

HashValue::~HashValue() {
  if (is_listpack()) {
    memory::Free(lp_);
  } else {
    table_->ForEach([](uint64_t s) { HashSlots::FreeSlot(s); });
    delete table_;
  }
}

std::unique_ptr<CollectionValue> HashValue::Clone() const {
  auto copy = std::make_unique<HashValue>();
  if (is_listpack()) {
    if (lp_bytes_ > 0) {
      copy->lp_ = static_cast<uint8_t*>(Realloc(nullptr, lp_bytes_));
      memcpy(copy->lp_, lp_, lp_bytes_);
    }
    copy->lp_bytes_ = lp_bytes_;
    copy->count_ = count_;
    return copy;
  }
  copy->ConvertToTable();
  copy->table_->Reserve(table_->size());
  table_->ForEach([&](uint64_t s) {
    uint64_t hash = HashSlots::Hash(s);
    copy->table_->Insert(HashSlots::NewNode(HashSlots::Field(s), HashSlots::Value(s), hash), hash);
  });
  return copy;
}

size_t HashValue::BytesUsed() const {
  size_t n = sizeof(HashValue);
  if (is_listpack()) return n + (lp_bytes_ > 0 ? MallocChunk(lp_bytes_) : 0);
  n += sizeof(Table) + table_->bytes();
  table_->ForEach([&](uint64_t s) {
    n += MallocChunk(HashSlots::NodeSize(HashSlots::Field(s), HashSlots::Value(s)));
  });
  return n;
}

size_t HashValue::ListpackFind(std::string_view field) const {
  uint8_t header[listpack::kMaxHeader];
  bool payload_too;
  size_t hlen = listpack::EncodeHeader(field, header, &payload_too);
  const uint8_t* p = lp_;
  const uint8_t* end = lp_ + lp_bytes_;
  while (p < end) {
    // Equal tags mean equal header lengths (the varint after 0xF0 is prefix-free), so the
    // comparison never reads past this element.
    if (p[0] == header[0] && memcmp(p, header, hlen) == 0 &&
        (!payload_too || field.empty() || memcmp(p + hlen, field.data(), field.size()) == 0)) {
      return static_cast<size_t>(p - lp_);
    }
    p = listpack::Skip(listpack::Skip(p));
  }
  return SIZE_MAX;
}

size_t HashValue::TableFind(std::string_view field, uint64_t hash) const {
  uint64_t tag = HashSlots::Tag(hash);
  return table_->Find(hash, [&](uint64_t s) {
    return (s & ~HashSlots::kPointerMask) == tag && HashSlots::Field(s) == field;
  });
}

bool HashValue::Get(std::string_view field, char* buf, std::string_view* value) const {
  if (is_listpack()) {
    size_t at = ListpackFind(field);
    if (at == SIZE_MAX) return false;
    const uint8_t* v = listpack::Skip(lp_ + at);
    const uint8_t* next;
    *value = listpack::Read(v, buf, &next);
    return true;
  }
  size_t slot = TableFind(field, HashKey(field));
  if (slot == Table::kNotFound) return false;
  *value = HashSlots::Value(table_->At(slot));
  return true;
}

bool HashValue::Exists(std::string_view field) const {
  if (is_listpack()) return ListpackFind(field) != SIZE_MAX;
  return TableFind(field, HashKey(field)) != Table::kNotFound;
}

void HashValue::ListpackSplice(size_t at, size_t old_len, std::string_view s) {
  uint8_t header[listpack::kMaxHeader];
  bool payload_too;
  size_t hlen = listpack::EncodeHeader(s, header, &payload_too);
  size_t new_len = hlen + (payload_too ? s.size() : 0);
  size_t tail = lp_bytes_ - at - old_len;
  size_t total = lp_bytes_ - old_len + new_len;
  if (new_len > old_len) lp_ = static_cast<uint8_t*>(Realloc(lp_, total));
  memmove(lp_ + at + new_len, lp_ + at + old_len, tail);
  if (new_len < old_len) lp_ = static_cast<uint8_t*>(Realloc(lp_, total));
  memcpy(lp_ + at, header, hlen);
  if (payload_too && !s.empty()) memcpy(lp_ + at + hlen, s.data(), s.size());
  lp_bytes_ = static_cast<uint32_t>(total);
}

void HashValue::ConvertForArgs(const std::string_view* args, size_t n, const Limits& limits) {
  if (!is_listpack()) return;
  size_t sum = 0;
  for (size_t i = 0; i < n; ++i) {
    if (args[i].size() > limits.max_listpack_value) {
      ConvertToTable();
      return;
    }
    sum += args[i].size();
  }
  // Redis's lpSafeToAdd: the listpack must stay below its safety size.
  if (lp_bytes_ + sum > kMaxListpackBytes) ConvertToTable();
}

bool HashValue::Set(std::string_view field, std::string_view value, const Limits& limits) {
  if (is_listpack()) {
    // Redis's hashTypeSet converts before storing a field or value too long for a listpack
    // (HINCRBY and HINCRBYFLOAT rely on this; HSET has converted already).
    if (field.size() > limits.max_listpack_value || value.size() > limits.max_listpack_value ||
        lp_bytes_ + field.size() + value.size() + 2 * listpack::kMaxHeader > kMaxListpackBytes) {
      ConvertToTable();
    }
  }
  if (is_listpack()) {
    size_t at = ListpackFind(field);
    if (at != SIZE_MAX) {
      size_t v = listpack::Skip(lp_ + at) - lp_;
      size_t old_len = listpack::Skip(lp_ + v) - (lp_ + v);
      ListpackSplice(v, old_len, value);
      return false;
    }
    ListpackSplice(lp_bytes_, 0, field);
    ListpackSplice(lp_bytes_, 0, value);
    ++count_;
    if (count_ > limits.max_listpack_entries) ConvertToTable();
    return true;
  }
  uint64_t hash = HashKey(field);
  size_t slot = TableFind(field, hash);
  if (slot == Table::kNotFound) {
    table_->Insert(HashSlots::NewNode(field, value, hash), hash);
    return true;
  }
  uint64_t old = table_->At(slot);
  std::string_view old_value = HashSlots::Value(old);
  if (old_value.size() == value.size()) {
    // Same length: the node keeps its size, overwrite the value in place.
    if (!value.empty()) memcpy(const_cast<char*>(old_value.data()), value.data(), value.size());
    return false;
  }
  table_->Replace(slot, HashSlots::NewNode(field, value, hash));
  HashSlots::FreeSlot(old);
  return false;
}

bool HashValue::Delete(std::string_view field) {
  if (is_listpack()) {
    size_t at = ListpackFind(field);
    if (at == SIZE_MAX) return false;
    size_t end = listpack::Skip(listpack::Skip(lp_ + at)) - lp_;
    memmove(lp_ + at, lp_ + end, lp_bytes_ - end);
    lp_bytes_ -= static_cast<uint32_t>(end - at);
    --count_;
    if (lp_bytes_ == 0) {
      memory::Free(lp_);
      lp_ = nullptr;
    } else {
      lp_ = static_cast<uint8_t*>(Realloc(lp_, lp_bytes_));
    }
    return true;
  }
  size_t slot = TableFind(field, HashKey(field));
  if (slot == Table::kNotFound) return false;
  uint64_t s = table_->At(slot);
  table_->EraseAt(slot);
  HashSlots::FreeSlot(s);
  return true;
}

void HashValue::ConvertToTable() {
  auto table = std::make_unique<Table>();
  if (is_listpack()) {
    table->Reserve(count_ + 1);
    ForEach([&](std::string_view field, std::string_view value) {
      uint64_t hash = HashKey(field);
      table->Insert(HashSlots::NewNode(field, value, hash), hash);
    });
    memory::Free(lp_);
  }
  table_ = table.release();
  lp_bytes_ = 0;
  count_ = kTableMode;
}

void HashValue::RandomPair(uint64_t r, std::string* field, std::string* value) const {
  if (is_listpack()) {
    size_t index = r % count_;
    const uint8_t* p = lp_;
    for (size_t i = 0; i < index; ++i) p = listpack::Skip(listpack::Skip(p));
    char buf[kBufferSize];
    field->assign(listpack::Read(p, buf, &p));
    value->assign(listpack::Read(p, buf, &p));
    return;
  }
  uint64_t s = table_->At(table_->SlotNear(r));
  field->assign(HashSlots::Field(s));
  value->assign(HashSlots::Value(s));
}

std::vector<std::pair<std::string, std::string>> HashValue::Pairs() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(size());
  ForEach([&](std::string_view f, std::string_view v) { out.emplace_back(f, v); });
  return out;
}

}  // namespace stash::storage
