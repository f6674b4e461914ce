// Server configuration: redis.conf-style directives from a file, from `--directive value` on the
// command line, and from CONFIG GET/SET at run time. One table describes every directive (name,
// type, default, whether CONFIG SET may change it), and everything else is generated from it.
//
// Thread safety: the accessors may be called from any worker thread while CONFIG SET runs on
// another; numeric values are atomics and strings are guarded by a mutex.
#ifndef STASH_SERVER_CONFIG_H_
#define STASH_SERVER_CONFIG_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stash::server {

// A bad directive or value while loading: names where it came from.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Config {
 public:
  Config();

  // Applies a redis.conf-style file. Throws ConfigError naming the file, line and directive.
  void LoadFile(const std::string& path);
  // Applies redis.conf-style text; `origin` names it in errors.
  void LoadText(std::string_view text, const std::string& origin);
  // Applies one directive at start-up (file or command line). Throws ConfigError.
  void ApplyAtStartup(std::string_view name, const std::vector<std::string>& values,
                      const std::string& where);

  // CONFIG SET name value [name value ...]: all or nothing. Returns "" on success, else the
  // whole error text as Redis 7 words it ("ERR Unknown option or number of arguments for
  // CONFIG SET - 'foo'", "ERR CONFIG SET failed (possibly related to argument 'x') - ...").
  std::string Set(const std::vector<std::pair<std::string_view, std::string_view>>& pairs);
  // CONFIG GET pattern [pattern ...]: (name, value) pairs, each name once, glob-matched
  // case-insensitively as Redis does.
  std::vector<std::pair<std::string, std::string>> Get(
      const std::vector<std::string_view>& patterns) const;
  // One directive's value exactly as CONFIG GET prints it (name matched case-insensitively, no
  // globs); nullopt for an unknown name. For the directives that have no typed accessor.
  std::optional<std::string> GetOne(std::string_view name) const;

  // Runs after CONFIG SET stored new values, once for each directive whose value changed (named
  // by its primary name, e.g. "replica-priority" for "slave-priority"), so the running server can
  // act on it (rebind after "port", new level after "loglevel"). A non-empty return rejects the
  // change: every value of that CONFIG SET is restored and the command fails with that text, as
  // Redis's "Unable to listen on this port". Register hooks before the server starts; they run
  // on the thread that executes CONFIG SET, never during start-up loading.
  using ApplyHook = std::function<std::string(std::string_view name)>;
  void AddApplyHook(ApplyHook hook);

  int port() const { return port_.load(); }
  // Addresses as configured, "-" prefix (optional address) included. Empty means listen on no
  // TCP address at all, as `bind ""` does in Redis 7.0.
  std::vector<std::string> bind() const;
  bool protected_mode() const { return protected_mode_.load(); }
  // DEL frees like UNLINK, and FLUSHDB/FLUSHALL without SYNC/ASYNC like ASYNC.
  bool lazyfree_lazy_user_del() const { return lazyfree_lazy_user_del_.load(); }
  bool lazyfree_lazy_user_flush() const { return lazyfree_lazy_user_flush_.load(); }
  std::string requirepass() const;
  int databases() const { return databases_.load(); }
  int64_t maxclients() const { return maxclients_.load(); }
  int64_t timeout_seconds() const { return timeout_.load(); }
  int64_t tcp_keepalive() const { return tcp_keepalive_.load(); }
  int threads() const { return threads_.load(); }  // 0 = one per core
  std::string loglevel() const;
  std::string logfile() const;
  int64_t maxmemory() const { return maxmemory_.load(); }
  std::string maxmemory_policy() const;
  int64_t proto_max_bulk_len() const { return proto_max_bulk_len_.load(); }
  int tcp_backlog() const { return tcp_backlog_.load(); }
  int hz() const { return hz_.load(); }  // already clamped to 1..500 as Redis does
  int maxmemory_samples() const { return maxmemory_samples_.load(); }
  int lfu_log_factor() const { return lfu_log_factor_.load(); }
  int lfu_decay_time() const { return lfu_decay_time_.load(); }
  // Keys the client-tracking table may remember before it invalidates some (0 = no limit).
  int64_t tracking_table_max_keys() const { return tracking_table_max_keys_.load(); }
  int64_t slowlog_log_slower_than() const { return slowlog_log_slower_than_.load(); }
  int64_t slowlog_max_len() const { return slowlog_max_len_.load(); }
  // Encoding thresholds of hashes and sets (Redis's hash-max-listpack-*, set-max-intset-entries).
  int64_t hash_max_listpack_entries() const { return hash_max_listpack_entries_.load(); }
  int64_t hash_max_listpack_value() const { return hash_max_listpack_value_.load(); }
  int64_t set_max_intset_entries() const { return set_max_intset_entries_.load(); }
  // Encoding thresholds of sorted sets (zset-max-listpack-entries / -value).
  int64_t zset_max_listpack_entries() const { return zset_max_listpack_entries_.load(); }
  int64_t zset_max_listpack_value() const { return zset_max_listpack_value_.load(); }
  // Node size of lists (list-max-listpack-size): negative = bytes (-2 = 8 KiB), positive = count.
  int list_max_listpack_size() const { return list_max_listpack_size_.load(); }
  // busy-reply-threshold (alias lua-time-limit), ms: past it a running script makes other
  // clients get BUSY; 0 = never.
  int64_t busy_reply_threshold() const { return busy_reply_threshold_.load(); }
  // The configuration file given at start-up, as an absolute path; "" when started without one
  // (CONFIG REWRITE then fails as Redis's does). INFO reports it as config_file.
  std::string config_file() const {
    std::lock_guard<std::mutex> lock(strings_mu_);
    return config_file_;
  }
  void set_config_file(std::string path) {
    std::lock_guard<std::mutex> lock(strings_mu_);
    config_file_ = std::move(path);
  }

  // Directive storage. Public so the directive table in config_directives.cc can point at it;
  // read through the accessors above.
  std::atomic<int> port_{6379};
  std::atomic<bool> protected_mode_{true};
  std::atomic<bool> lazyfree_lazy_user_del_{false};
  std::atomic<bool> lazyfree_lazy_user_flush_{false};
  std::atomic<int> databases_{16};
  std::atomic<int64_t> maxclients_{10000};
  std::atomic<int64_t> timeout_{0};
  std::atomic<int64_t> tcp_keepalive_{300};
  std::atomic<int> threads_{0};
  std::atomic<int64_t> maxmemory_{0};
  std::atomic<int64_t> proto_max_bulk_len_{512LL * 1024 * 1024};
  std::atomic<int> tcp_backlog_{511};
  std::atomic<int> hz_{10};
  std::atomic<int> maxmemory_samples_{5};
  std::atomic<int> lfu_log_factor_{10};
  std::atomic<int> lfu_decay_time_{1};
  std::atomic<int64_t> tracking_table_max_keys_{1000000};
  std::atomic<int64_t> slowlog_log_slower_than_{10000};
  std::atomic<int64_t> slowlog_max_len_{128};
  std::atomic<int64_t> hash_max_listpack_entries_{512};
  std::atomic<int64_t> hash_max_listpack_value_{64};
  std::atomic<int64_t> set_max_intset_entries_{512};
  std::atomic<int64_t> zset_max_listpack_entries_{128};
  std::atomic<int64_t> zset_max_listpack_value_{64};
  std::atomic<int> list_max_listpack_size_{-2};
  std::atomic<int64_t> busy_reply_threshold_{5000};

  mutable std::mutex strings_mu_;
  std::vector<std::string> bind_{"127.0.0.1", "-::1"};
  std::string requirepass_;
  std::string loglevel_{"notice"};
  std::string logfile_;
  std::string maxmemory_policy_{"noeviction"};
  std::string config_file_;
  // Directives Redis has that Stash accepts and reports but does not act on yet, so that
  // existing redis.conf files and CONFIG GET from tools keep working.
  std::vector<std::pair<std::string, std::string>> passive_;

  // Serializes CONFIG SET calls, so two of them cannot interleave their all-or-nothing checks.
  // Readers never take it; start-up loading runs before any other thread exists.
  mutable std::mutex set_mu_;
  std::vector<ApplyHook> apply_hooks_;
  // Start-up loading state: Redis resets the default `save` points at the first `save` line and
  // appends every later one; `include` nesting is bounded so a file including itself fails.
  bool save_loaded_ = false;
  int include_depth_ = 0;
};

}  // namespace stash::server

#endif  // STASH_SERVER_CONFIG_H_
