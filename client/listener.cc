#include "client/listener.h"

#include "client/errors.h"

namespace stash {
namespace {

constexpr std::string_view kTrackingChannel = "__redis__:invalidate";
constexpr std::chrono::milliseconds kMinBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{2000};

std::vector<std::string> KeysOf(const Reply& r) {
  std::vector<std::string> keys;
  if (r.is_aggregate()) {
    for (const Reply& k : r.elems) keys.push_back(k.str);
  } else if (r.is_string()) {
    keys.push_back(r.str);
  }
  return keys;
}

}  // namespace

InvalidationListener::InvalidationListener(ConnectionOptions options, bool tracking,
                                           TrackingMode mode, std::string events_channel,
                                           Handlers handlers, Logger log)
    : options_(std::move(options)), tracking_(tracking), mode_(mode),
      events_channel_(std::move(events_channel)), handlers_(std::move(handlers)),
      log_(std::move(log)) {
  options_.resp3 = tracking_ && mode_ == TrackingMode::kResp3;
  options_.client_name = "stash-invalidation-listener";
}

InvalidationListener::~InvalidationListener() { Stop(); }

void InvalidationListener::Start() { thread_ = std::thread([this] { Run(); }); }

void InvalidationListener::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
    if (conn_) conn_->Shutdown();  // wakes the blocked read
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool InvalidationListener::connected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return conn_ != nullptr;
}

bool InvalidationListener::Sync(std::chrono::milliseconds timeout) {
  std::shared_ptr<Connection> conn;
  uint64_t ticket;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!conn_) return false;
    conn = conn_;
    ticket = ++pings_sent_;
  }
  try {
    std::lock_guard<std::mutex> lock(send_mu_);
    conn->Send({"PING"});
  } catch (const CacheError&) {
    return false;
  }
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return pongs_seen_ >= ticket || conn_ != conn; }) &&
         conn_ == conn;
}

void InvalidationListener::Run() {
  auto backoff = kMinBackoff;
  bool logged_down = false;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    bool was_up = false;
    try {
      Session();
    } catch (const ServerError& e) {
      // The server refused a command the listener needs (no Pub/Sub or tracking): retrying
      // will not help. The near cache stays off.
      if (log_) log_(LogLevel::kError, std::string("invalidation listener disabled: ") + e.what());
      std::lock_guard<std::mutex> lock(mu_);
      conn_.reset();
      return;
    } catch (const CacheError& e) {
      std::unique_lock<std::mutex> lock(mu_);
      was_up = conn_ != nullptr;
      conn_.reset();
      cv_.notify_all();
      if (stop_) return;
      lock.unlock();
      if (was_up && handlers_.down) handlers_.down();
      if ((was_up || !logged_down) && log_) {
        log_(LogLevel::kWarning, std::string("invalidation listener disconnected: ") + e.what());
      }
      logged_down = true;
    }
    if (was_up) backoff = kMinBackoff;
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, backoff, [&] { return stop_; });
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

void InvalidationListener::Session() {
  std::shared_ptr<Connection> conn(Connection::Open(options_));
  std::vector<std::string_view> channels;
  if (tracking_ && mode_ == TrackingMode::kResp2Redirect) channels.push_back(kTrackingChannel);
  if (!events_channel_.empty()) channels.push_back(events_channel_);
  if (!channels.empty()) {
    Command subscribe{"SUBSCRIBE"};
    subscribe.insert(subscribe.end(), channels.begin(), channels.end());
    conn->Send(subscribe);
    for (size_t confirmed = 0; confirmed < channels.size();) {
      Reply r = conn->ReadFrame(options_.socket_timeout);
      if (r.is_error()) throw ServerError("SUBSCRIBE: " + r.str);
      if (r.is_aggregate() && !r.elems.empty() && r.elems[0].str == "subscribe") ++confirmed;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    conn_ = conn;
  }
  if (handlers_.up) handlers_.up(conn->id());
  if (log_) log_(LogLevel::kInfo, "invalidation listener connected");
  while (true) {
    Reply frame = conn->ReadFrame(std::chrono::milliseconds(-1));
    Handle(frame);
  }
}

void InvalidationListener::Handle(Reply& frame) {
  if (frame.type == Reply::Type::kSimple && frame.str == "PONG") {
    std::lock_guard<std::mutex> lock(mu_);
    ++pongs_seen_;
    cv_.notify_all();
    return;
  }
  if (!frame.is_aggregate() || frame.elems.empty()) return;
  const std::string& kind = frame.elems[0].str;
  if (kind == "pong") {  // PING in RESP2 subscribed mode
    std::lock_guard<std::mutex> lock(mu_);
    ++pongs_seen_;
    cv_.notify_all();
  } else if (kind == "invalidate" && frame.elems.size() >= 2) {  // RESP3 push
    if (frame.elems[1].is_null()) {
      if (handlers_.flush) handlers_.flush();
    } else if (handlers_.keys) {
      handlers_.keys(KeysOf(frame.elems[1]));
    }
  } else if (kind == "message" && frame.elems.size() >= 3) {
    const Reply& payload = frame.elems[2];
    if (frame.elems[1].str == kTrackingChannel) {
      if (payload.is_null()) {
        if (handlers_.flush) handlers_.flush();
      } else if (handlers_.keys) {
        handlers_.keys(KeysOf(payload));
      }
    } else if (handlers_.event) {
      handlers_.event(payload.str);
    }
  }
}

}  // namespace stash
