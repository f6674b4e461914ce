// Single flight: concurrent callers asking for the same key share one computation. The first
// caller (the leader) runs the function; the others wait for its result, or its exception.
#ifndef STASH_CLIENT_SINGLE_FLIGHT_H_
#define STASH_CLIENT_SINGLE_FLIGHT_H_

#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <unordered_map>

namespace stash {

class SingleFlight {
 public:
  // Runs fn once per key among the calls that overlap in time; every caller gets its result.
  std::string Do(const std::string& key, const std::function<std::string()>& fn) {
    std::unique_lock<std::mutex> lock(mu_);
    auto it = calls_.find(key);
    if (it != calls_.end()) {
      std::shared_future<std::string> f = it->second.result;
      ++it->second.followers;
      lock.unlock();
      return f.get();
    }
    std::promise<std::string> promise;
    calls_.emplace(key, Call{promise.get_future().share(), 0});
    lock.unlock();
    try {
      std::string v = fn();
      Finish(key);
      promise.set_value(v);
      return v;
    } catch (...) {
      Finish(key);
      promise.set_exception(std::current_exception());
      throw;
    }
  }

  // Runs fn only if no refresh of key is in flight; returns whether it ran (early refresh: one
  // refresher, everyone else keeps the current value meanwhile).
  bool TryRefresh(const std::string& key, const std::function<void()>& fn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!refreshing_.emplace(key, true).second) return false;
    }
    try {
      fn();
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu_);
      refreshing_.erase(key);
      throw;
    }
    std::lock_guard<std::mutex> lock(mu_);
    refreshing_.erase(key);
    return true;
  }

  // How many callers are waiting for the leader of key's call (0 when none is in flight).
  size_t followers(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = calls_.find(key);
    return it == calls_.end() ? 0 : it->second.followers;
  }

 private:
  struct Call {
    std::shared_future<std::string> result;
    size_t followers;
  };

  void Finish(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.erase(key);
  }

  std::mutex mu_;
  std::unordered_map<std::string, Call> calls_;
  std::unordered_map<std::string, bool> refreshing_;
};

}  // namespace stash

#endif  // STASH_CLIENT_SINGLE_FLIGHT_H_
