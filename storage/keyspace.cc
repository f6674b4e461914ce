#include "storage/keyspace.h"

namespace stash::storage {

Database::Database(int shard_bits) : shard_bits_(shard_bits) {
  size_t n = size_t{1} << shard_bits;
  shards_.reserve(n);
  for (size_t i = 0; i < n; ++i) shards_.push_back(std::make_unique<Shard>(shard_bits));
}

Keyspace::Keyspace(const KeyspaceOptions& options) {
  dbs_.reserve(options.databases);
  for (int i = 0; i < options.databases; ++i) {
    dbs_.push_back(std::make_unique<Database>(options.shard_bits));
  }
}

}  // namespace stash::storage
