// Blocking RESP client used by the integration and differential tests.
//
// The client deliberately works on raw bytes: tests compare exactly what a server put on the
// wire, so replies are returned unparsed (one complete RESP2/RESP3 frame at a time). Every read
// has a deadline so a hung or crashed server fails the test instead of hanging the suite.

#ifndef STASH_TESTS_HARNESS_RESP_CLIENT_H_
#define STASH_TESTS_HARNESS_RESP_CLIENT_H_

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stash::test {

// Result of looking for one complete RESP frame at the start of a buffer.
enum class FrameStatus {
  kComplete,    // A whole frame is present; its length is reported.
  kIncomplete,  // More bytes are needed.
  kMalformed,   // The bytes can never become a valid frame.
};

// Finds the end of the first complete RESP2/RESP3 reply in `buf`. Handles the simple types
// (+ - : _ , # ( ), the length-prefixed blobs ($ ! =, including $-1 null bulk), and the
// aggregates (* ~ > % |, including *-1 null array) with arbitrary nesting. An attribute (|) is
// framed together with the reply it annotates, because that is one logical reply.
// On kComplete, *frame_len is the number of bytes in the frame. On kMalformed, *error (if non-null)
// says why.
FrameStatus FindFrame(std::string_view buf, size_t* frame_len, std::string* error = nullptr);

// A parsed RESP value, used where a test needs structure rather than raw bytes (sorting array
// elements, reading an integer). `raw` is always the exact wire encoding of the value.
struct RespValue {
  char type = 0;                 // The type byte: '+', '$', '*', '%', ...
  std::string str;               // Payload for simple/blob types; the count line for aggregates.
  bool is_null = false;          // $-1, *-1 or _.
  std::vector<RespValue> elems;  // Aggregate children (maps: key, value, key, value, ...).
  std::string raw;               // Wire bytes of this value.

  bool IsAggregate() const;
  // Re-encodes the value from its fields (used after reordering `elems`).
  std::string Encode() const;
};

// Parses exactly one complete frame. Returns std::nullopt if `frame` is not exactly one frame.
std::optional<RespValue> ParseReply(std::string_view frame);

// Encodes argv as a RESP multibulk request.
std::string EncodeCommand(const std::vector<std::string>& argv);

// Makes bytes printable for failure messages: \r \n \t \\ \" and \xHH for the rest.
std::string Escape(std::string_view bytes);

class RespClient {
 public:
  static constexpr std::chrono::milliseconds kDefaultTimeout{10000};

  RespClient() = default;
  ~RespClient();
  RespClient(const RespClient&) = delete;
  RespClient& operator=(const RespClient&) = delete;
  RespClient(RespClient&& other) noexcept;
  RespClient& operator=(RespClient&& other) noexcept;

  // Connects to 127.0.0.1:port. Returns false and sets last_error() on failure.
  bool Connect(int port);
  void Close();
  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Applies to every subsequent read. A read that exceeds it fails with a "timed out" error.
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }

  // Writes all bytes (handling short writes). Returns false on error, e.g. when the peer closed.
  bool SendRaw(std::string_view bytes);
  bool SendCommand(const std::vector<std::string>& argv);

  // Writes as much of `bytes` as the socket accepts right now, without blocking and without
  // reading anything. Returns the number of bytes written, or -1 on error. Used to model a client
  // that floods the server and never reads.
  long SendSome(std::string_view bytes);

  // Reads exactly one complete reply and returns its raw bytes. Bytes that arrived after it stay
  // buffered for the next call. Returns std::nullopt on timeout, EOF or malformed input, with the
  // reason in last_error().
  std::optional<std::string> ReadReply();

  // SendCommand + ReadReply. On failure returns a string starting with "<client error: " so that
  // it never compares equal to a real reply and is self-explanatory in failure output.
  std::string Call(const std::vector<std::string>& argv);

  // Reads until at least `n` bytes are buffered (or EOF/timeout) and returns up to `n` of them,
  // consuming them. Used to observe that a reply has started without reading all of it.
  std::optional<std::string> ReadBytes(size_t n);

  // Reads everything until the server closes the connection. Returns std::nullopt if the server
  // did not close within the timeout (the bytes read so far are still reported via *partial).
  std::optional<std::string> ReadUntilClose(std::string* partial = nullptr);

  // Bytes received but not yet consumed by ReadReply.
  const std::string& buffered() const { return buf_; }
  const std::string& last_error() const { return last_error_; }

 private:
  // Waits (bounded by deadline) and appends whatever arrives to buf_. Returns 0 on EOF, >0 on
  // data, <0 on error/timeout (last_error_ set).
  long Fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buf_;
  std::string last_error_;
  std::chrono::milliseconds timeout_ = kDefaultTimeout;
};

}  // namespace stash::test

#endif  // STASH_TESTS_HARNESS_RESP_CLIENT_H_
