#include "client/circuit_breaker.h"

namespace stash {

CircuitBreaker::CircuitBreaker(int threshold, std::chrono::milliseconds recovery, Clock clock)
    : threshold_(threshold), recovery_(recovery), clock_(std::move(clock)) {}

std::chrono::steady_clock::time_point CircuitBreaker::Now() const {
  return clock_ ? clock_() : std::chrono::steady_clock::now();
}

bool CircuitBreaker::Allow() {
  std::lock_guard<std::mutex> lock(mu_);
  switch (state_) {
    case State::kClosed:
      return true;
    case State::kOpen:
      if (Now() - opened_at_ < recovery_) return false;
      state_ = State::kHalfOpen;
      probe_out_ = true;
      return true;
    case State::kHalfOpen:
      // One probe at a time; everyone else keeps using the fallback until it reports.
      if (probe_out_) return false;
      probe_out_ = true;
      return true;
  }
  return false;
}

CircuitBreaker::State CircuitBreaker::OnSuccess() {
  std::lock_guard<std::mutex> lock(mu_);
  failures_ = 0;
  probe_out_ = false;
  state_ = State::kClosed;
  return state_;
}

CircuitBreaker::State CircuitBreaker::OnFailure() {
  std::lock_guard<std::mutex> lock(mu_);
  ++failures_;
  if (state_ == State::kHalfOpen || (state_ == State::kClosed && failures_ >= threshold_)) {
    state_ = State::kOpen;
    opened_at_ = Now();
    probe_out_ = false;
  }
  return state_;
}

void CircuitBreaker::Abandon() {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == State::kHalfOpen) probe_out_ = false;
}

CircuitBreaker::State CircuitBreaker::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

int CircuitBreaker::consecutive_failures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failures_;
}

const char* CircuitBreaker::Name(State s) {
  switch (s) {
    case State::kClosed:
      return "closed";
    case State::kOpen:
      return "open";
    case State::kHalfOpen:
      return "half-open";
  }
  return "?";
}

}  // namespace stash
