// Cache keys: prefix:namespace:identifier, or prefix:namespace:identifier:hash8 when the value
// depends on parameters. hash8 is 8 hex digits of XXH3 over the parameters sorted by name, so
// the same parameters in any order name the same key.
#ifndef STASH_CLIENT_KEYS_H_
#define STASH_CLIENT_KEYS_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stash {

using KeyParams = std::vector<std::pair<std::string, std::string>>;

// 8 lowercase hex digits identifying params (order-insensitive). Names and values are hashed
// length-prefixed, so ("a","bc") and ("ab","c") differ.
std::string ParamsHash(KeyParams params);

std::string BuildKey(std::string_view prefix, std::string_view ns, std::string_view identifier,
                     const KeyParams& params = {});

// The namespace part of a key built by BuildKey with this prefix, or empty.
std::string_view NamespaceOf(std::string_view prefix, std::string_view key);

// The SCAN MATCH pattern for every key of namespace ns (glob characters in ns escaped).
std::string NamespacePattern(std::string_view prefix, std::string_view ns);

// Escapes * ? [ ] \ so that s matches only itself in a glob.
std::string GlobEscape(std::string_view s);

}  // namespace stash

#endif  // STASH_CLIENT_KEYS_H_
