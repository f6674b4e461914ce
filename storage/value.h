// Values of the collection types (hash, list, set, sorted set). They live in an object of their
// own; the entry's 8-byte value is a pointer to it, owned by the entry: freeing the entry
// deletes the object (Shard::Free). Strings stay inline in the entry.
//
// A command changes a collection in place through the pointer and then calls Shard::Touch(key)
// so WATCH sees it; a collection that becomes empty is deleted with Shard::Erase, as Redis
// deletes empty collections.
#ifndef STASH_STORAGE_VALUE_H_
#define STASH_STORAGE_VALUE_H_

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>

#include "storage/entry.h"

namespace stash::storage {

class CollectionValue {
 public:
  virtual ~CollectionValue() = default;
  // A deep copy (COPY).
  virtual std::unique_ptr<CollectionValue> Clone() const = 0;
  // Bytes held by the value's own allocations (MEMORY USAGE, used_memory).
  virtual size_t BytesUsed() const = 0;
  // OBJECT ENCODING's answer, as Redis 7.0 names its encodings ("listpack", "hashtable", ...).
  virtual const char* Encoding() const = 0;
};

inline CollectionValue* ObjectOf(Entry e) {
  CollectionValue* p;
  memcpy(&p, e.value_data(), sizeof(p));
  return p;
}

template <typename T>
T* ObjectAs(Entry e) {
  return static_cast<T*>(ObjectOf(e));
}

// A value detached from its key: what RENAME and MOVE carry from one key to another, and what
// COPY duplicates.
struct StoredValue {
  ValueType type = ValueType::kString;
  std::string bytes;                         // strings
  std::unique_ptr<CollectionValue> object;   // collections
  int64_t expiry_ms = kNoExpiry;
  bool raw_string = false;
};

}  // namespace stash::storage

#endif  // STASH_STORAGE_VALUE_H_
