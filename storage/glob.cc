#include "storage/glob.h"

#include <cctype>
#include <cstddef>

namespace stash::storage {
namespace {

char Fold(char c, bool nocase) {
  return nocase ? static_cast<char>(tolower(static_cast<unsigned char>(c))) : c;
}

// Matches the single-character token at pattern[p] against c. Sets *next to the index after the
// token. Mirrors stringmatchlen's handling of unterminated classes and trailing backslashes.
bool MatchToken(std::string_view pat, size_t p, char c, bool nocase, size_t* next) {
  const size_t n = pat.size();
  switch (pat[p]) {
    case '?':
      *next = p + 1;
      return true;
    case '[': {
      ++p;
      bool negate = p < n && pat[p] == '^';
      if (negate) ++p;
      bool match = false;
      while (true) {
        if (p < n && pat[p] == '\\' && n - p >= 2) {
          ++p;
          // stringmatchlen compares an escaped class member exactly, even with nocase.
          if (pat[p] == c) match = true;
        } else if (p < n && pat[p] == ']') {
          break;
        } else if (p >= n) {
          --p;  // an unterminated class ends at the pattern's last character
          break;
        } else if (n - p >= 3 && pat[p + 1] == '-') {
          // Redis compares plain (signed) chars here; so do we, for identical results.
          int start = pat[p], end = pat[p + 2], ch = c;
          if (start > end) std::swap(start, end);
          if (nocase) {
            start = tolower(start);
            end = tolower(end);
            ch = tolower(ch);
          }
          p += 2;
          if (ch >= start && ch <= end) match = true;
        } else if (Fold(pat[p], nocase) == Fold(c, nocase)) {
          match = true;
        }
        ++p;
      }
      *next = p + 1;
      return negate ? !match : match;
    }
    case '\\':
      if (n - p >= 2) ++p;
      [[fallthrough]];
    default:
      *next = p + 1;
      return Fold(pat[p], nocase) == Fold(c, nocase);
  }
}

}  // namespace

bool GlobMatch(std::string_view pat, std::string_view text, bool nocase) {
  // Redis never matches an empty string against a non-empty pattern (not even "*").
  if (text.empty()) return pat.empty();
  size_t p = 0, s = 0;
  size_t star_p = std::string_view::npos, star_s = 0;
  while (s < text.size()) {
    if (p < pat.size() && pat[p] == '*') {
      while (p < pat.size() && pat[p] == '*') ++p;
      if (p == pat.size()) return true;
      star_p = p;
      star_s = s;
      continue;
    }
    size_t next;
    if (p < pat.size() && MatchToken(pat, p, text[s], nocase, &next)) {
      p = next;
      ++s;
      continue;
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    s = ++star_s;
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

}  // namespace stash::storage
