// How Redis reads option arguments: as C strings, which end at the first NUL byte, compared
// with strcasecmp. One definition for every command family.
#ifndef STASH_SERVER_COMMANDS_OPTION_H_
#define STASH_SERVER_COMMANDS_OPTION_H_

#include <cctype>
#include <string_view>

namespace stash::server {

// What C string functions see of an argument: Redis formats some errors with "%s" and compares
// option names with strcasecmp, both of which stop at the first NUL byte.
inline std::string_view CStr(std::string_view s) { return s.substr(0, s.find('\0')); }

// strcasecmp() == 0 on two whole byte strings.
inline bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (tolower(static_cast<unsigned char>(a[i])) != tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Whether an argument names an option, as !strcasecmp(argv[j]->ptr, name) decides it.
inline bool IsOption(std::string_view arg, std::string_view name) {
  return EqualsNoCase(CStr(arg), name);
}

}  // namespace stash::server

#endif  // STASH_SERVER_COMMANDS_OPTION_H_
