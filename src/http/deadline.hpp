#pragma once
// When an operation of a request must be done by, and which timeout it is if it is not (internal).
// The one place where a timeout becomes an exception: ServerTimeoutError for the total timeout,
// ConnectionTimeoutError for connect and sock_connect, SocketTimeoutError for sock_read.

#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "tracehop/http/errors.hpp"

namespace tracehop::http::detail {

using Clock = std::chrono::steady_clock;

struct Deadline {
  Clock::time_point at = Clock::time_point::max();  // max: none
  TimeoutKind kind = TimeoutKind::Total;

  /// `limit` from now (none if unset), raising `kind`.
  static Deadline after(std::optional<std::chrono::milliseconds> limit, TimeoutKind kind) {
    return {limit ? Clock::now() + *limit : Clock::time_point::max(), kind};
  }
  /// This deadline, or `limit` from now if that comes sooner (it then raises `k`).
  Deadline sooner(std::optional<std::chrono::milliseconds> limit, TimeoutKind k) const {
    if (limit && (at == Clock::time_point::max() || Clock::now() + *limit < at)) return {Clock::now() + *limit, k};
    return *this;
  }

  /// The typed timeout error, naming what was being waited for.
  [[noreturn]] void raise(const std::string& what) const {
    switch (kind) {
      case TimeoutKind::Total: throw ServerTimeoutError(kind, what);
      case TimeoutKind::Connect:
      case TimeoutKind::SockConnect: throw ConnectionTimeoutError(kind, what);
      case TimeoutKind::SockRead: throw SocketTimeoutError(kind, what);
    }
    throw ServerTimeoutError(kind, what);
  }

  /// Raises the timeout if the deadline has passed; `what()` names the operation.
  template <class What>
  void check(What&& what) const {
    if (at != Clock::time_point::max() && at <= Clock::now()) raise(what());
  }

  /// Sets the stream's timer to this deadline (or none). Raises the timeout at once if it has
  /// passed already; `what()` names the operation (built only then).
  template <class What>
  void arm(boost::beast::tcp_stream& stream, What&& what) const {
    if (at == Clock::time_point::max()) {
      stream.expires_never();
      return;
    }
    const auto left = at - Clock::now();
    if (left <= Clock::duration::zero()) raise(what());
    stream.expires_after(left);
  }
};

}  // namespace tracehop::http::detail
