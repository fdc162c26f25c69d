#pragma once
// A small HTTP/1.1 server on Boost.Beast: routes with path templates, coroutine handlers,
// streamed bodies, keep-alive, limits and timeouts, graceful stop. Enough for tests, the demo and
// `tracehop serve`; the server instrumentation is a RequestObserver (the server knows no spans).
//
// Faults stay in their connection: a handler or middleware that throws anything gets the client
// a 500 (the exception is logged with the route), an error reading or writing one connection
// (reset, broken pipe, timeout) ends that connection, and nothing thrown inside a connection
// reaches io_context::run().

#include "tracehop/asio_config.hpp"  // first: it checks how Asio is configured

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tracehop/http/headers.hpp"
#include "tracehop/http/signal_context.hpp"

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

/// Where a streamed response body goes (see ServerResponse::stream). Given by the server.
class BodyWriter {
 public:
  /// Sends `data` as the next piece of the body: the status line and headers go first, on the
  /// first call; HTTP/1.1 gets one chunk, HTTP/1.0 the bytes as they are. An empty `data` sends
  /// nothing. Throws boost::system::system_error if the client is gone or stops reading.
  virtual boost::asio::awaitable<void> write(std::string_view data) = 0;
  /// Whether any byte of the response (its headers included) has been sent.
  virtual bool started() const noexcept = 0;

 protected:
  ~BodyWriter() = default;
};

/// Produces a response body while it is sent. Runs after every middleware has returned, in the
/// connection's task, with the context the middleware left for it (the server instrumentation
/// keeps its SERVER span current and open until the body ends).
using BodyStream = std::function<boost::asio::awaitable<void>(BodyWriter&)>;

/// What a handler answers. The server makes it valid before it is sent (RFC 9110): no body on a
/// 1xx, 204, 205 or 304 (a handler's body is dropped and logged once per route), headers only
/// for HEAD, the framing headers (Content-Length, Transfer-Encoding) its own. A status outside
/// 200-599 or a header field that is not a token name with a value free of CR, LF and NUL is
/// answered 500 instead, and logged once per route.
struct ServerResponse {
  int status = 200;
  Headers headers;
  std::string body;
  /// If set, the body is sent from this function instead of `body`, chunked. If it throws before
  /// anything was sent, the answer is a 500; after, the connection is closed without the last
  /// chunk, so the client sees a body cut short (never a complete-looking one).
  BodyStream stream;

  static ServerResponse text(int status, std::string body,
                             std::string_view content_type = "text/plain; charset=utf-8");
  static ServerResponse json(int status, const boost::json::value& value);
  static ServerResponse streamed(int status, BodyStream stream,
                                 std::string_view content_type = "application/octet-stream");
};

using Handler = std::function<boost::asio::awaitable<ServerResponse>(ServerRequest&)>;
/// Runs around every routed request (also 404 and 405 answers); call `next` to go on.
using Middleware =
    std::function<boost::asio::awaitable<ServerResponse>(ServerRequest&, const Handler& next)>;

/// Sees each routed request begin and end, in the connection's task, around every middleware
/// and the handler: what an instrumentation subscribes with (the server instrumentation is
/// one). Unlike a middleware it costs no coroutine of its own. `state` is this observer's, from
/// on_request to the end. An observer that throws is logged; the request goes on.
class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  /// The request is read and routed (ServerRequest::route is set); nothing has run for it.
  virtual void on_request(ServerRequest& request, SignalContext& state) = 0;
  /// The answer, before it is sent; it may still change (say, its stream wrapped).
  virtual void on_response(const ServerRequest& request, ServerResponse& response, SignalContext& state) = 0;
  /// A middleware or the handler threw `error`: the server answers 500.
  virtual void on_exception(const ServerRequest& request, const std::exception_ptr& error, SignalContext& state) = 0;
};

struct ServerOptions {
  std::string host = "127.0.0.1";  // an address (127.0.0.1, ::1, 0.0.0.0), or a name: its first address
  unsigned short port = 0;         // 0: any free port (see Server::port())
  std::size_t max_header_bytes = 16 * 1024;  // larger: 431
  std::size_t max_header_count = 100;        // more fields: 431
  std::size_t max_body_bytes = 8 * 1024 * 1024;  // larger: 413
  /// Time to receive a request's header and body once it has begun.
  std::chrono::milliseconds read_timeout{30'000};
  /// How long an idle keep-alive connection waits for its next request.
  std::chrono::milliseconds keepalive_timeout{15'000};
};

/// Thread-safety: configure (route, use, observe) before start(); the rest may be called from any
/// thread.
class Server {
 public:
  Server(boost::asio::any_io_executor executor, ServerOptions options);
  explicit Server(boost::asio::any_io_executor executor);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Adds a route. `method` is an HTTP method or "*"; `pattern` a path whose segments may be
  /// `{name}` placeholders. The first matching route wins. A GET route also answers HEAD (with
  /// the headers of its GET answer) unless a HEAD route for the path comes first.
  void route(std::string_view method, std::string_view pattern, Handler handler);
  void use(Middleware middleware);
  /// Adds an observer (see RequestObserver). Observers see a request begin in the order added and
  /// end in the reverse order, as nested scopes do.
  void observe(std::shared_ptr<RequestObserver> observer);

  /// Binds, listens and starts accepting. Throws std::system_error whose what() says where and
  /// why ("cannot listen on 127.0.0.1:8080: Address already in use").
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
    /// Requests answered 500 for what a handler or middleware threw or for an answer that could
    /// not be sent as built, and streamed bodies cut short by their stream.
    std::size_t failures = 0;
  };
  Stats stats() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace tracehop::http
