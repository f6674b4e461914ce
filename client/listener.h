// The invalidation listener: one dedicated connection on its own thread that receives
//  - server-assisted invalidations for the near cache: RESP3 "invalidate" push messages
//    (TrackingMode::kResp3), or messages on __redis__:invalidate (kResp2Redirect); the pool's
//    connections enable CLIENT TRACKING ... REDIRECT <this connection's id>;
//  - cross-process invalidation events published on the configured channel.
// It reconnects with backoff when the connection drops, and reports up/down so the Cache can
// switch the near cache off the moment invalidations may have been lost.
#ifndef STASH_CLIENT_LISTENER_H_
#define STASH_CLIENT_LISTENER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/config.h"
#include "client/connection.h"

namespace stash {

class InvalidationListener {
 public:
  struct Handlers {
    std::function<void(const std::vector<std::string>& keys)> keys;  // keys changed
    std::function<void()> flush;                                     // everything changed
    std::function<void(const std::string& payload)> event;           // on the events channel
    std::function<void(int64_t client_id)> up;  // subscribed; invalidations flow from now
    std::function<void()> down;                 // connection lost: invalidations may be lost
  };

  InvalidationListener(ConnectionOptions options, bool tracking, TrackingMode mode,
                       std::string events_channel, Handlers handlers, Logger log);
  ~InvalidationListener();

  void Start();
  void Stop();

  // One round trip through the listener connection: once it returns true, every invalidation
  // the server sent before answering has been handled. False when the listener is down.
  bool Sync(std::chrono::milliseconds timeout);

  bool connected() const;

 private:
  void Run();
  void Session();  // one connection's lifetime; throws when it ends
  void Handle(Reply& frame);

  ConnectionOptions options_;
  bool tracking_;
  TrackingMode mode_;
  std::string events_channel_;
  Handlers handlers_;
  Logger log_;

  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::shared_ptr<Connection> conn_;  // while connected and subscribed
  std::mutex send_mu_;
  uint64_t pings_sent_ = 0;
  uint64_t pongs_seen_ = 0;
};

}  // namespace stash

#endif  // STASH_CLIENT_LISTENER_H_
