// The keyspace engine: `databases` logical databases, each split into 2^shard_bits shards by the
// top bits of the key's hash. Usable without any server code (the client library embeds it).
//
// Locking is the caller's: take a shard's mutex before touching it, and when taking several,
// take them in (database, shard) order. Database::ShardOf tells which shard a key lives in.
#ifndef STASH_STORAGE_KEYSPACE_H_
#define STASH_STORAGE_KEYSPACE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "storage/hash.h"
#include "storage/shard.h"

namespace stash::storage {

struct KeyspaceOptions {
  int databases = 16;
  // 64 shards per database: enough that 16 worker threads rarely meet on one lock, small
  // enough that a 64-bit mask describes any multi-key command's shard set.
  int shard_bits = 6;
};

class Database {
 public:
  explicit Database(int shard_bits);

  size_t shard_count() const { return shards_.size(); }
  int shard_bits() const { return shard_bits_; }
  size_t ShardOf(uint64_t hash) const {
    return shard_bits_ == 0 ? 0 : static_cast<size_t>(hash >> (64 - shard_bits_));
  }
  Shard& shard(size_t i) { return *shards_[i]; }
  // Installs observer on every shard (see KeyObserver). Set before any concurrent use.
  void set_observer(KeyObserver* observer) {
    for (auto& s : shards_) s->set_observer(observer);
  }

  // SCAN cursors are positions in hash space: the shard is the top bits, the rest is the
  // shard-local cursor (see EntryTable::Scan for why that survives resizing).
  size_t CursorShard(uint64_t cursor) const { return ShardOf(cursor); }
  uint64_t CursorLocal(uint64_t cursor) const {
    return shard_bits_ == 0 ? cursor : cursor << shard_bits_;
  }
  uint64_t MakeCursor(size_t shard, uint64_t local) const {
    if (shard_bits_ == 0) return local;
    return (static_cast<uint64_t>(shard) << (64 - shard_bits_)) | (local >> shard_bits_);
  }

 private:
  int shard_bits_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

class Keyspace {
 public:
  explicit Keyspace(const KeyspaceOptions& options = {});

  int database_count() const { return static_cast<int>(dbs_.size()); }
  Database& db(int index) { return *dbs_[index]; }

 private:
  std::vector<std::unique_ptr<Database>> dbs_;
};

}  // namespace stash::storage

#endif  // STASH_STORAGE_KEYSPACE_H_
