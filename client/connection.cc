#include "client/connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "client/errors.h"

namespace stash {
namespace {

using Clock = std::chrono::steady_clock;

void AppendNumber(std::string* out, char type, size_t n) {
  out->push_back(type);
  out->append(std::to_string(n));
  out->append("\r\n", 2);
}

// Milliseconds left until deadline, for poll(); -1 means wait forever.
int PollTimeout(Clock::time_point deadline, bool forever) {
  if (forever) return -1;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

const Reply& Expect(const Reply& r, std::string_view what) {
  if (r.is_error()) throw ServerError(std::string(what) + ": " + r.str);
  return r;
}

std::unique_ptr<Connection> Connection::Open(const ConnectionOptions& options) {
  std::unique_ptr<Connection> c(new Connection());
  c->Connect(options);
  return c;
}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

void Connection::Fail(const std::string& what) {
  broken_ = true;
  throw ConnectionError(what + " (" + peer_ + ")");
}

void Connection::Connect(const ConnectionOptions& options) {
  peer_ = options.host + ":" + std::to_string(options.port);
  timeout_ = options.socket_timeout;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  std::string port = std::to_string(options.port);
  int rc = ::getaddrinfo(options.host.c_str(), port.c_str(), &hints, &result);
  if (rc != 0) Fail(std::string("cannot resolve host: ") + ::gai_strerror(rc));
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(result, ::freeaddrinfo);

  std::string last = "no address";
  auto deadline = Clock::now() + options.connect_timeout;
  for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int err = 0;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        err = errno;
      } else {
        pollfd p{fd, POLLOUT, 0};
        int n = ::poll(&p, 1, PollTimeout(deadline, false));
        if (n <= 0) {
          err = n == 0 ? ETIMEDOUT : errno;
        } else {
          socklen_t len = sizeof(err);
          ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        }
      }
    }
    if (err != 0) {
      last = err == ETIMEDOUT ? "connect timed out" : std::strerror(err);
      ::close(fd);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fd_ = fd;
    break;
  }
  if (fd_ < 0) Fail("cannot connect: " + last);

  // The handshake: protocol, credentials, database, name; then our id for tracking REDIRECT.
  std::vector<Command> hello;
  std::string db = std::to_string(options.db);
  if (options.resp3) {
    if (!options.password.empty()) {
      hello.push_back({"HELLO", "3", "AUTH",
                       options.username.empty() ? "default" : options.username, options.password});
    } else {
      hello.push_back({"HELLO", "3"});
    }
  } else if (!options.password.empty()) {
    if (options.username.empty()) {
      hello.push_back({"AUTH", options.password});
    } else {
      hello.push_back({"AUTH", options.username, options.password});
    }
  }
  if (options.db != 0) hello.push_back({"SELECT", db});
  if (!options.client_name.empty()) hello.push_back({"CLIENT", "SETNAME", options.client_name});
  hello.push_back({"CLIENT", "ID"});
  std::vector<Reply> replies = Pipeline(hello);
  for (size_t i = 0; i < replies.size(); ++i) {
    if (replies[i].is_error()) {
      broken_ = true;
      throw ServerError(std::string(hello[i][0]) + " failed on " + peer_ + ": " + replies[i].str);
    }
  }
  resp3_ = options.resp3;
  id_ = replies.back().integer;
}

void Connection::Append(const Command& argv) {
  AppendNumber(&out_, '*', argv.size());
  for (std::string_view a : argv) {
    AppendNumber(&out_, '$', a.size());
    out_.append(a);
    out_.append("\r\n", 2);
  }
}

void Connection::Flush() {
  auto deadline = Clock::now() + timeout_;
  size_t sent = 0;
  while (sent < out_.size()) {
    ssize_t n = ::send(fd_, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      int r = ::poll(&p, 1, PollTimeout(deadline, false));
      if (r == 0) Fail("write timed out");
      if (r < 0 && errno != EINTR) Fail(std::string("poll: ") + std::strerror(errno));
      continue;
    }
    Fail(std::string("write failed: ") + std::strerror(errno));
  }
  out_.clear();
}

void Connection::Send(const Command& argv) {
  if (broken_) Fail("connection is broken");
  Append(argv);
  Flush();
}

Reply Connection::ReadFrame(std::chrono::milliseconds timeout) {
  if (broken_) Fail("connection is broken");
  bool forever = timeout.count() < 0;
  auto deadline = Clock::now() + (forever ? std::chrono::milliseconds(0) : timeout);
  Reply reply;
  while (true) {
    if (in_start_ < in_end_) {
      protocol::ReplyStatus st = parser_.Parse(in_.data() + in_start_, in_end_ - in_start_, &reply);
      if (st == protocol::ReplyStatus::kComplete) {
        in_start_ += parser_.consumed();
        if (in_start_ == in_end_) in_start_ = in_end_ = 0;
        return reply;
      }
      if (st == protocol::ReplyStatus::kError) Fail("protocol error: " + parser_.error());
    }
    // Make room: move the unparsed tail to the front, then grow geometrically (and at once to
    // what a pending bulk string needs), so a large reply costs few reads and few re-parses.
    if (in_start_ > 0) {
      std::memmove(in_.data(), in_.data() + in_start_, in_end_ - in_start_);
      in_end_ -= in_start_;
      in_start_ = 0;
    }
    size_t want = std::max({parser_.bytes_wanted(), in_end_ * 2, size_t{16384}});
    if (in_.size() < want) in_.resize(want);
    ssize_t n = ::recv(fd_, in_.data() + in_end_, in_.size() - in_end_, 0);
    if (n > 0) {
      in_end_ += static_cast<size_t>(n);
      continue;
    }
    if (n == 0) Fail("server closed the connection");
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      Fail(std::string("read failed: ") + std::strerror(errno));
    }
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, PollTimeout(deadline, forever));
    if (r == 0) Fail("read timed out after " + std::to_string(timeout.count()) + " ms");
    if (r < 0 && errno != EINTR) Fail(std::string("poll: ") + std::strerror(errno));
  }
}

Reply Connection::ReadReply() {
  while (true) {
    Reply r = ReadFrame(timeout_);
    if (r.type != Reply::Type::kPush) return r;
    if (push_handler_) push_handler_(r);
  }
}

Reply Connection::Call(const Command& argv) {
  Send(argv);
  return ReadReply();
}

std::vector<Reply> Connection::Pipeline(const std::vector<Command>& commands) {
  if (broken_) Fail("connection is broken");
  for (const Command& c : commands) Append(c);
  Flush();
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) replies.push_back(ReadReply());
  return replies;
}

void Connection::Shutdown() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

}  // namespace stash
