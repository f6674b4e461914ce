#include "storage/types/set_value.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "storage/hash.h"
#include "storage/memory_counter.h"

namespace stash::storage {

// ---- SetSlots --------------------------------------------------------------------------------

uint64_t SetSlots::InlineInt(int64_t v) { return (static_cast<uint64_t>(v) << 8) | kInlineInt; }

uint64_t SetSlots::InlineSlot(std::string_view m) {
  int64_t v;
  if (compact::ParseCanonicalInt(m, &v) && FitsInline(v)) return InlineInt(v);
  // A canonical integer outside 56 bits has at least 17 characters, so it never gets here.
  if (m.size() > 7) return 0;
  uint64_t bytes = 0;
  memcpy(&bytes, m.data(), m.size());  // little-endian: byte i lands in bits 8i..8i+7
  return (bytes << 8) | (static_cast<uint64_t>(m.size()) << 4) | kInlineString;
}

std::string_view SetSlots::Decode(uint64_t slot, char* buf) {
  switch (slot & kKindMask) {
    case kInlineInt:
      return {buf, compact::FormatInt(static_cast<int64_t>(slot) >> 8, buf)};
    case kInlineString: {
      size_t len = (slot >> 4) & 0xf;
      uint64_t bytes = slot >> 8;
      memcpy(buf, &bytes, 7);
      return {buf, len};
    }
    default:
      return HeapMember(slot);
  }
}

uint64_t SetSlots::Hash(uint64_t slot) {
  if ((slot & kKindMask) != 0) return compact::Mix64(slot);
  return HashKey(HeapMember(slot));
}

uint64_t SetSlots::NewHeap(std::string_view m, uint64_t hash) {
  size_t header = compact::VarintSize(m.size());
  uint8_t* p = static_cast<uint8_t*>(memory::Malloc(header + m.size()));
  if (p == nullptr) throw std::bad_alloc();
  uint8_t* q = compact::PutVarint(p, m.size());
  if (!m.empty()) memcpy(q, m.data(), m.size());
  return reinterpret_cast<uint64_t>(p) | Tag(hash);
}

void SetSlots::FreeSlot(uint64_t slot) {
  if ((slot & kKindMask) == 0) memory::Free(reinterpret_cast<void*>(slot & kPointerMask));
}

size_t SetSlots::SlotBytes(uint64_t slot) {
  if ((slot & kKindMask) != 0) return 0;
  std::string_view m = HeapMember(slot);
  // malloc's 8-byte header and 16-byte rounding (glibc), with its 32-byte minimum chunk.
  size_t raw = compact::VarintSize(m.size()) + m.size() + 8;
  size_t chunk = (raw + 15) & ~size_t{15};
  return chunk < 32 ? 32 : chunk;
}

// ---- SetValue --------------------------------------------------------------------------------

namespace {

uint8_t WidthFor(int64_t v) {
  if (v >= INT16_MIN && v <= INT16_MAX) return 2;
  if (v >= INT32_MIN && v <= INT32_MAX) return 4;
  return 8;
}

void* Realloc(void* p, size_t n) {
  void* q = memory::Realloc(p, n == 0 ? 1 : n);
  if (q == nullptr) throw std::bad_alloc();
  return q;
}

}  // namespace

std::unique_ptr<SetValue> SetValue::CreateFor(std::string_view first_member) {
  auto set = std::make_unique<SetValue>();
  int64_t v;
  if (!compact::ParseCanonicalInt(first_member, &v)) set->ConvertToTable();
  return set;
}

SetValue::~SetValue() {
  if (intset_) {
    memory::Free(ints_);
  } else {
    table_->ForEach([](uint64_t slot) { SetSlots::FreeSlot(slot); });
    delete table_;
  }
}

std::unique_ptr<CollectionValue> SetValue::Clone() const {
  auto copy = std::make_unique<SetValue>();
  if (intset_) {
    copy->width_ = width_;
    copy->int_count_ = int_count_;
    if (int_count_ > 0) {
      size_t n = static_cast<size_t>(int_count_) * width_;
      copy->ints_ = static_cast<uint8_t*>(Realloc(nullptr, n));
      memcpy(copy->ints_, ints_, n);
    }
    return copy;
  }
  copy->ConvertToTable();
  copy->table_->Reserve(table_->size());
  table_->ForEach([&](uint64_t slot) {
    uint64_t hash = SetSlots::Hash(slot);
    uint64_t fresh = slot;
    if ((slot & SetSlots::kKindMask) == 0) {
      fresh = SetSlots::NewHeap(SetSlots::HeapMember(slot), hash);
    }
    copy->table_->Insert(fresh, hash);
  });
  return copy;
}

size_t SetValue::BytesUsed() const {
  size_t n = sizeof(SetValue);
  if (intset_) return n + static_cast<size_t>(int_count_) * width_;
  n += sizeof(Table) + table_->bytes();
  table_->ForEach([&](uint64_t slot) { n += SetSlots::SlotBytes(slot); });
  return n;
}

int64_t SetValue::IntAt(uint32_t i) const {
  const uint8_t* p = ints_ + static_cast<size_t>(i) * width_;
  switch (width_) {
    case 2: {
      int16_t v;
      memcpy(&v, p, 2);
      return v;
    }
    case 4: {
      int32_t v;
      memcpy(&v, p, 4);
      return v;
    }
    default: {
      int64_t v;
      memcpy(&v, p, 8);
      return v;
    }
  }
}

void SetValue::SetIntAt(uint8_t* data, uint8_t width, uint32_t i, int64_t v) const {
  uint8_t* p = data + static_cast<size_t>(i) * width;
  if (width == 2) {
    int16_t x = static_cast<int16_t>(v);
    memcpy(p, &x, 2);
  } else if (width == 4) {
    int32_t x = static_cast<int32_t>(v);
    memcpy(p, &x, 4);
  } else {
    memcpy(p, &v, 8);
  }
}

bool SetValue::IntSearch(int64_t v, uint32_t* pos) const {
  uint32_t lo = 0, hi = int_count_;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    int64_t x = IntAt(mid);
    if (x == v) {
      *pos = mid;
      return true;
    }
    if (x < v) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  *pos = lo;
  return false;
}

void SetValue::IntAdd(int64_t v, uint32_t pos) {
  size_t n = static_cast<size_t>(int_count_) * width_;
  ints_ = static_cast<uint8_t*>(Realloc(ints_, n + width_));
  size_t at = static_cast<size_t>(pos) * width_;
  memmove(ints_ + at + width_, ints_ + at, n - at);
  SetIntAt(ints_, width_, pos, v);
  ++int_count_;
}

// v needs a wider encoding than every current member, so it is either below all of them or
// above all of them: it goes first or last (Redis's intsetUpgradeAndAdd).
void SetValue::IntUpgradeAndAdd(int64_t v) {
  uint8_t width = WidthFor(v);
  size_t bytes = (static_cast<size_t>(int_count_) + 1) * width;
  uint8_t* data = static_cast<uint8_t*>(Realloc(nullptr, bytes));
  uint32_t offset = v < 0 ? 1 : 0;
  for (uint32_t i = 0; i < int_count_; ++i) SetIntAt(data, width, i + offset, IntAt(i));
  SetIntAt(data, width, v < 0 ? 0 : int_count_, v);
  memory::Free(ints_);
  ints_ = data;
  width_ = width;
  ++int_count_;
}

void SetValue::ConvertToTable() {
  auto table = std::make_unique<Table>();
  if (intset_) {
    table->Reserve(int_count_ + 1);
    char buf[SetSlots::kBufferSize];
    for (uint32_t i = 0; i < int_count_; ++i) {
      int64_t v = IntAt(i);
      uint64_t slot;
      uint64_t hash;
      if (SetSlots::FitsInline(v)) {
        slot = SetSlots::InlineInt(v);
        hash = SetSlots::Hash(slot);
      } else {
        std::string_view m(buf, compact::FormatInt(v, buf));
        hash = HashKey(m);
        slot = SetSlots::NewHeap(m, hash);
      }
      table->Insert(slot, hash);
    }
    memory::Free(ints_);
  }
  table_ = table.release();
  intset_ = false;
  int_count_ = 0;
}

bool SetValue::Contains(std::string_view m) const {
  if (intset_) {
    int64_t v;
    uint32_t pos;
    return compact::ParseCanonicalInt(m, &v) && WidthFor(v) <= width_ && IntSearch(v, &pos);
  }
  uint64_t inline_slot = SetSlots::InlineSlot(m);
  if (inline_slot != 0) {
    return table_->Find(SetSlots::Hash(inline_slot),
                        [&](uint64_t s) { return s == inline_slot; }) != Table::kNotFound;
  }
  uint64_t hash = HashKey(m);
  uint64_t tag = SetSlots::Tag(hash);
  return table_->Find(hash, [&](uint64_t s) {
           return (s & SetSlots::kKindMask) == 0 && (s & ~SetSlots::kPointerMask) == tag &&
                  SetSlots::HeapMember(s) == m;
         }) != Table::kNotFound;
}

bool SetValue::TableAdd(std::string_view m) {
  if (Contains(m)) return false;
  uint64_t slot = SetSlots::InlineSlot(m);
  if (slot != 0) {
    table_->Insert(slot, SetSlots::Hash(slot));
  } else {
    uint64_t hash = HashKey(m);
    table_->Insert(SetSlots::NewHeap(m, hash), hash);
  }
  return true;
}

bool SetValue::Add(std::string_view m, uint64_t max_intset_entries) {
  if (!intset_) return TableAdd(m);
  int64_t v;
  if (!compact::ParseCanonicalInt(m, &v)) {
    ConvertToTable();
    return TableAdd(m);
  }
  if (WidthFor(v) > width_) {
    IntUpgradeAndAdd(v);
  } else {
    uint32_t pos;
    if (IntSearch(v, &pos)) return false;
    IntAdd(v, pos);
  }
  if (max_intset_entries > (uint64_t{1} << 30)) max_intset_entries = uint64_t{1} << 30;
  if (int_count_ > max_intset_entries) ConvertToTable();
  return true;
}

bool SetValue::Remove(std::string_view m) {
  if (intset_) {
    int64_t v;
    uint32_t pos;
    if (!compact::ParseCanonicalInt(m, &v) || WidthFor(v) > width_ || !IntSearch(v, &pos)) {
      return false;
    }
    size_t at = static_cast<size_t>(pos) * width_;
    size_t n = static_cast<size_t>(int_count_) * width_;
    memmove(ints_ + at, ints_ + at + width_, n - at - width_);
    --int_count_;
    if (int_count_ == 0) {
      memory::Free(ints_);
      ints_ = nullptr;
    } else {
      ints_ = static_cast<uint8_t*>(Realloc(ints_, n - width_));
    }
    return true;
  }
  uint64_t inline_slot = SetSlots::InlineSlot(m);
  size_t slot;
  if (inline_slot != 0) {
    slot = table_->Find(SetSlots::Hash(inline_slot), [&](uint64_t s) { return s == inline_slot; });
  } else {
    uint64_t hash = HashKey(m);
    uint64_t tag = SetSlots::Tag(hash);
    slot = table_->Find(hash, [&](uint64_t s) {
      return (s & SetSlots::kKindMask) == 0 && (s & ~SetSlots::kPointerMask) == tag &&
             SetSlots::HeapMember(s) == m;
    });
  }
  if (slot == Table::kNotFound) return false;
  uint64_t value = table_->At(slot);
  table_->EraseAt(slot);
  SetSlots::FreeSlot(value);
  return true;
}

std::string SetValue::RandomMember(uint64_t r) const {
  char buf[SetSlots::kBufferSize];
  if (intset_) {
    std::string_view m(buf, compact::FormatInt(IntAt(static_cast<uint32_t>(r % int_count_)), buf));
    return std::string(m);
  }
  return std::string(SetSlots::Decode(table_->At(table_->SlotNear(r)), buf));
}

std::string SetValue::PopRandom(uint64_t r) {
  std::string m = RandomMember(r);
  Remove(m);
  return m;
}

std::vector<std::string> SetValue::Members() const {
  std::vector<std::string> out;
  out.reserve(size());
  ForEach([&](std::string_view m) { out.emplace_back(m); });
  return out;
}

}  // namespace stash::storage
