// GlobMatch: Redis 7.0's stringmatchlen semantics. The KEYS table below was produced by creating
// the listed keys in a real redis-server 7.0.15 and running KEYS with each pattern; the nocase
// cases were checked with CONFIG GET, the only 7.0 command that matches case-insensitively.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "storage/glob.h"

namespace stash::storage {
namespace {

using namespace std::string_literals;

// What KEYS does with a pattern: a lone "*" is special-cased (it is the only pattern that lists
// the empty key), every other pattern goes through the matcher.
bool KeysMatches(std::string_view pattern, std::string_view key) {
  return GlobMatchesAll(pattern) || GlobMatch(pattern, key);
}

TEST_CASE("KEYS patterns select exactly the keys redis-server 7.0 selects") {
  const std::vector<std::string> keys = {
      "", "a", "b", "ab", "abc", "aXc", "a*c", "a?c", "a[c", "a]c", "a\\c", "a-c", "a^c", "abbc",
      "A", "ABC", "aBc", "hello", "hallo", "hxllo", "hllo", "heeello", "h\xc3""\xa9""llo", "^",
      "]", "-", "[", "\\", "z", "user:1", "user:10", "user:2:name", "x\x00""y"s, "ac", "a`c",
      "a_c",
  };
  std::vector<int> every_key, every_nonempty_key;
  for (int i = 0; i < static_cast<int>(keys.size()); ++i) {
    every_key.push_back(i);
    if (i > 0) every_nonempty_key.push_back(i);
  }
  REQUIRE(keys[0].empty());
  struct Case {
    std::string pattern;
    std::vector<int> matches;  // indices into keys
  };
  const std::vector<Case> cases = {
    {"*", every_key},
    {"", {0}},
    {"a", {1}},
    {"?", {1, 2, 14, 23, 24, 25, 26, 27, 28}},
    {"??", {3, 33}},
    {"a*", {1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 33, 34, 35}},
    {"*c", {4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 33, 34, 35}},
    {"a?c", {4, 5, 6, 7, 8, 9, 10, 11, 12, 16, 34, 35}},
    {"a[bX]c", {4, 5}},
    {"a[^b]c", {5, 6, 7, 8, 9, 10, 11, 12, 16, 34, 35}},
    {"a[a-z]c", {4}},
    {"a[z-a]c", {4}},
    {"[z-a]", {1, 2, 28}},
    {"a\\*c", {6}},
    {"a\\?c", {7}},
    {"a\\[c", {8}},
    {"a[\\]]c", {9}},
    {"a[\\-]c", {11}},
    {"a[", {}},
    {"a[b", {3}},
    {"a[bc", {3, 33}},
    {"[", {}},
    {"[]", {}},
    {"[]]", {}},
    {"[^]", {1, 2, 14, 23, 24, 25, 26, 27, 28}},
    {"a\\", {}},
    {"\\", {27}},
    {"\\a", {1}},
    {"\\\\", {27}},
    {"h[ae]llo", {17, 18}},
    {"h[^e]llo", {18, 19}},
    {"h*llo", {17, 18, 19, 20, 21, 22}},
    {"h?llo", {17, 18, 19}},
    {"*:*", {29, 30, 31}},
    {"user:?", {29}},
    {"user:*:name", {31}},
    {"user:[0-9]", {29}},
    {"user:[0-9]*", {29, 30, 31}},
    {"**", every_nonempty_key},
    {"*?*", every_nonempty_key},
    {"a[-]c", {11}},
    {"a[a-]c", {33}},
    {"a[]c", {}},
    {"[!a]", {1}},
    {"*a*b*c*", {4, 13}},
    {"[a-c]*", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 33, 34, 35}},
    {"a[b-b]c", {4}},
    {"A*", {14, 15}},
    {"a[^]c", {4, 5, 6, 7, 8, 9, 10, 11, 12, 16, 34, 35}},
    {"a[^", {3, 33}},
    {"x?y", {32}},
    {"x*", {32}},
    {"*\\", {27}},
    {"a[\\", {}},
    {"h\xc3""?llo", {22}},
    {"h??llo", {22}},
    {"[]-a]", {}},
    {"a[A-Z]c", {5, 16}},
    {"a[Z-A]c", {5, 16}},
    {"a[^a-z]c", {5, 6, 7, 8, 9, 10, 11, 12, 16, 34, 35}},
    {"a*b*c", {4, 13}},
    {"*b", {2, 3}},
    {"?*", every_nonempty_key},
    {"*?", every_nonempty_key},
    {"a**c", {4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 33, 34, 35}},
    {"a[[]c", {8}},
    {"a[]]c", {}},
    {"a[x-]", {3, 33}},
    {"a[-x]c", {11}},
    {"ab*", {3, 4, 13}},
    {"*bc", {4, 13}},
    {"[ab][bc]", {3, 33}},
    {"[^a]", {2, 14, 23, 24, 25, 26, 27, 28}},
    {"[-]", {25}},
    {"[\\]", {24}},
    {"[a\\]", {1, 24}},
    {"*[", {}},
    {"*[a-", {1, 25}},
    {"a[b-", {3}},
    {"a[b-c", {3, 33}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.pattern);
    std::vector<int> matches;
    for (int i = 0; i < static_cast<int>(keys.size()); ++i) {
      if (KeysMatches(c.pattern, keys[i])) matches.push_back(i);
    }
    CHECK(matches == c.matches);
  }
}

TEST_CASE("the empty string matches only the empty pattern, never '*'") {
  CHECK(GlobMatch("", ""));
  CHECK_FALSE(GlobMatch("*", ""));
  CHECK_FALSE(GlobMatch("**", ""));
  CHECK_FALSE(GlobMatch("?", ""));
  CHECK_FALSE(GlobMatch("[^a]", ""));
  CHECK_FALSE(GlobMatch("", "a"));
  // Hence KEYS/SCAN must special-case a lone '*'; nothing else matches every key.
  CHECK(GlobMatchesAll("*"));
  CHECK_FALSE(GlobMatchesAll("**"));
  CHECK_FALSE(GlobMatchesAll("*?"));
  CHECK_FALSE(GlobMatchesAll(""));
}

TEST_CASE("'*' matches any run, including an empty one, anywhere in the pattern") {
  CHECK(GlobMatch("*", "anything"));
  CHECK(GlobMatch("a*", "a"));
  CHECK(GlobMatch("*a", "a"));
  CHECK(GlobMatch("a*b", "ab"));
  CHECK(GlobMatch("a*b", "a-long-middle-b"));
  CHECK_FALSE(GlobMatch("a*b", "a-long-middle-c"));
  CHECK(GlobMatch("*b*b*", "abcbd"));
  CHECK_FALSE(GlobMatch("*b*b*", "abcd"));
  // The matcher must backtrack past an early partial match.
  CHECK(GlobMatch("*aab", "aaaab"));
  CHECK(GlobMatch("a*aab", "abaaab"));
}

TEST_CASE("character classes: sets, negation, ranges in either order") {
  CHECK(GlobMatch("[abc]", "b"));
  CHECK_FALSE(GlobMatch("[abc]", "d"));
  CHECK(GlobMatch("[^abc]", "d"));
  CHECK_FALSE(GlobMatch("[^abc]", "a"));
  CHECK(GlobMatch("[a-c]", "b"));
  CHECK(GlobMatch("[c-a]", "b"));  // Redis swaps reversed bounds
  CHECK_FALSE(GlobMatch("[c-a]", "d"));
  CHECK(GlobMatch("[0-9][0-9]", "42"));
  CHECK(GlobMatch("[^0-9]x", "ax"));
  // '-' is literal when fewer than two characters follow it...
  CHECK(GlobMatch("[-]", "-"));
  CHECK(GlobMatch("[a-", "-"));
  // ...otherwise it forms a range, even with the closing ']': "[a-]" is 'a' down to ']'
  // (93..97) and the class is left unterminated.
  CHECK_FALSE(GlobMatch("[a-]", "-"));
  CHECK(GlobMatch("[a-]", "_"));
  CHECK(GlobMatch("[a-]]", "_"));  // here the second ']' closes it
  CHECK_FALSE(GlobMatch("[a-]]", "_]"));
  // '!' has no meaning: only '^' negates.
  CHECK(GlobMatch("[!a]", "!"));
  CHECK_FALSE(GlobMatch("[!a]", "b"));
}

TEST_CASE("an empty class matches nothing and [^] matches any one character") {
  CHECK_FALSE(GlobMatch("[]", "a"));
  CHECK_FALSE(GlobMatch("[]]", "]"));
  CHECK(GlobMatch("[^]", "x"));
  CHECK(GlobMatch("[^]", "]"));
  CHECK_FALSE(GlobMatch("[^]", "xy"));
}

TEST_CASE("an unterminated class runs to the end of the pattern") {
  CHECK(GlobMatch("a[bc", "ab"));
  CHECK(GlobMatch("a[bc", "ac"));
  CHECK_FALSE(GlobMatch("a[bc", "abc"));
  CHECK_FALSE(GlobMatch("a[", "a"));
  CHECK_FALSE(GlobMatch("a[", "a["));  // '[' alone is an empty, unterminated class
  CHECK_FALSE(GlobMatch("[", "["));
  CHECK(GlobMatch("a[^", "ab"));
  CHECK(GlobMatch("a[\\", "a\\"));  // a trailing backslash in a class is literal
  CHECK(GlobMatch("[a\\]", "]"));    // "\]" escapes the bracket, leaving the class open
  CHECK(GlobMatch("*[a-", "x-"));
}

TEST_CASE("backslash escapes the next pattern character, and is literal at the end") {
  CHECK(GlobMatch("a\\*c", "a*c"));
  CHECK_FALSE(GlobMatch("a\\*c", "abc"));
  CHECK(GlobMatch("a\\?c", "a?c"));
  CHECK_FALSE(GlobMatch("a\\?c", "abc"));
  CHECK(GlobMatch("a\\[c", "a[c"));
  CHECK(GlobMatch("\\a", "a"));
  CHECK(GlobMatch("\\\\", "\\"));
  CHECK(GlobMatch("\\", "\\"));
  CHECK(GlobMatch("a\\", "a\\"));
  CHECK(GlobMatch("[\\]]", "]"));
  CHECK(GlobMatch("[\\-]", "-"));
  CHECK_FALSE(GlobMatch("[\\-]", "\\"));
}

TEST_CASE("'?' and classes consume bytes, not UTF-8 characters") {
  CHECK(GlobMatch("h??llo", "h\xc3\xa9llo"));
  CHECK_FALSE(GlobMatch("h?llo", "h\xc3\xa9llo"));
  // High bytes compare as signed chars in ranges, as in Redis: 0xc3 is below 'a'.
  CHECK(GlobMatch("[\x80-a]", "\xc3"));
}

TEST_CASE("patterns and keys are binary-safe") {
  CHECK(GlobMatch("x?y", "x\0y"s));
  CHECK(GlobMatch("x\0*"s, "x\0yz"s));
  CHECK_FALSE(GlobMatch("x\0"s, "x"));
}

TEST_CASE("nocase folds pattern and text, but not an escaped class member") {
  CHECK(GlobMatch("MAXMEMORY", "maxmemory", true));
  CHECK_FALSE(GlobMatch("MAXMEMORY", "maxmemory", false));
  CHECK(GlobMatch("max*", "MAXMEMORY", true));
  CHECK(GlobMatch("maxmemor[Y]", "maxmemory", true));
  CHECK(GlobMatch("maxmemor[X-Z]", "maxmemory", true));
  CHECK(GlobMatch("maxmemor[x-z]", "MAXMEMORY", true));
  CHECK(GlobMatch("maxmemor[^A]", "maxmemory", true));
  CHECK_FALSE(GlobMatch("maxmemor[^Y]", "maxmemory", true));
  CHECK(GlobMatch("maxmemor\\Y", "maxmemory", true));
  CHECK(GlobMatch("?AXMEMORY", "maxmemory", true));
  // redis-server 7.0: CONFIG GET "maxmemor[\Y]" lists nothing, CONFIG GET "MAXMEMOR[\y]"
  // lists maxmemory: stringmatchlen compares an escaped class member exactly.
  CHECK_FALSE(GlobMatch("maxmemor[\\Y]", "maxmemory", true));
  CHECK(GlobMatch("MAXMEMOR[\\y]", "maxmemory", true));
}

// A direct recursive statement of stringmatchlen's rules, used as an oracle for random
// patterns. It is deliberately naive (exponential in the worst case) and shares no code with
// the matcher under test.
bool SameChar(char a, char b, bool nocase) {
  if (!nocase) return a == b;
  return tolower(static_cast<unsigned char>(a)) == tolower(static_cast<unsigned char>(b));
}

bool Oracle(std::string_view p, std::string_view s, bool nocase) {
  while (!p.empty() && !s.empty()) {
    switch (p[0]) {
      case '*': {
        while (!p.empty() && p[0] == '*') p.remove_prefix(1);
        if (p.empty()) return true;
        for (size_t k = 0; k < s.size(); ++k) {
          if (Oracle(p, s.substr(k), nocase)) return true;
        }
        return false;
      }
      case '?':
        p.remove_prefix(1);
        break;
      case '[': {
        size_t i = 1;
        bool negate = i < p.size() && p[i] == '^';
        if (negate) ++i;
        bool match = false;
        while (true) {
          if (i + 1 < p.size() && p[i] == '\\') {
            match |= p[i + 1] == s[0];
            i += 2;
          } else if (i < p.size() && p[i] == ']') {
            ++i;
            break;
          } else if (i >= p.size()) {
            break;
          } else if (i + 2 < p.size() && p[i + 1] == '-') {
            int lo = p[i], hi = p[i + 2], c = s[0];
            if (lo > hi) std::swap(lo, hi);
            if (nocase) {
              lo = tolower(lo);
              hi = tolower(hi);
              c = tolower(c);
            }
            match |= c >= lo && c <= hi;
            i += 3;
          } else {
            match |= SameChar(p[i], s[0], nocase);
            ++i;
          }
        }
        if (match == negate) return false;
        p.remove_prefix(i);
        break;
      }
      case '\\':
        if (p.size() >= 2) p.remove_prefix(1);
        [[fallthrough]];
      default:
        if (!SameChar(p[0], s[0], nocase)) return false;
        p.remove_prefix(1);
        break;
    }
    s.remove_prefix(1);
    if (s.empty()) {
      while (!p.empty() && p[0] == '*') p.remove_prefix(1);
    }
  }
  return p.empty() && s.empty();
}

TEST_CASE("random patterns agree with a naive statement of the rules") {
  std::mt19937_64 rng(7);
  const std::string pattern_alphabet = "abAB*?[]^-\\";
  const std::string text_alphabet = "abAB]^-\\*?[";
  auto random_string = [&](const std::string& alphabet, size_t max_len) {
    std::string s(rng() % (max_len + 1), ' ');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    return s;
  };
  int matched = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string pattern = random_string(pattern_alphabet, 8);
    std::string text = random_string(text_alphabet, 7);
    bool nocase = rng() % 2;
    bool expected = Oracle(pattern, text, nocase);
    if (GlobMatch(pattern, text, nocase) != expected) {
      CAPTURE(pattern);
      CAPTURE(text);
      CAPTURE(nocase);
      FAIL_CHECK("GlobMatch disagrees with the oracle");
    }
    matched += expected;
  }
  // The alphabets are small enough that a good share of cases are matches.
  CHECK(matched > 5000);
}

TEST_CASE("a pattern with many stars does not backtrack exponentially") {
  // Naive recursion needs ~C(40, 20) steps here; the matcher finishes in O(n * m).
  std::string pattern;
  for (int i = 0; i < 20; ++i) pattern += "a*";
  pattern += "b";
  CHECK_FALSE(GlobMatch(pattern, std::string(40, 'a')));
  CHECK(GlobMatch(pattern, std::string(40, 'a') + "b"));
}

}  // namespace
}  // namespace stash::storage
