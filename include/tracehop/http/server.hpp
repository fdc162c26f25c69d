#pragma once
// A small HTTP/1.1 server on Boost.Beast: routes with path templates, coroutine handlers,
// keep-alive, limits and timeouts, graceful stop. Enough for tests, the demo and `tracehop
// serve`; the server instrumentation wraps its handlers through middleware.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tracehop/http/headers.hpp"

namespace tracehop::http {

struct ServerRequest {
  std::string method;
  std::string target;  // as received: path and query
  std::string path;    // percent-encoded, as received
  std::string query;   // without the '?'
  Headers headers;
  std::string body;
  /// Set by the router: the matched template ("/items/{sku}") and its captured segments.
  std::string route;
  std::vector<std::pair<std::string, std::string>> path_params;
  std::string remote_address;
  unsigned short remote_port = 0;
  std::string local_address;
  unsigned short local_port = 0;
  int version = 11;  // 10 or 11

  /// A captured path segment (percent-decoded), or "" if there is none of that name.
  std::string param(std::string_view name) const;
};

struct ServerResponse {
  int status = 200;
  Headers headers;
  std::string body;

  static ServerResponse text(int status, std::string body,
                             std::string_view content_type = "text/plain; charset=utf-8");
  static ServerResponse json(int status, const boost::json::value& value);
};

using Handler = std::function<boost::asio::awaitable<ServerResponse>(ServerRequest&)>;
/// Runs around every routed request (also 404 and 405 answers); call `next` to go on.
using Middleware =
    std::function<boost::asio::awaitable<ServerResponse>(ServerRequest&, const Handler& next)>;

struct ServerOptions {
  std::string host = "127.0.0.1";  // a literal address: 127.0.0.1, ::1, 0.0.0.0
  unsigned short port = 0;         // 0: any free port (see Server::port())
  std::size_t max_header_bytes = 16 * 1024;  // larger: 431
  std::size_t max_header_count = 100;        // more fields: 431
  std::size_t max_body_bytes = 8 * 1024 * 1024;  // larger: 413
  /// Time to receive a request's header and body once it has begun.
  std::chrono::milliseconds read_timeout{30'000};
  /// How long an idle keep-alive connection waits for its next request.
  std::chrono::milliseconds keepalive_timeout{15'000};
};

/// Thread-safety: configure (route, use) before start(); the rest may be called from any thread.
class Server {
 public:
  Server(boost::asio::any_io_executor executor, ServerOptions options);
  explicit Server(boost::asio::any_io_executor executor);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Adds a route. `method` is an HTTP method or "*"; `pattern` a path whose segments may be
  /// `{name}` placeholders. The first matching route wins.
  void route(std::string_view method, std::string_view pattern, Handler handler);
  void use(Middleware middleware);

  /// Binds, listens and starts accepting. Throws std::system_error (e.g. address in use).
  void start();
  /// Stops accepting, lets every in-flight request finish (each gets `Connection: close`),
  /// closes idle connections, and returns when all connections are gone.
  boost::asio::awaitable<void> stop();

  unsigned short port() const noexcept;
  const std::string& host() const noexcept;
  /// `http://host:port` (IPv6 hosts in brackets).
  std::string url() const;

  struct Stats {
    std::size_t accepted = 0;         // connections
    std::size_t open = 0;             // connections now
    std::size_t peak_open = 0;        // most connections open at once
    std::size_t requests = 0;         // requests answered
  };
  Stats stats() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace tracehop::http
