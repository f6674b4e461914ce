#include "resp_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <utility>

namespace stash::test {
namespace {

// Nesting deeper than this is treated as malformed so a hostile peer cannot blow the stack.
constexpr int kMaxDepth = 128;

struct Parser {
  explicit Parser(std::string_view b) : buf(b) {}

  std::string_view buf;
  size_t pos = 0;
  std::string error;

  // Reads a CRLF-terminated line starting at pos. Returns kIncomplete if no CRLF yet.
  FrameStatus Line(std::string_view* line) {
    size_t end = buf.find("\r\n", pos);
    if (end == std::string_view::npos) return FrameStatus::kIncomplete;
    *line = buf.substr(pos, end - pos);
    pos = end + 2;
    return FrameStatus::kComplete;
  }

  FrameStatus Malformed(std::string why) {
    error = std::move(why);
    return FrameStatus::kMalformed;
  }

  static bool ParseLength(std::string_view s, long long* out) {
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && p == s.data() + s.size();
  }

  // Parses one value at pos. If out is null only framing is done (no allocations for children).
  FrameStatus Value(int depth, RespValue* out) {
    if (depth > kMaxDepth) return Malformed("nesting too deep");
    if (pos >= buf.size()) return FrameStatus::kIncomplete;
    const size_t start = pos;
    const char type = buf[pos++];
    std::string_view line;
    if (FrameStatus s = Line(&line); s != FrameStatus::kComplete) return s;
    if (out != nullptr) out->type = type;

    long long count = 0;
    long long elements = 0;  // Children to read for aggregates.
    switch (type) {
      case '+':
      case '-':
      case ':':
      case ',':
      case '#':
      case '(':
        if (out != nullptr) out->str = std::string(line);
        break;
      case '_':
        if (!line.empty()) return Malformed("null '_' with payload");
        if (out != nullptr) out->is_null = true;
        break;
      case '$':
      case '!':
      case '=': {
        if (!ParseLength(line, &count)) {
          return Malformed("bad blob length '" + Escape(line) + "'");
        }
        if (count == -1 && type == '$') {
          if (out != nullptr) out->is_null = true;
          break;
        }
        if (count < 0) return Malformed("negative blob length");
        if (buf.size() - pos < static_cast<unsigned long long>(count) + 2) {
          return FrameStatus::kIncomplete;
        }
        if (buf.substr(pos + count, 2) != "\r\n") return Malformed("blob not followed by CRLF");
        if (out != nullptr) out->str = std::string(buf.substr(pos, count));
        pos += count + 2;
        break;
      }
      case '*':
      case '~':
      case '>':
      case '%':
      case '|':
        if (!ParseLength(line, &count)) {
          return Malformed("bad aggregate length '" + Escape(line) + "'");
        }
        if (count == -1 && type == '*') {
          if (out != nullptr) out->is_null = true;
          break;
        }
        if (count < 0) return Malformed("negative aggregate length");
        if (out != nullptr) out->str = std::string(line);
        elements = (type == '%' || type == '|') ? count * 2 : count;
        // An attribute annotates the reply that follows it; both form one logical reply.
        if (type == '|') elements += 1;
        break;
      default:
        pos = start;
        return Malformed(std::string("unknown type byte '") + Escape(std::string_view(&type, 1)) +
                         "'");
    }
    for (long long i = 0; i < elements; ++i) {
      RespValue* child = nullptr;
      if (out != nullptr) child = &out->elems.emplace_back();
      if (FrameStatus s = Value(depth + 1, child); s != FrameStatus::kComplete) return s;
    }
    if (out != nullptr) out->raw = std::string(buf.substr(start, pos - start));
    return FrameStatus::kComplete;
  }
};

}  // namespace

FrameStatus FindFrame(std::string_view buf, size_t* frame_len, std::string* error) {
  Parser p(buf);
  FrameStatus s = p.Value(0, nullptr);
  if (s == FrameStatus::kComplete) *frame_len = p.pos;
  if (s == FrameStatus::kMalformed && error != nullptr) *error = p.error;
  return s;
}

bool RespValue::IsAggregate() const {
  return !is_null && (type == '*' || type == '~' || type == '>' || type == '%' || type == '|');
}

std::string RespValue::Encode() const {
  if (!IsAggregate()) return raw;
  size_t count = elems.size();
  if (type == '%') count /= 2;
  if (type == '|') count = (count - 1) / 2;
  std::string out;
  out += type;
  out += std::to_string(count);
  out += "\r\n";
  for (const RespValue& e : elems) out += e.Encode();
  return out;
}

std::optional<RespValue> ParseReply(std::string_view frame) {
  Parser p(frame);
  RespValue v;
  if (p.Value(0, &v) != FrameStatus::kComplete || p.pos != frame.size()) return std::nullopt;
  return v;
}

std::string EncodeCommand(const std::vector<std::string>& argv) {
  std::string out = "*" + std::to_string(argv.size()) + "\r\n";
  for (const std::string& a : argv) {
    out += "$" + std::to_string(a.size()) + "\r\n";
    out += a;
    out += "\r\n";
  }
  return out;
}

std::string Escape(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size());
  for (unsigned char c : bytes) {
    switch (c) {
      case '\r':
        out += "\\r";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        }
    }
  }
  return out;
}

RespClient::~RespClient() { Close(); }

RespClient::RespClient(RespClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      buf_(std::move(other.buf_)),
      last_error_(std::move(other.last_error_)),
      timeout_(other.timeout_) {}

RespClient& RespClient::operator=(RespClient&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    buf_ = std::move(other.buf_);
    last_error_ = std::move(other.last_error_);
    timeout_ = other.timeout_;
  }
  return *this;
}

bool RespClient::Connect(int port) {
  Close();
  buf_.clear();
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    last_error_ = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    last_error_ = "connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno);
    Close();
    return false;
  }
  // Request/reply tests do many tiny round trips; Nagle would only add latency.
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return true;
}

void RespClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

long RespClient::Fill(std::chrono::steady_clock::time_point deadline) {
  if (fd_ < 0) {
    last_error_ = "not connected";
    return -1;
  }
  char chunk[64 * 1024];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) left = std::chrono::milliseconds(0);
    pollfd pfd{fd_, POLLIN, 0};
    int r = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (r < 0) {
      if (errno == EINTR) continue;
      last_error_ = std::string("poll: ") + std::strerror(errno);
      return -1;
    }
    if (r == 0) {
      last_error_ = "timed out after " + std::to_string(timeout_.count()) +
                    " ms waiting for the server (buffered: \"" + Escape(buf_) + "\")";
      return -1;
    }
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      // A reset is the server dropping the connection (it closed with our data unread): for
      // the callers that is the same as an orderly close.
      if (errno == ECONNRESET) return 0;
      last_error_ = std::string("recv: ") + std::strerror(errno);
      return -1;
    }
    if (n == 0) return 0;
    buf_.append(chunk, static_cast<size_t>(n));
    return n;
  }
}

bool RespClient::SendRaw(std::string_view bytes) {
  if (fd_ < 0) {
    last_error_ = "not connected";
    return false;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  char chunk[64 * 1024];
  bool peer_eof = false;  // After EOF, POLLIN would fire forever; stop asking for it.
  while (!bytes.empty()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      last_error_ =
          "timed out writing to the server (" + std::to_string(bytes.size()) + " bytes left)";
      return false;
    }
    // Also drain replies while writing: with a large pipeline the server may stop reading until
    // we consume its output, and a real client would not deadlock on that either.
    pollfd pfd{fd_, static_cast<short>(peer_eof ? POLLOUT : (POLLOUT | POLLIN)), 0};
    int r = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (r < 0) {
      if (errno == EINTR) continue;
      last_error_ = std::string("poll: ") + std::strerror(errno);
      return false;
    }
    if (r == 0) continue;
    if (pfd.revents & POLLIN) {
      ssize_t n = ::recv(fd_, chunk, sizeof(chunk), MSG_DONTWAIT);
      if (n > 0) buf_.append(chunk, static_cast<size_t>(n));
      // EOF or errors surface through send() below or through the next read.
      if (n == 0) peer_eof = true;
    }
    if (pfd.revents & (POLLOUT | POLLERR | POLLHUP)) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        last_error_ = std::string("send: ") + std::strerror(errno);
        return false;
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }
  return true;
}

long RespClient::SendSome(std::string_view bytes) {
  if (fd_ < 0) {
    last_error_ = "not connected";
    return -1;
  }
  size_t total = 0;
  while (total < bytes.size()) {
    ssize_t n =
        ::send(fd_, bytes.data() + total, bytes.size() - total, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      last_error_ = std::string("send: ") + std::strerror(errno);
      return -1;
    }
    total += static_cast<size_t>(n);
  }
  return static_cast<long>(total);
}

bool RespClient::SendCommand(const std::vector<std::string>& argv) {
  return SendRaw(EncodeCommand(argv));
}

std::optional<std::string> RespClient::ReadReply() {
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  for (;;) {
    size_t len = 0;
    std::string why;
    switch (FindFrame(buf_, &len, &why)) {
      case FrameStatus::kComplete: {
        std::string reply = buf_.substr(0, len);
        buf_.erase(0, len);
        return reply;
      }
      case FrameStatus::kMalformed:
        last_error_ = "malformed reply (" + why + "): \"" + Escape(buf_) + "\"";
        return std::nullopt;
      case FrameStatus::kIncomplete:
        break;
    }
    long n = Fill(deadline);
    if (n == 0) {
      last_error_ =
          "connection closed by the server" +
          (buf_.empty() ? std::string() : " after partial reply \"" + Escape(buf_) + "\"");
      return std::nullopt;
    }
    if (n < 0) return std::nullopt;
  }
}

std::string RespClient::Call(const std::vector<std::string>& argv) {
  if (!SendCommand(argv)) return "<client error: " + last_error_ + ">";
  std::optional<std::string> reply = ReadReply();
  if (!reply) return "<client error: " + last_error_ + ">";
  return *reply;
}

std::optional<std::string> RespClient::ReadBytes(size_t n) {
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  while (buf_.size() < n) {
    long r = Fill(deadline);
    if (r == 0) {
      last_error_ = "connection closed by the server";
      break;
    }
    if (r < 0) break;
  }
  if (buf_.empty()) return std::nullopt;
  std::string out = buf_.substr(0, n);
  buf_.erase(0, out.size());
  return out;
}

std::optional<std::string> RespClient::ReadUntilClose(std::string* partial) {
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  for (;;) {
    long n = Fill(deadline);
    if (n > 0) continue;
    std::string all = std::move(buf_);
    buf_.clear();
    if (n == 0) return all;
    if (partial != nullptr) *partial = std::move(all);
    return std::nullopt;
  }
}

}  // namespace stash::test
