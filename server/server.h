// A Stash server that can run inside any process: main() uses it, and so do tests, which start
// one on port 0 and stop it when done. Asio stays behind the Impl so that including this header
// is cheap.
#ifndef STASH_SERVER_SERVER_H_
#define STASH_SERVER_SERVER_H_

#include <memory>

#include "server/config.h"

namespace stash::server {

class Server {
 public:
  explicit Server(std::shared_ptr<Config> config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every address in `bind` and starts the worker threads. Throws std::runtime_error
  // when a mandatory address cannot be bound.
  void Start();
  // The TCP port actually bound (useful after starting with port 0).
  int port() const;
  // Stops accepting, closes every connection and joins the workers. Idempotent.
  void Stop();
  // Blocks until a client sends SHUTDOWN or Stop() is called.
  void Wait();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stash::server

#endif  // STASH_SERVER_SERVER_H_
