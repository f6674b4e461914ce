#include "client/value_encoding.h"

#include <zstd.h>

namespace stash {
namespace {

constexpr std::string_view kMark("\0\x01", 2);
constexpr std::string_view kCompressed("\0\x01zs", 4);
constexpr std::string_view kEscaped("\0\x01rw", 4);
// A decompressed value larger than this is treated as corrupt rather than allocated.
constexpr unsigned long long kMaxValue = 512ULL << 20;

}  // namespace

bool IsCompressed(std::string_view stored) { return stored.substr(0, 4) == kCompressed; }

std::string EncodeValue(std::string_view value, const CompressionOptions& options) {
  if (options.enabled && value.size() >= options.threshold) {
    std::string out(kCompressed);
    size_t bound = ZSTD_compressBound(value.size());
    out.resize(kCompressed.size() + bound);
    size_t n = ZSTD_compress(out.data() + kCompressed.size(), bound, value.data(), value.size(),
                             options.level);
    // Incompressible data stays raw: the marker would only add bytes.
    if (!ZSTD_isError(n) && n + kCompressed.size() < value.size()) {
      out.resize(kCompressed.size() + n);
      return out;
    }
  }
  if (value.substr(0, 2) == kMark) {
    std::string out(kEscaped);
    out.append(value);
    return out;
  }
  return std::string(value);
}

std::optional<std::string> DecodeValue(std::string_view stored) {
  if (stored.substr(0, 2) != kMark) return std::string(stored);
  if (stored.substr(0, 4) == kEscaped) return std::string(stored.substr(4));
  if (stored.substr(0, 4) != kCompressed) return std::nullopt;
  std::string_view frame = stored.substr(4);
  unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > kMaxValue) {
    return std::nullopt;
  }
  std::string out(static_cast<size_t>(size), '\0');
  size_t n = ZSTD_decompress(out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(n) || n != size) return std::nullopt;
  return out;
}

}  // namespace stash
