// One blocking TCP connection to a Redis-compatible server: connect with a deadline, every read
// and write bounded by the socket timeout, replies parsed by protocol::ReplyParser. Any I/O
// failure or timeout throws ConnectionError and marks the connection broken: the pool then
// drops it instead of reusing a socket whose next bytes belong to a reply nobody reads.
#ifndef STASH_CLIENT_CONNECTION_H_
#define STASH_CLIENT_CONNECTION_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_parser.h"

namespace stash {

using protocol::Reply;
using Command = std::vector<std::string_view>;

struct ConnectionOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string username;
  std::string password;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds socket_timeout{2000};
  bool resp3 = false;       // HELLO 3 after connecting
  std::string client_name;  // CLIENT SETNAME (empty: none)
};

class Connection {
 public:
  // Connects, authenticates, selects the database. Throws ConnectionError (unreachable, timed
  // out) or ServerError (AUTH refused, bad database).
  static std::unique_ptr<Connection> Open(const ConnectionOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends one command and returns its reply. Error replies are returned (is_error()), not
  // thrown; push messages met while waiting go to the push handler.
  Reply Call(const Command& argv);
  // Pipelining: all commands in one write, then all replies in order.
  std::vector<Reply> Pipeline(const std::vector<Command>& commands);

  // Low level, for the invalidation listener: queue and send without reading, and read the
  // next frame whatever it is (push messages included). timeout < 0 waits without limit.
  void Send(const Command& argv);
  Reply ReadFrame(std::chrono::milliseconds timeout);

  // Called with every RESP3 push message read while Call/Pipeline waits for a reply.
  void set_push_handler(std::function<void(Reply&)> handler) { push_handler_ = std::move(handler); }

  // Wakes a thread blocked in ReadFrame (it gets ConnectionError) without closing the fd
  // under it.
  void Shutdown();

  bool broken() const { return broken_; }
  bool resp3() const { return resp3_; }
  int64_t id() const { return id_; }  // CLIENT ID, fetched on Open
  uint64_t generation = 0;            // set by the pool: which tracking setup applied to it
  bool reused = false;                // set by the pool: handed out before (may have gone stale)

 private:
  Connection() = default;
  void Connect(const ConnectionOptions& options);
  void Append(const Command& argv);
  void Flush();
  Reply ReadReply();  // next non-push frame
  [[noreturn]] void Fail(const std::string& what);

  int fd_ = -1;
  bool broken_ = false;
  bool resp3_ = false;
  int64_t id_ = -1;
  std::string peer_;
  std::chrono::milliseconds timeout_{2000};
  std::string out_;
  std::string in_;        // read buffer; bytes [in_start_, in_end_) are unparsed
  size_t in_start_ = 0;
  size_t in_end_ = 0;
  protocol::ReplyParser parser_;
  std::function<void(Reply&)> push_handler_;
};

// Throws ServerError when r is an error reply; otherwise returns it.
const Reply& Expect(const Reply& r, std::string_view what);

}  // namespace stash

#endif  // STASH_CLIENT_CONNECTION_H_
