#include "server/server.h"

#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <random>
#include <stdexcept>
#include <thread>

#include "server/active_expire.h"
#include "server/command_table.h"
#include "server/scripting/scripting.h"
#include "server/connection.h"
#include "server/dispatcher.h"
#include "server/eviction.h"
#include "server/logging.h"
#include "server/server_state.h"
#include "storage/memory_counter.h"

namespace stash::server {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string RandomRunId() {
  std::random_device rd;
  std::mt19937_64 gen(rd());
  static const char kHex[] = "0123456789abcdef";
  std::string id(40, '0');
  for (char& c : id) c = kHex[gen() % 16];
  return id;
}

int WorkerCount(const Config& config) {
  int n = config.threads();
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  return n <= 0 ? 1 : n;
}

storage::KeyspaceOptions KeyspaceOptionsFor(const Config& config) {
  storage::KeyspaceOptions options;
  options.databases = config.databases();
  return options;
}

}  // namespace

ServerState::ServerState(std::shared_ptr<Config> cfg, int workers)
    : config(std::move(cfg)),
      keyspace(KeyspaceOptionsFor(*config)),
      exec_lock(workers),
      worker_count(workers) {
  size_t commands = CommandTable::Get().by_id().size();
  for (int i = 0; i < workers; ++i) worker_stats.push_back(std::make_unique<WorkerStats>(commands));
  start_time_ms = NowMs();
  run_id = RandomRunId();
  eviction = std::make_shared<EvictionState>(*this, workers);
  // Weak: the configuration may outlive this server (an embedding program starting another).
  std::weak_ptr<EvictionState> weak = eviction;
  config->AddApplyHook([weak](std::string_view name) -> std::string {
    auto e = weak.lock();
    if (e && EvictionState::IsPolicySetting(name)) e->ApplyConfig();
    return "";
  });
  scripting = std::make_shared<scripting::Scripting>(script_state);
  pubsub.WatchConfig(config);
  for (int db = 0; db < keyspace.database_count(); ++db) {
    key_events.push_back(std::make_unique<KeyEvents>(*this, db));
    keyspace.db(db).set_observer(key_events.back().get());
  }
}

struct Worker {
  Worker(ServerState& state, int id, int count)
      : dispatcher(state, id), guard(io.get_executor()), cron(io), expire(state, io, id, count) {
    // A busy script on this worker serves the worker's other events from its Lua hook, a
    // bounded batch at a time (see Dispatcher::PollWhileScriptBusy).
    dispatcher.set_event_poller([this]() {
      for (int i = 0; i < 256 && io.poll_one() > 0; ++i) {
      }
    });
  }
  // One thread runs this context, and every operation on a connection's socket starts on it
  // (accepted sockets reach their worker through a post; a busy script's hook polls on the
  // same thread), so the reactor's per-socket mutex has nothing to guard: UNSAFE_IO drops it
  // (three lock/unlock pairs per request, ~5% of a request's instructions). Posting from other
  // threads still locks the scheduler's queue, and registering a socket (done by the
  // acceptor's thread) stays locked too.
  asio::io_context io{ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  Dispatcher dispatcher;
  asio::executor_work_guard<asio::io_context::executor_type> guard;
  asio::steady_timer cron;  // once a second: idle-client timeout
  ActiveExpire expire;      // this worker's share of the expired keys
  asio::steady_timer evict_timer{io};  // maxmemory: evicts in bounded steps when over
  std::thread thread;
  // Live connections, so Stop() can close them; touched only on this worker's thread.
  std::vector<std::weak_ptr<Connection>> connections;
};

class Server::Impl {
 public:
  explicit Impl(std::shared_ptr<Config> config) {
    int workers = WorkerCount(*config);
    state_ = std::make_unique<ServerState>(std::move(config), workers);
    for (int i = 0; i < workers; ++i) workers_.push_back(std::make_unique<Worker>(*state_, i, workers));
    state_->request_shutdown = [this]() { RequestShutdown(); };
  }

  ~Impl() { Stop(); }

  void Start() {
    const Config& config = *state_->config;
    int port = config.port();
    for (const std::string& entry : config.bind()) {
      bool optional = !entry.empty() && entry[0] == '-';
      std::string host = optional ? entry.substr(1) : entry;
      std::error_code ec;
      asio::ip::address address = asio::ip::make_address(host == "*" ? "0.0.0.0" : host, ec);
      if (!ec) {
        asio::ip::tcp::acceptor acceptor(workers_[0]->io);
        asio::ip::tcp::endpoint endpoint(address, static_cast<uint16_t>(port));
        acceptor.open(endpoint.protocol(), ec);
        if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec && address.is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
        if (!ec) acceptor.bind(endpoint, ec);
        if (!ec) acceptor.listen(511, ec);
        if (!ec) {
          // With port 0 the first address picks the port and the others reuse it.
          if (port == 0) port = acceptor.local_endpoint().port();
          acceptors_.push_back(std::make_unique<asio::ip::tcp::acceptor>(std::move(acceptor)));
          continue;
        }
      }
      if (!optional) {
        acceptors_.clear();
        throw std::runtime_error("Could not create server TCP listening socket " + host + ":" +
                                 std::to_string(port) + ": " + ec.message());
      }
      LogWarning("Could not bind optional address " + host + ": " + ec.message());
    }
    if (acceptors_.empty()) throw std::runtime_error("no address to listen on");
    state_->tcp_port = port;
    state_->startup_memory.store(storage::memory::Used());
    for (auto& acceptor : acceptors_) Accept(*acceptor);
    for (auto& worker : workers_) {
      Worker* w = worker.get();
      ScheduleCron(w);
      w->expire.Start();
      ScheduleEviction(w, std::chrono::milliseconds(100));
      w->thread = std::thread([w]() { w->io.run(); });
    }
    LogNotice("Stash ready to accept connections on port " + std::to_string(port) + " with " +
              std::to_string(workers_.size()) + " worker threads");
  }

  int port() const { return state_->tcp_port; }

  void Stop() {
    if (stopped_.exchange(true)) return;
    for (auto& acceptor : acceptors_) {
      asio::post(workers_[0]->io, [a = acceptor.get()]() {
        std::error_code ec;
        a->close(ec);
      });
    }
    for (auto& worker : workers_) {
      Worker* w = worker.get();
      asio::post(w->io, [w]() {
        for (auto& weak : w->connections) {
          if (auto c = weak.lock()) c->Close();
        }
        w->connections.clear();
        w->cron.cancel();
        w->expire.Stop();
        w->evict_timer.cancel();
        w->guard.reset();
      });
    }
    for (auto& worker : workers_) {
      if (worker->thread.joinable()) worker->thread.join();
    }
    acceptors_.clear();
    workers_.clear();  // destroys io_contexts and with them any connection still referenced
    {
      std::lock_guard<std::mutex> lock(mu_);
      finished_ = true;
    }
    cv_.notify_all();
  }

  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this]() { return finished_ || shutdown_requested_; });
  }

 private:
  void RequestShutdown() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      shutdown_requested_ = true;
    }
    cv_.notify_all();
  }

  // Closes clients idle for longer than `timeout` seconds, as Redis's clientsCronHandleTimeout
  // does (clients inside MULTI are not exempt there either, Pub/Sub clients are).
  void ScheduleCron(Worker* w) {
    w->cron.expires_after(std::chrono::seconds(1));
    w->cron.async_wait([this, w](std::error_code ec) {
      if (ec || stopped_) return;
      int64_t timeout = state_->config->timeout_seconds();
      if (timeout > 0) {
        int64_t now = NowMs();
        for (auto& weak : w->connections) {
          auto c = weak.lock();
          // Clients in Pub/Sub mode wait for messages: Redis never times them out.
          if (!c || c->state().subscribed()) continue;
          int64_t idle_ms = now - c->state().info->last_interaction_ms.load();
          if (idle_ms > timeout * 1000) c->Close();
        }
      }
      // BCAST invalidations of keys changed outside commands (expiry, eviction).
      state_->tracking.FlushBroadcasts();
      ScheduleCron(w);
    });
  }

  // Keeps memory under maxmemory when no command comes to do it (CONFIG SET maxmemory lowered
  // it, or keys grew through commands that do not evict): a bounded eviction step (the
  // tenacity time limit), repeated after 1 ms while the step ran out of time with memory still
  // over the limit, otherwise a check every 100 ms.
  void ScheduleEviction(Worker* w, std::chrono::milliseconds delay) {
    w->evict_timer.expires_after(delay);
    w->evict_timer.async_wait([this, w](std::error_code ec) {
      if (ec || stopped_) return;
      // Not from inside a busy script's hook: the script's keys must not vanish under it.
      bool over = !ExecLock::HeldExclusivelyHere() &&
                  state_->eviction->Cron(w->dispatcher.worker_id(), NowMs());
      ScheduleEviction(w, std::chrono::milliseconds(over ? 1 : 100));
    });
  }

  void Accept(asio::ip::tcp::acceptor& acceptor) {
    size_t index = next_worker_++ % workers_.size();
    Worker* worker = workers_[index].get();
    acceptor.async_accept(worker->io, [this, &acceptor, worker](std::error_code ec,
                                                                asio::ip::tcp::socket socket) {
      if (ec == asio::error::operation_aborted || stopped_) return;
      if (!ec) {
        asio::post(worker->io, [this, worker, s = std::move(socket)]() mutable {
          OnAccepted(worker, std::move(s));
        });
      }
      Accept(acceptor);
    });
  }

  void OnAccepted(Worker* worker, asio::ip::tcp::socket socket) {
    WorkerStats& stats = worker->dispatcher.stats();
    WorkerStats::Bump(stats.connections_received);
    std::error_code ec;
    if (static_cast<int64_t>(state_->clients.size()) >= state_->config->maxclients()) {
      WorkerStats::Bump(stats.rejected_connections);
      static const char kMaxClients[] = "-ERR max number of clients reached\r\n";
      asio::write(socket, asio::buffer(kMaxClients, sizeof(kMaxClients) - 1), ec);
      socket.close(ec);
      return;
    }
    auto remote = socket.remote_endpoint(ec);
    if (!ec && state_->config->protected_mode() && state_->config->requirepass().empty() &&
        !remote.address().is_loopback() &&
        !(remote.address().is_v6() && remote.address().to_v6().is_v4_mapped() &&
          asio::ip::make_address_v4(asio::ip::v4_mapped, remote.address().to_v6()).is_loopback())) {
      WorkerStats::Bump(stats.rejected_connections);
      static const char kDenied[] =
          "-DENIED Stash is running in protected mode because protected mode is enabled and no "
          "password is set for the default user. In this mode connections are only accepted "
          "from the loopback interface. Set a password with requirepass, or disable protected "
          "mode with CONFIG SET protected-mode no from a loopback connection.\r\n";
      asio::write(socket, asio::buffer(kDenied, sizeof(kDenied) - 1), ec);
      socket.close(ec);
      return;
    }
    auto connection = std::make_shared<Connection>(std::move(socket), worker->dispatcher);
    // Forget closed connections now and then so the list stays as long as the live ones.
    auto& list = worker->connections;
    if (list.size() >= 64 && list.size() % 64 == 0) {
      std::erase_if(list, [](const std::weak_ptr<Connection>& w) { return w.expired(); });
    }
    list.push_back(connection);
    connection->Start();
  }

  std::unique_ptr<ServerState> state_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::atomic<size_t> next_worker_{0};
  std::atomic<bool> stopped_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool finished_ = false;
  bool shutdown_requested_ = false;
};

Server::Server(std::shared_ptr<Config> config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Server::~Server() = default;
void Server::Start() { impl_->Start(); }
int Server::port() const { return impl_->port(); }
void Server::Stop() { impl_->Stop(); }
void Server::Wait() { impl_->Wait(); }

}  // namespace stash::server
