// The exceptions of the client library. In the default (lenient) mode the Cache catches all of
// them and degrades to misses and the fallback; strict mode lets them through to the caller.
#ifndef STASH_CLIENT_ERRORS_H_
#define STASH_CLIENT_ERRORS_H_

#include <stdexcept>
#include <string>

namespace stash {

class CacheError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A bad setting, reported when the configuration is built (start-up), never later.
class ConfigError : public CacheError {
 public:
  using CacheError::CacheError;
};

// The server could not be reached, or the connection broke or timed out mid-command.
class ConnectionError : public CacheError {
 public:
  using CacheError::CacheError;
};

// Every pooled connection stayed busy for the whole pool timeout.
class PoolTimeoutError : public CacheError {
 public:
  using CacheError::CacheError;
};

// The server answered with an error reply (the text is Redis's, e.g. "WRONGTYPE ...").
class ServerError : public CacheError {
 public:
  using CacheError::CacheError;
};

// The circuit breaker is open: the server failed repeatedly and is not being tried right now.
class CircuitOpenError : public CacheError {
 public:
  using CacheError::CacheError;
};

}  // namespace stash

#endif  // STASH_CLIENT_ERRORS_H_
