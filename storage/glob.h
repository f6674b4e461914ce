// Glob-style pattern matching with the exact semantics of Redis's stringmatchlen (KEYS, SCAN
// MATCH, CONFIG GET, PSUBSCRIBE): '*', '?', '[abc]', '[^a]', '[a-z]', and '\' escapes.
#ifndef STASH_STORAGE_GLOB_H_
#define STASH_STORAGE_GLOB_H_

#include <string_view>

namespace stash::storage {

bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase = false);

// True when the pattern matches every string, so callers can skip matching (Redis special-cases
// a lone "*" this way, which is also the only way it matches the empty key).
inline bool GlobMatchesAll(std::string_view pattern) { return pattern == "*"; }

}  // namespace stash::storage

#endif  // STASH_STORAGE_GLOB_H_
