// Key hashing. One XXH3 hash per key decides everything: the top bits pick the shard, the rest
// (shifted up) place the key in the shard's table, and the low 12 bits are a tag kept beside the
// entry pointer so most probes never touch the entry.
#ifndef STASH_STORAGE_HASH_H_
#define STASH_STORAGE_HASH_H_

#include <cstdint>
#include <string_view>

// Inline, not a call into libxxhash: every command hashes its keys, and keys are short, so the
// call and the library's length dispatch were a good part of the hash's cost.
#ifndef XXH_INLINE_ALL
#define XXH_INLINE_ALL
#endif
#include <xxhash.h>

namespace stash::storage {

inline uint64_t HashKey(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

}  // namespace stash::storage

#endif  // STASH_STORAGE_HASH_H_
