// One client connection, pinned to one worker thread. It reads into a reusable buffer, parses
// every complete command in it, runs them in order and sends all their replies in one write.
// Reading and writing alternate: while replies are being written nothing more is read, so a
// client that never reads its replies only stalls itself.
#ifndef STASH_SERVER_CONNECTION_H_
#define STASH_SERVER_CONNECTION_H_

#include <asio.hpp>
#include <memory>
#include <string>
#include <vector>

#include "protocol/reply_builder.h"
#include "protocol/resp_parser.h"
#include "server/client_state.h"
#include "server/dispatcher.h"

namespace stash::server {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::ip::tcp::socket socket, Dispatcher& dispatcher);
  ~Connection();

  void Start();
  // Closes the socket; pending operations finish with an error and release the connection.
  void Close();
  ClientState& state() { return state_; }

 private:
  void ReadMore();
  void ProcessInput();
  void WriteOut();
  // Drops the reply bytes just written (or the buffer itself, when a huge reply grew it).
  void ReleaseWriting();
  void PrepareReadBuffer();
  void StartBlocking();
  void OnUnblocked(std::string reply);
  // A command the dispatcher asked to try again later (ClientState::retry_at_ms): it waits,
  // alone, on retry_timer_, while the rest of the pipeline waits behind it.
  void Park(std::vector<std::string> argv);
  void RunParked();
  // Bytes from another client's command (a Pub/Sub message, an invalidation).
  void OnPush(const std::string& bytes);
  bool OutputOverLimit();
  // Logs and closes a client past its output buffer limit, dropping its pending output.
  void CloseOverLimit();

  asio::ip::tcp::socket socket_;
  Dispatcher& dispatcher_;
  ServerState& server_;

  // The read buffer. Raw malloc memory, not a vector: growing it must not zero-fill (and so
  // touch) the room a client announced for a large argument but has not sent.
  struct ReadBuffer {
    char* data = nullptr;
    size_t size = 0;
    ~ReadBuffer();
    void Resize(size_t n);
  } in_;
  size_t in_begin_ = 0;  // first byte not yet consumed by the parser
  size_t in_end_ = 0;    // end of the bytes read so far
  std::string out_;      // replies being gathered
  std::string writing_;  // replies being written (swapped with out_)
  protocol::RequestParser parser_;
  protocol::ReplyBuilder reply_;
  ClientState state_;
  bool closed_ = false;
  bool reading_ = false;        // an async read is in flight
  bool write_pending_ = false;  // an async write is in flight
  asio::steady_timer block_timer_;
  asio::steady_timer retry_timer_;
  std::vector<std::string> parked_args_;
  bool parked_ = false;
  // A command of ours is running further up this thread's stack: a busy script serving the
  // worker's events from its hook may complete our reads and writes meanwhile, and their
  // handlers must not start another round of commands under it.
  bool dispatching_ = false;
  int64_t soft_limit_since_ms_ = 0;  // when the output first passed the soft limit, 0 = below
  bool flush_posted_ = false;        // a write of pushed messages is scheduled (OnPush)
};

}  // namespace stash::server

#endif  // STASH_SERVER_CONNECTION_H_
