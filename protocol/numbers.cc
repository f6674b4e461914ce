#include "protocol/numbers.h"

#include <cerrno>
#include <cmath>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace stash::protocol {

bool StringToInt64(std::string_view s, int64_t* out) {
  // Mirrors Redis's string2ll, including its refusal of strings of 21 bytes or more.
  size_t n = s.size();
  if (n == 0 || n >= 21) return false;
  const char* p = s.data();
  if (n == 1 && p[0] == '0') {
    *out = 0;
    return true;
  }
  bool negative = false;
  size_t i = 0;
  if (p[0] == '-') {
    negative = true;
    if (++i == n) return false;
  }
  if (p[i] < '1' || p[i] > '9') return false;
  uint64_t v = static_cast<uint64_t>(p[i] - '0');
  for (++i; i < n; ++i) {
    if (p[i] < '0' || p[i] > '9') return false;
    if (v > UINT64_MAX / 10) return false;
    v *= 10;
    uint64_t d = static_cast<uint64_t>(p[i] - '0');
    if (v > UINT64_MAX - d) return false;
    v += d;
  }
  if (negative) {
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *out = static_cast<int64_t>(0 - v);
  } else {
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

bool StringToLongDouble(std::string_view s, long double* out) {
  constexpr size_t kMaxChars = 5 * 1024;  // Redis's MAX_LONG_DOUBLE_CHARS
  if (s.empty() || s.size() >= kMaxChars) return false;
  char buf[kMaxChars];
  memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  errno = 0;
  char* end = nullptr;
  long double v = strtold(buf, &end);
  if (isspace(static_cast<unsigned char>(buf[0])) || *end != '\0' ||
      static_cast<size_t>(end - buf) != s.size() ||
      (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0)) || errno == EINVAL ||
      std::isnan(v)) {
    return false;
  }
  *out = v;
  return true;
}

bool StringToDouble(std::string_view s, double* out) {
  constexpr size_t kMaxChars = 5 * 1024;
  if (s.empty() || s.size() >= kMaxChars) return false;
  char buf[kMaxChars];
  memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  errno = 0;
  char* end = nullptr;
  double v = strtod(buf, &end);
  if (isspace(static_cast<unsigned char>(buf[0])) || *end != '\0' ||
      static_cast<size_t>(end - buf) != s.size() ||
      (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || v == 0)) || std::isnan(v)) {
    return false;
  }
  *out = v;
  return true;
}

size_t FormatInt64(char* buf, int64_t v) {
  auto r = std::to_chars(buf, buf + 21, v);
  return static_cast<size_t>(r.ptr - buf);
}

void AppendInt64(std::string* out, int64_t v) {
  char buf[24];
  out->append(buf, FormatInt64(buf, v));
}

std::string FormatLongDoubleHuman(long double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[5 * 1024];
  int len = snprintf(buf, sizeof(buf), "%.17Lf", v);
  if (len < 0 || static_cast<size_t>(len) + 1 > sizeof(buf)) return std::string();
  if (memchr(buf, '.', len) != nullptr) {
    while (len > 0 && buf[len - 1] == '0') --len;
    if (len > 0 && buf[len - 1] == '.') --len;
  }
  if (len == 2 && buf[0] == '-' && buf[1] == '0') {
    buf[0] = '0';
    len = 1;
  }
  return std::string(buf, len);
}

std::string FormatDouble(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  int len = snprintf(buf, sizeof(buf), "%.17g", v);
  return std::string(buf, len);
}

}  // namespace stash::protocol
