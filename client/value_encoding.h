// How values are laid out on the server. Plain bytes are stored as they are, so other clients
// read them unchanged. Two marked forms begin with the two bytes "\0\x01":
//   "\0\x01zs" + zstd frame   a value compressed because it reached the threshold
//   "\0\x01rw" + bytes        a raw value that itself began with "\0\x01" (escaped)
// so a read always knows which form it has, whatever the writer's compression setting.
#ifndef STASH_CLIENT_VALUE_ENCODING_H_
#define STASH_CLIENT_VALUE_ENCODING_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace stash {

struct CompressionOptions {
  bool enabled = false;
  size_t threshold = 1024;
  int level = 3;
};

std::string EncodeValue(std::string_view value, const CompressionOptions& options);

// The application's bytes, or nullopt when a marked value is corrupt.
std::optional<std::string> DecodeValue(std::string_view stored);

bool IsCompressed(std::string_view stored);

}  // namespace stash

#endif  // STASH_CLIENT_VALUE_ENCODING_H_
