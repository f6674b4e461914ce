// Key hashing. One XXH3 hash per key decides everything: the top bits pick the shard, the rest
// (shifted up) place the key in the shard's table, and the low 16 bits are a tag kept beside the
// entry pointer so most probes never touch the entry.
#ifndef STASH_STORAGE_HASH_H_
#define STASH_STORAGE_HASH_H_

#include <cstdint>
#include <string_view>

namespace stash::storage {

uint64_t HashKey(std::string_view key);

}  // namespace stash::storage

#endif  // STASH_STORAGE_HASH_H_
