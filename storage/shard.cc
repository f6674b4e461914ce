#include "storage/shard.h"

#include <algorithm>
#include <cstring>

#include "storage/access_policy.h"
#include "storage/hash.h"

namespace stash::storage {

// The wheel keeps each TTL key's home hint (EntryTable::HomeHint) in its record.
static_assert(EntryTable::kHintBits <= ExpiryWheel::kHintBits);

Entry Shard::Allocate(ValueType type, std::string_view key, uint64_t hash, size_t value_len,
                      int64_t expiry_ms, bool place_in_wheel) {
  size_t size = entry_layout::EntrySize(key.size(), value_len, expiry_ms != kNoExpiry);
  auto* p = static_cast<uint8_t*>(data_.slab.Allocate(size));
  Entry e = Entry::Init(p, type, key, value_len, expiry_ms);
  e.set_meta24(InitialMeta(AccessClockMs()));  // as Redis's createObject stamps a new object
  if (expiry_ms != kNoExpiry) AddExpiry(e, hash, place_in_wheel);
  return e;
}

void Shard::Free(Entry e, bool destroy_object, bool in_wheel) {
  if (e.has_expiry()) DropExpiry(e, in_wheel);
  if (destroy_object && e.type() != ValueType::kString) delete ObjectOf(e);
  data_.slab.Deallocate(e.raw(), e.size());
}

void Shard::AddExpiry(Entry e, uint64_t hash, bool place_in_wheel) {
  ++data_.expires;
  data_.expiry_sum += e.expiry_ms();
  if (!place_in_wheel || !e.has_narrow_expiry()) return;
  if (!data_.wheel) {
    data_.wheel = std::make_unique<ExpiryWheel>(&data_.slab);
    SyncWheelHint();
  }
  data_.wheel->Insert(e, data_.table.HomeHint(hash));
}

void Shard::DropExpiry(Entry e, bool in_wheel) {
  Entry::Ttl ttl = e.ttl();
  --data_.expires;
  data_.expiry_sum -= ttl.expiry_ms;
  if (in_wheel && ttl.narrow) data_.wheel->Remove(e, ttl);
}

void Shard::DeleteExpired(Entry e, uint32_t hint) {
  data_.table.EraseAt(data_.table.FindByHint(e, hint));
  ++expired_keys_;
  // The "expired" event and tracking invalidation, as for lazy expiry (Find, Erase).
  if (observer_ != nullptr || !watchers_.empty()) {
    std::string_view key = e.key();
    if (observer_ != nullptr) observer_->KeyExpired(key);
    Touch(key);  // before Free: key is a view of the entry's own bytes
  }
  Free(e);
}

Entry Shard::Find(std::string_view key, uint64_t hash, int64_t now_ms) {
  size_t slot = data_.table.Find(key, hash);
  if (slot == EntryTable::kNotFound) return Entry();
  Entry e = data_.table.At(slot);
  if (e.ExpiredAt(now_ms)) {
    data_.table.EraseAt(slot);
    ++expired_keys_;
    if (observer_ != nullptr) observer_->KeyExpired(key);
    Touch(key);  // before Free: key may be a view of the entry's own bytes
    Free(e);
    return Entry();
  }
  return e;
}

Entry Shard::Peek(std::string_view key, uint64_t hash, int64_t now_ms) const {
  size_t slot = data_.table.Find(key, hash);
  if (slot == EntryTable::kNotFound) return Entry();
  Entry e = data_.table.At(slot);
  return e.ExpiredAt(now_ms) ? Entry() : e;
}

void Shard::Install(std::string_view key, uint64_t hash, size_t slot, Entry fresh) {
  if (slot == EntryTable::kNotFound) {
    data_.table.Insert(fresh, hash);
    if (observer_ != nullptr) observer_->KeyCreated(key);
    Touch(key);
  } else {
    Entry old = data_.table.At(slot);
    CarryAccess(old, fresh);
    data_.table.Replace(slot, fresh);
    Touch(key);  // before Free: key may be a view of the old entry's bytes
    Free(old);
  }
}

Entry Shard::PutUninitialized(std::string_view key, uint64_t hash, ValueType type,
                              size_t value_len, int64_t expiry_ms) {
  Entry fresh = Allocate(type, key, hash, value_len, expiry_ms);
  size_t slot = data_.table.Find(key, hash);
  Install(key, hash, slot, fresh);
  return fresh;
}

Entry Shard::Put(std::string_view key, uint64_t hash, ValueType type, std::string_view value,
                 int64_t expiry_ms) {
  size_t slot = data_.table.Find(key, hash);
  if (slot != EntryTable::kNotFound) {
    // Overwrite in place when the layout is unchanged: same value length, same expiry shape.
    Entry old = data_.table.At(slot);
    if (old.type() == type && old.value().size() == value.size() &&
        old.has_expiry() == (expiry_ms != kNoExpiry)) {
      // memmove: value may be this very entry's value (a caller rewriting a key with itself).
      memmove(old.value_data(), value.data(), value.size());
      if (expiry_ms != kNoExpiry && old.expiry_ms() != expiry_ms) {
        DropExpiry(old);
        old.set_expiry_in_place(expiry_ms);
        AddExpiry(old, hash);
      }
      old.set_raw_string(false);
      StampAccess(old, AccessClockMs());  // Redis's setKey looks the old value up (a touch)
      Touch(key);
      return old;
    }
  }
  // Copy the value before the old entry is freed: value may point into it (e.g. a caller that
  // re-stores a key's own value with a new expiry), and freeing overwrites the entry's first
  // bytes with the slab free-list link.
  Entry fresh = Allocate(type, key, hash, value.size(), expiry_ms);
  memcpy(fresh.value_data(), value.data(), value.size());
  Install(key, hash, slot, fresh);
  return fresh;
}

Entry Shard::ResizeValue(std::string_view key, uint64_t hash, Entry e, size_t new_len) {
  std::string_view old_value = e.value();
  if (old_value.size() == new_len) {
    Touch(key);
    return e;
  }
  size_t slot = data_.table.FindEntry(e, hash);
  // The fresh copy takes over e's wheel record instead of a remove and an insert.
  Entry fresh = Allocate(e.type(), key, hash, new_len, e.expiry_ms(), /*place_in_wheel=*/false);
  memcpy(fresh.value_data(), old_value.data(), std::min(old_value.size(), new_len));
  fresh.set_raw_string(e.raw_string());
  fresh.set_meta24(e.meta24());
  if (e.has_narrow_expiry()) data_.wheel->Relocate(e, fresh);
  data_.table.Replace(slot, fresh);
  Touch(key);  // before Free: key may be a view of e's bytes
  Free(e, /*destroy_object=*/false, /*in_wheel=*/false);  // the object (if any) moved to fresh
  return fresh;
}

Entry Shard::SetExpiry(std::string_view key, uint64_t hash, Entry e, int64_t expiry_ms) {
  Touch(key);
  if (e.has_expiry() == (expiry_ms != kNoExpiry)) {
    if (expiry_ms != kNoExpiry && e.expiry_ms() != expiry_ms) {
      DropExpiry(e);
      e.set_expiry_in_place(expiry_ms);
      AddExpiry(e, hash);
    }
    return e;
  }
  size_t slot = data_.table.FindEntry(e, hash);
  std::string_view value = e.value();
  Entry fresh = Allocate(e.type(), key, hash, value.size(), expiry_ms);
  memcpy(fresh.value_data(), value.data(), value.size());
  fresh.set_raw_string(e.raw_string());
  fresh.set_meta24(e.meta24());
  data_.table.Replace(slot, fresh);
  Free(e, /*destroy_object=*/false);  // the object (if any) moved to fresh
  return fresh;
}

bool Shard::Erase(std::string_view key, uint64_t hash, int64_t now_ms) {
  size_t slot = data_.table.Find(key, hash);
  if (slot == EntryTable::kNotFound) return false;
  Entry e = data_.table.At(slot);
  bool live = !e.ExpiredAt(now_ms);
  data_.table.EraseAt(slot);
  if (!live) {
    ++expired_keys_;
    if (observer_ != nullptr) observer_->KeyExpired(key);
  }
  Touch(key);  // before Free: key may be a view of the entry's own bytes (eviction, expiry)
  Free(e);
  return live;
}

Entry Shard::PutObject(std::string_view key, uint64_t hash, ValueType type,
                       std::unique_ptr<CollectionValue> object, int64_t expiry_ms) {
  CollectionValue* raw = object.release();
  Entry e = PutUninitialized(key, hash, type, sizeof(raw), expiry_ms);
  memcpy(e.value_data(), &raw, sizeof(raw));
  return e;
}

StoredValue Shard::Take(std::string_view key, uint64_t hash) {
  size_t slot = data_.table.Find(key, hash);
  Entry e = data_.table.At(slot);
  StoredValue v;
  v.type = e.type();
  v.expiry_ms = e.expiry_ms();
  v.raw_string = e.raw_string();
  if (v.type == ValueType::kString) {
    v.bytes.assign(e.value());
  } else {
    v.object.reset(ObjectOf(e));
  }
  data_.table.EraseAt(slot);
  Touch(key);
  Free(e, /*destroy_object=*/false);  // ownership went to v
  return v;
}

Entry Shard::PutValue(std::string_view key, uint64_t hash, StoredValue value) {
  Entry e;
  if (value.type == ValueType::kString) {
    e = Put(key, hash, ValueType::kString, value.bytes, value.expiry_ms);
    e.set_raw_string(value.raw_string);
  } else {
    e = PutObject(key, hash, value.type, std::move(value.object), value.expiry_ms);
  }
  return e;
}

StoredValue Shard::CopyValue(Entry e) {
  StoredValue v;
  v.type = e.type();
  v.expiry_ms = e.expiry_ms();
  v.raw_string = e.raw_string();
  if (v.type == ValueType::kString) {
    v.bytes.assign(e.value());
  } else {
    v.object = ObjectOf(e)->Clone();
  }
  return v;
}

void Shard::Clear() {
  TouchExisting(data_);
  data_.wheel.reset();  // its arrays go back to the slab before the slab's pages go
  data_.table.ForEach([this](Entry e) {
    if (e.type() != ValueType::kString) delete ObjectOf(e);
    size_t size = e.size();
    if (size > SlabAllocator::kMaxSlabSize) data_.slab.Deallocate(e.raw(), size);
  });
  data_.table.Clear();  // its slots are the slab's too
  data_.slab.ReleaseAll();
  SyncWheelHint();
  data_.expires = 0;
  data_.expiry_sum = 0;
}

void Shard::SwapContents(Shard& other) {
  TouchExisting(other.data_);
  other.TouchExisting(data_);
  data_.table.Swap(other.data_.table);
  data_.slab.Swap(other.data_.slab);
  std::swap(data_.wheel, other.data_.wheel);
  // Each wheel's arrays moved with the slab contents into the other shard's allocator.
  if (data_.wheel) data_.wheel->set_allocator(&data_.slab);
  if (other.data_.wheel) other.data_.wheel->set_allocator(&other.data_.slab);
  SyncWheelHint();
  other.SyncWheelHint();
  std::swap(data_.expires, other.data_.expires);
  std::swap(data_.expiry_sum, other.data_.expiry_sum);
}

void Shard::TouchSlow(std::string_view key) {
  auto [first, last] = watchers_.equal_range(std::string(key));
  for (auto it = first; it != last; ++it) it->second->dirty.store(true);
}

void Shard::TouchExisting(const Data& also) {
  // Redis marks a watched key on FLUSHDB/SWAPDB only when it exists in one of the databases.
  for (auto& [key, state] : watchers_) {
    uint64_t hash = HashKey(key);
    if (data_.table.Find(key, hash) != EntryTable::kNotFound ||
        also.table.Find(key, hash) != EntryTable::kNotFound) {
      state->dirty.store(true);
    }
  }
}

void Shard::AddWatch(std::string_view key, std::shared_ptr<WatchState> state) {
  watchers_.emplace(std::string(key), std::move(state));
}

void Shard::RemoveWatch(std::string_view key, const WatchState* state) {
  auto [first, last] = watchers_.equal_range(std::string(key));
  for (auto it = first; it != last; ++it) {
    if (it->second.get() == state) {
      watchers_.erase(it);
      return;
    }
  }
}

// Overwriting a key is an access to it (Redis's setKey does lookupKeyWrite), and under LFU the
// new value keeps the old one's counter (dbOverwrite copies it).
void Shard::CarryAccess(Entry old, Entry fresh) {
  int64_t now = AccessClockMs();
  if (Access().lfu.load(std::memory_order_relaxed)) fresh.set_meta24(old.meta24());
  StampAccess(fresh, now);
}

}  // namespace stash::storage
