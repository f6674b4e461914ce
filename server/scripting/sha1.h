// SHA-1 as hex, the name EVALSHA and SCRIPT LOAD give a script (and redis.sha1hex computes).
#ifndef STASH_SERVER_SCRIPTING_SHA1_H_
#define STASH_SERVER_SCRIPTING_SHA1_H_

#include <string>
#include <string_view>

namespace stash::server::scripting {

// 40 lower-case hex digits.
std::string Sha1Hex(std::string_view data);

}  // namespace stash::server::scripting

#endif  // STASH_SERVER_SCRIPTING_SHA1_H_
