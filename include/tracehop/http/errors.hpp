#pragma once
// The HTTP client's typed errors: each a ClientError carrying a std::error_code, in the
// hierarchy aiohttp users know.
//
//   ClientError
//   ├── ClientConnectionError
//   │   ├── ClientConnectorError          could not connect (host, port, cause)
//   │   │   └── ClientSSLError            TLS handshake or certificate verification failed
//   │   ├── ServerDisconnectedError       the peer closed the connection mid-exchange
//   │   └── ServerTimeoutError            a timeout (which one: timeout_kind())
//   │       ├── ConnectionTimeoutError    connect, sock_connect, or waiting for the pool
//   │       └── SocketTimeoutError        sock_read: no byte from the server in time
//   ├── ClientResponseError               status >= 400 (raise_for_status), or a response that
//   │   │                                 is not valid HTTP (status 0)
//   │   └── TooManyRedirects
//   ├── ClientPayloadError                a body that is truncated, malformed or undecodable
//   └── InvalidURL                        before any I/O
//
// A request the caller cancels throws RequestCancelled instead: not a ClientError (as asyncio's
// CancelledError is not an aiohttp error), a boost::system::system_error whose code() is
// asio::error::operation_aborted, with a plain what().
//
// Each message names the host, port or URL and the cause.

#include <boost/system/system_error.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace tracehop::http {

enum class errc {
  invalid_url = 1,
  connect_failed,
  tls_failed,
  server_disconnected,
  timeout,
  bad_status,
  too_many_redirects,
  malformed_response,
  payload,
  session_closed,
  invalid_header,
};
const std::error_category& http_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), http_category()}; }

/// Which ClientTimeout limit expired.
enum class TimeoutKind { Total, Connect, SockConnect, SockRead };
const char* to_string(TimeoutKind k) noexcept;

class ClientError : public std::runtime_error {
 public:
  ClientError(std::error_code code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  const std::error_code& code() const noexcept { return code_; }

 private:
  std::error_code code_;
};

class ClientConnectionError : public ClientError {
 public:
  using ClientError::ClientError;
};

class ClientConnectorError : public ClientConnectionError {
 public:
  ClientConnectorError(std::error_code code, std::string host, unsigned short port,
                       const std::string& cause);
  const std::string& host() const noexcept { return host_; }
  unsigned short port() const noexcept { return port_; }

 protected:
  ClientConnectorError(std::error_code code, std::string host, unsigned short port,
                       const std::string& what_prefix, const std::string& cause);

 private:
  std::string host_;
  unsigned short port_;
};

class ClientSSLError : public ClientConnectorError {
 public:
  ClientSSLError(std::error_code code, std::string host, unsigned short port, const std::string& cause);
};

class ServerDisconnectedError : public ClientConnectionError {
 public:
  explicit ServerDisconnectedError(const std::string& where, std::error_code code = make_error_code(errc::server_disconnected));
};

class ServerTimeoutError : public ClientConnectionError {
 public:
  ServerTimeoutError(TimeoutKind kind, const std::string& where);
  TimeoutKind timeout_kind() const noexcept { return kind_; }

 private:
  TimeoutKind kind_;
};

class ConnectionTimeoutError : public ServerTimeoutError {
 public:
  using ServerTimeoutError::ServerTimeoutError;
};

class SocketTimeoutError : public ServerTimeoutError {
 public:
  using ServerTimeoutError::ServerTimeoutError;
};

class ClientResponseError : public ClientError {
 public:
  ClientResponseError(int status, std::string reason, std::string url,
                      std::error_code code = make_error_code(errc::bad_status));
  int status() const noexcept { return status_; }
  const std::string& reason() const noexcept { return reason_; }
  const std::string& url() const noexcept { return url_; }

 private:
  int status_;
  std::string reason_;
  std::string url_;
};

class TooManyRedirects : public ClientResponseError {
 public:
  TooManyRedirects(int status, std::string url, int max_redirects);
};

class ClientPayloadError : public ClientError {
 public:
  explicit ClientPayloadError(const std::string& message)
      : ClientError(make_error_code(errc::payload), message) {}
};

class InvalidURL : public ClientError {
 public:
  InvalidURL(std::string url, const std::string& why);
  const std::string& url() const noexcept { return url_; }

 private:
  std::string url_;
};

/// What a request throws when the caller cancels it: from a cancellation slot bound to the
/// co_await (a parallel group's wait_for_one, asio::bind_cancellation_slot, an awaitable
/// operator ||), or when its task is cancelled. The request's connection is closed, not pooled.
/// what(): "GET http://h/x cancelled while waiting for a connection to h:80".
class RequestCancelled : public boost::system::system_error {
 public:
  /// `doing`: what the request was doing ("reading the response from h:80"; empty: unknown).
  explicit RequestCancelled(std::string doing);
  /// The same for a known request.
  RequestCancelled(std::string_view method, std::string_view url, std::string doing);
  const char* what() const noexcept override { return message_.c_str(); }
  const std::string& doing() const noexcept { return doing_; }

 private:
  std::string doing_, message_;
};

/// Whether `e` is a request's cancellation (RequestCancelled, or Asio's own operation_aborted).
bool is_cancellation(const std::exception_ptr& e) noexcept;

namespace detail {
/// Rethrows `e`; a cancellation as a RequestCancelled that names the request (with `doing` when
/// Asio's own operation_aborted does not say what the request was doing).
[[noreturn]] void rethrow_naming_request(const std::exception_ptr& e, std::string_view method, std::string_view url,
                                         std::string doing = {});
}  // namespace detail

}  // namespace tracehop::http

template <>
struct std::is_error_code_enum<tracehop::http::errc> : std::true_type {};
