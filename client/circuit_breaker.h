// A circuit breaker: after `threshold` consecutive failures the server is not tried for
// `recovery`; then exactly one caller is let through as a probe (half-open). The probe's
// success closes the breaker, its failure opens it for another recovery period. The clock is
// injectable so tests advance time instead of sleeping.
#ifndef STASH_CLIENT_CIRCUIT_BREAKER_H_
#define STASH_CLIENT_CIRCUIT_BREAKER_H_

#include <chrono>
#include <functional>
#include <mutex>

namespace stash {

class CircuitBreaker {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  enum class State { kClosed, kOpen, kHalfOpen };

  CircuitBreaker(int threshold, std::chrono::milliseconds recovery, Clock clock = nullptr);

  // May this call go to the server? In half-open state only the single probe gets true.
  bool Allow();
  // Outcome of a call that Allow() let through. Each returns the state change it caused, if
  // any, as the new state (so the caller can log once per change); otherwise the old state.
  State OnSuccess();
  State OnFailure();
  // A call Allow() let through ended without telling anything about the server (e.g. no pooled
  // connection was free): if it was the half-open probe, the next caller may probe instead.
  void Abandon();

  State state() const;
  int consecutive_failures() const;

  static const char* Name(State s);

 private:
  std::chrono::steady_clock::time_point Now() const;

  const int threshold_;
  const std::chrono::milliseconds recovery_;
  Clock clock_;
  mutable std::mutex mu_;
  State state_ = State::kClosed;
  int failures_ = 0;
  bool probe_out_ = false;
  std::chrono::steady_clock::time_point opened_at_{};
};

}  // namespace stash

#endif  // STASH_CLIENT_CIRCUIT_BREAKER_H_
