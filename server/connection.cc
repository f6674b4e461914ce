#include "server/connection.h"

#include <chrono>
#include <cstring>

#include "server/clock.h"
#include "server/logging.h"
#include "server/pubsub.h"
#include "server/watch.h"
#include "storage/memory_counter.h"

namespace stash::server {
namespace {

constexpr size_t kReadChunk = 16 * 1024;
// Past this much gathered output, write before running more of a long pipeline: bounds the
// memory one client can make us hold and gets the first replies out sooner.
constexpr size_t kOutputFlushThreshold = 64 * 1024;
// Buffers that grew for one huge request or reply are given back after use.
constexpr size_t kKeepBufferCapacity = 1024 * 1024;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string EndpointText(const asio::ip::tcp::endpoint& ep) {
  asio::ip::address a = ep.address();
  std::string host = a.is_v6() && a.to_v6().is_v4_mapped()
                         ? asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string()
                         : a.to_string();
  // Redis writes IPv6 peers as "[addr]:port".
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, Dispatcher& dispatcher)
    : socket_(std::move(socket)),
      dispatcher_(dispatcher),
      server_(dispatcher.server()),
      reply_(&out_),
      block_timer_(socket_.get_executor()),
      retry_timer_(socket_.get_executor()) {}

Connection::~Connection() {
  if (state_.info) server_.clients.Remove(state_.info->id);
  DropClientSubscriptions(server_, state_);
  if (state_.tracking) server_.tracking.Disable(state_.info->id);
  if (state_.monitor) server_.monitors.Remove(state_.info->id);
  if (!state_.watched.empty()) UnwatchAllKeys(server_, dispatcher_.worker_id(), state_);
}

void Connection::Start() {
  auto info = std::make_shared<ClientInfo>();
  info->id = server_.clients.NextId();
  std::error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) info->addr = EndpointText(remote);
  auto local = socket_.local_endpoint(ec);
  if (!ec) info->laddr = EndpointText(local);
  info->fd = static_cast<int>(socket_.native_handle());
  info->worker = dispatcher_.worker_id();
  info->created_ms = NowMs();
  info->last_interaction_ms.store(info->created_ms);
  std::weak_ptr<Connection> weak = shared_from_this();
  auto executor = socket_.get_executor();
  info->kill = [weak, executor]() {
    asio::post(executor, [weak]() {
      if (auto self = weak.lock()) self->Close();
    });
  };
  state_.info = info;
  // Another worker that serves this client while it is blocked hands the reply over here.
  state_.deliver_reply = [weak, executor](std::string reply) {
    asio::post(executor, [weak, reply = std::move(reply)]() mutable {
      if (auto self = weak.lock()) self->OnUnblocked(std::move(reply));
    });
  };
  // Pub/Sub messages and tracking invalidations from any thread.
  info->push = [weak, executor](std::shared_ptr<const std::string> bytes) {
    asio::post(executor, [weak, bytes = std::move(bytes)]() {
      if (auto self = weak.lock()) self->OnPush(*bytes);
    });
  };
  state_.authenticated = server_.config->requirepass().empty();
  server_.clients.Add(info);

  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  // Replies are written with write_some first (WriteOut): it must never block the worker.
  socket_.non_blocking(true, ec);
  if (server_.config->tcp_keepalive() > 0) {
    socket_.set_option(asio::socket_base::keep_alive(true), ec);
  }
  in_.Resize(kReadChunk);
  ReadMore();
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  if (state_.info) state_.info->killed.store(true);
  if (state_.blocked) {
    server_.blocking.Remove(state_.blocked);
    state_.blocked.reset();
    block_timer_.cancel();
  }
  retry_timer_.cancel();
  std::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

Connection::ReadBuffer::~ReadBuffer() { storage::memory::Free(data); }

void Connection::ReadBuffer::Resize(size_t n) {
  // Counted (memory_counter.h): a client's pending input is memory the server holds.
  char* p = static_cast<char*>(storage::memory::Realloc(data, n));
  if (p == nullptr) throw std::bad_alloc();
  data = p;
  size = n;
}

void Connection::PrepareReadBuffer() {
  if (in_begin_ == in_end_) {
    in_begin_ = in_end_ = 0;
    if (in_.size > kKeepBufferCapacity) in_.Resize(kReadChunk);
  } else if (in_begin_ > 0 && in_.size - in_end_ < kReadChunk) {
    // Keep the partial command, move it to the front: the parser remembers offsets relative to
    // the command's start, so moving it is safe.
    memmove(in_.data, in_.data + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
  }
  if (in_.size - in_end_ >= kReadChunk) return;
  // Grow geometrically, but never past what the pending command still needs: the room held
  // stays within twice what the client has really sent, however large a length it announced.
  size_t grown = std::max(in_end_ + kReadChunk, in_.size * 2);
  size_t wanted = parser_.bytes_wanted();
  if (wanted > 0 && in_begin_ + wanted >= in_end_ + kReadChunk) {
    grown = std::min(grown, in_begin_ + wanted);
  }
  in_.Resize(grown);
}

void Connection::ReadMore() {
  if (closed_ || reading_) return;
  PrepareReadBuffer();
  reading_ = true;
  auto self = shared_from_this();
  socket_.async_read_some(
      asio::buffer(in_.data + in_end_, in_.size - in_end_),
      [this, self](std::error_code ec, size_t n) {
        reading_ = false;
        if (ec || closed_) {
          Close();
          return;
        }
        in_end_ += n;
        WorkerStats::Bump(dispatcher_.stats().net_input_bytes, n);
        state_.info->last_interaction_ms.store(NowMs(), std::memory_order_relaxed);
        ProcessInput();
      });
}

void Connection::ProcessInput() {
  if (closed_ || dispatching_) return;  // dispatching_: the running round goes on when back
  if (state_.blocked || parked_) {
    // Waiting for a key, or for a parked command's retry: send what earlier commands produced,
    // and keep reading (bounded) so a disconnect is noticed and the client stops waiting.
    if (!out_.empty() && !write_pending_) {
      WriteOut();
    } else if (in_end_ - in_begin_ < kOutputFlushThreshold) {
      ReadMore();
    }
    return;
  }
  parser_.set_max_bulk_len(server_.config->proto_max_bulk_len());
  reply_.set_resp3(state_.resp3);
  // Messages this round publishes go out per subscriber in one post each, before our replies
  // are written (so a client that sees our reply finds its invalidation already on its way).
  bool now_blocked = false;
  bool over_limit = false;
  std::vector<std::string> park;
  {
    PushBatchScope push_batch;
    while (!state_.close_after_reply && out_.size() < kOutputFlushThreshold) {
      parser_.set_authenticated(state_.authenticated);
      protocol::ParseStatus status = parser_.Parse(in_.data + in_begin_, in_end_ - in_begin_);
      if (status == protocol::ParseStatus::kIncomplete) break;
      if (status == protocol::ParseStatus::kError) {
        reply_.Error(parser_.error());
        state_.close_after_reply = true;
        in_begin_ = in_end_;
        break;
      }
      if (status == protocol::ParseStatus::kCommand) {
        dispatching_ = true;
        dispatcher_.Dispatch(state_, reply_, parser_.args());
        dispatching_ = false;
        reply_.set_resp3(state_.resp3);
        if (OutputOverLimit()) {
          over_limit = true;
          break;
        }
        if (state_.info->killed.load(std::memory_order_relaxed)) state_.close_after_reply = true;
        if (state_.retry_at_ms != 0) {
          park.assign(parser_.args().begin(), parser_.args().end());
          in_begin_ += parser_.consumed();
          break;
        }
        if (closed_) break;
        if (state_.blocked) {
          in_begin_ += parser_.consumed();
          now_blocked = true;
          break;
        }
      }
      in_begin_ += parser_.consumed();
    }
  }
  if (over_limit) {
    CloseOverLimit();
    return;
  }
  if (!park.empty()) {
    Park(std::move(park));
    ProcessInput();
    return;
  }
  if (now_blocked) {
    StartBlocking();
    ProcessInput();
    return;
  }
  if (!out_.empty()) {
    if (!write_pending_) WriteOut();  // else the write in flight calls us again when done
  } else if (state_.close_after_reply) {
    Close();
  } else {
    ReadMore();
  }
}

void Connection::StartBlocking() {
  if (state_.block_deadline_ms <= 0) return;
  auto waiter = state_.blocked;
  int64_t wait_ms = std::max<int64_t>(0, state_.block_deadline_ms - NowMs());
  block_timer_.expires_after(std::chrono::milliseconds(wait_ms));
  auto self = shared_from_this();
  block_timer_.async_wait([this, self, waiter](std::error_code ec) {
    if (ec || closed_ || state_.blocked != waiter) return;
    // Only the one who removes the waiter answers it: a server in another thread may have
    // served it a moment ago.
    if (server_.blocking.Remove(waiter)) OnUnblocked(waiter->timeout_reply);
  });
}

void Connection::OnUnblocked(std::string reply) {
  if (closed_) return;
  state_.blocked.reset();
  state_.block_deadline_ms = 0;
  block_timer_.cancel();
  out_ += reply;
  if (OutputOverLimit()) {
    CloseOverLimit();
    return;
  }
  if (!write_pending_) ProcessInput();
}

void Connection::Park(std::vector<std::string> argv) {
  parked_ = true;
  parked_args_ = std::move(argv);
  int64_t wait_ms = std::max<int64_t>(0, state_.retry_at_ms - SteadyMs());
  state_.retry_at_ms = 0;
  retry_timer_.expires_after(std::chrono::milliseconds(wait_ms));
  retry_timer_.async_wait([this, self = shared_from_this()](std::error_code ec) {
    if (ec || closed_ || !parked_) return;
    RunParked();
  });
}

void Connection::RunParked() {
  parked_ = false;
  std::vector<std::string> argv = std::move(parked_args_);
  parked_args_.clear();
  std::vector<std::string_view> args(argv.begin(), argv.end());
  reply_.set_resp3(state_.resp3);
  {
    PushBatchScope push_batch;
    dispatching_ = true;
    dispatcher_.Dispatch(state_, reply_, args);
    dispatching_ = false;
  }
  reply_.set_resp3(state_.resp3);
  if (OutputOverLimit()) {
    CloseOverLimit();
    return;
  }
  if (state_.info->killed.load(std::memory_order_relaxed)) state_.close_after_reply = true;
  if (state_.retry_at_ms != 0) Park(std::move(argv));
  if (!write_pending_) ProcessInput();  // else the write in flight calls it when done
}

void Connection::OnPush(const std::string& bytes) {
  if (closed_) return;
  out_ += bytes;
  if (OutputOverLimit()) {
    CloseOverLimit();
    return;
  }
  // Write once the messages already queued on this worker are appended too: a burst of
  // publications becomes one write, not one per message.
  if (!write_pending_ && !flush_posted_) {
    flush_posted_ = true;
    asio::post(socket_.get_executor(), [this, self = shared_from_this()]() {
      flush_posted_ = false;
      if (!closed_ && !write_pending_ && !out_.empty()) WriteOut();
    });
  }
}

// client-output-buffer-limit of the client's class: pubsub for a client with subscriptions,
// normal for any other (by default "normal 0 0 0": no limit). The hard limit closes at once,
// the soft limit when the output stayed above it for more than its seconds. Checked whenever
// output is added (after each command, each push), as Redis checks it on every reply.
bool Connection::OutputOverLimit() {
  OutputLimit limit =
      state_.subscribed() ? server_.pubsub.pubsub_limit() : server_.pubsub.normal_limit();
  if (limit.hard == 0 && limit.soft == 0) return false;
  size_t pending = out_.size() + writing_.size();
  if (limit.hard > 0 && pending >= limit.hard) return true;
  if (limit.soft > 0 && pending >= limit.soft) {
    int64_t now = NowMs();
    if (soft_limit_since_ms_ == 0) {
      soft_limit_since_ms_ = now;
      return false;
    }
    return (now - soft_limit_since_ms_) / 1000 > limit.soft_seconds;
  }
  soft_limit_since_ms_ = 0;
  return false;
}

void Connection::CloseOverLimit() {
  // Redis closes such a client at once, dropping what it still holds for it: the replies of its
  // round are not sent.
  LogWarning("Client id=" + std::to_string(state_.info->id) + " addr=" + state_.info->addr +
             " closed for overcoming of output buffer limits.");
  out_.clear();
  Close();
}

void Connection::ReleaseWriting() {
  if (writing_.capacity() > kKeepBufferCapacity) {
    std::string().swap(writing_);
  } else {
    writing_.clear();
  }
}

void Connection::WriteOut() {
  writing_.swap(out_);
  out_.clear();
  WorkerStats::Bump(dispatcher_.stats().net_output_bytes, writing_.size());
  // Replies almost always fit in the socket's send buffer: write them now, and go through the
  // reactor only for what the kernel did not take. (async_write writes at once too, but then
  // posts its completion through the worker's queue: a scheduler round per request.)
  std::error_code ec;
  size_t n = socket_.write_some(asio::buffer(writing_), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    ec.clear();
    n = 0;
  }
  if (ec) {
    ReleaseWriting();
    Close();
    return;
  }
  if (n == writing_.size()) {
    ReleaseWriting();
    if (state_.close_after_reply) {
      Close();
    } else if (in_begin_ == in_end_ && !state_.blocked && !parked_) {
      ReadMore();  // nothing left to parse: wait for the next request
    } else {
      // Go on as a completed asynchronous write would: after the handlers already queued on
      // this worker (the pushes this round posted come before the next round's replies).
      write_pending_ = true;
      asio::post(socket_.get_executor(), [this, self = shared_from_this()]() {
        write_pending_ = false;
        if (!closed_) ProcessInput();
      });
    }
    return;
  }
  write_pending_ = true;
  asio::async_write(socket_, asio::buffer(writing_.data() + n, writing_.size() - n),
                    [this, self = shared_from_this()](std::error_code ec, size_t) {
    write_pending_ = false;
    ReleaseWriting();
    if (ec || closed_) {
      Close();
      return;
    }
    if (state_.close_after_reply) {
      Close();
      return;
    }
    ProcessInput();
  });
}

}  // namespace stash::server
