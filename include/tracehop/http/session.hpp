#pragma once
// ClientSession: an aiohttp-style HTTP client on Asio coroutines, with a pooled keep-alive
// connector (limit, limit_per_host), timeouts, redirects and typed errors.
//
//   tracehop::http::ClientSession session{io.get_executor(),
//                                         {.connector = {.limit = 100, .limit_per_host = 20}}};
//   auto resp = co_await session.get("http://127.0.0.1:8080/items/SKU-9931");
//   resp.raise_for_status();
//   auto item = co_await resp.json();
//   co_await session.close();

#include "tracehop/asio_config.hpp"  // first: it checks how Asio is configured

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tracehop/http/connector.hpp"
#include "tracehop/http/cookies.hpp"
#include "tracehop/http/errors.hpp"
#include "tracehop/http/headers.hpp"
#include "tracehop/http/response.hpp"
#include "tracehop/http/retry.hpp"
#include "tracehop/http/signals.hpp"
#include "tracehop/http/url.hpp"

// g++ 12 and older destroy the temporaries of a braced initializer twice when they stand inside a
// co_await expression. With them, the request methods take options by name only (see
// ClientSession::request); other compilers also take temporaries. Define it 0 or 1 to choose.
#ifndef TRACEHOP_NAMED_OPTIONS_ONLY
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#define TRACEHOP_NAMED_OPTIONS_ONLY 1
#else
#define TRACEHOP_NAMED_OPTIONS_ONLY 0
#endif
#endif

namespace tracehop::http {

namespace detail {
class Exchange;
}  // namespace detail

/// Like aiohttp's ClientTimeout; an unset limit does not apply.
struct ClientTimeout {
  /// The whole request: waiting for a connection, connecting, sending, and reading the
  /// response to its last byte (also through Response::read()).
  std::optional<std::chrono::milliseconds> total = std::chrono::minutes(5);
  /// Waiting for a pooled connection plus making a new one.
  std::optional<std::chrono::milliseconds> connect;
  /// The TCP connect itself.
  std::optional<std::chrono::milliseconds> sock_connect = std::chrono::seconds(30);
  /// The longest wait for data from the server while reading a response.
  std::optional<std::chrono::milliseconds> sock_read;
};

struct SessionOptions {
  ConnectorOptions connector;
  /// Relative request URLs resolve against this.
  std::string base_url;
  /// Sent with every request (a request's own headers of the same name replace them).
  Headers headers;
  ClientTimeout timeout;
  bool raise_for_status = false;
  /// Largest response body read() accepts (ClientPayloadError beyond it).
  std::size_t max_body_bytes = 64 * 1024 * 1024;
  /// Lifecycle signal subscribers for this session (global ones apply too).
  std::vector<TraceConfigPtr> trace_configs;
  /// Cookies kept and sent back (RFC 6265); none: the session keeps no cookies.
  std::shared_ptr<CookieJar> cookie_jar;
  /// Retries for every request (none: a request is sent once; see RetryPolicy).
  std::optional<RetryPolicy> retry;
};

struct RequestOptions {
  Headers headers;
  QueryParams params;
  /// The body as bytes; with json or form unset.
  std::optional<std::string> data;
  /// A JSON body (Content-Type: application/json).
  std::optional<boost::json::value> json;
  /// An application/x-www-form-urlencoded body.
  std::optional<QueryParams> form;
  /// "gzip": the body is sent gzip-compressed, with `Content-Encoding: gzip` (aiohttp's
  /// `compress`). Another value is a ClientError before any I/O.
  std::optional<std::string> compress;
  /// Replaces the session's timeout for this request. With a RetryPolicy, each attempt has
  /// the whole timeout (the waits between attempts are not counted).
  std::optional<ClientTimeout> timeout;
  /// Replaces the session's RetryPolicy for this request (RetryPolicy{.attempts = 1}: none).
  std::optional<RetryPolicy> retry;
  bool allow_redirects = true;
  int max_redirects = 10;
  std::optional<bool> raise_for_status;
  /// false: instrumentation records no span for this request (signals still fire, saying so).
  bool trace = true;
};

/// Long-lived: create one per service and reuse it. Its methods may be called from any thread
/// of the io_context, concurrently.
class ClientSession {
 public:
  ClientSession(boost::asio::any_io_executor executor, SessionOptions options);
  /// (A separate overload, not a defaulted argument: see the g++ 12 note at request().)
  explicit ClientSession(boost::asio::any_io_executor executor);
  /// Warns (once per process) if the session was not closed while connections are open.
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  /// Sends a request and returns once the response headers are in. Throws a ClientError
  /// subclass (InvalidURL before any I/O). Options are taken by name and copied:
  ///   RequestOptions o{.timeout = ClientTimeout{.total = 2s}};
  ///   auto resp = co_await session.get(url, o);
#if TRACEHOP_NAMED_OPTIONS_ONLY
  boost::asio::awaitable<Response> request(std::string_view method, std::string_view url, const RequestOptions& options) {
    return start(method, url, RequestOptions(options));
  }
  // g++ 12 destroys the temporaries of a braced initializer twice when they stand inside a
  // co_await expression (a compiler bug: a double free at run time). So with it, the options are
  // a named object: `RequestOptions o{...}; co_await session.get(url, o);`. A temporary here
  // (`{...}`, `RequestOptions{...}` or `std::move(o)`) comes to this deleted overload.
  boost::asio::awaitable<Response> request(std::string_view method, std::string_view url,
                                           RequestOptions&& g12_needs_named_options_see_session_hpp) = delete;
#else
  boost::asio::awaitable<Response> request(std::string_view method, std::string_view url, RequestOptions options) {
    return start(method, url, std::move(options));
  }
#endif
  boost::asio::awaitable<Response> request(std::string_view method, std::string_view url) {
    return start(method, url, RequestOptions());
  }
  /// The same, moving the options out of `options` (left empty) instead of copying them: for a
  /// large body. A named object on every compiler.
  boost::asio::awaitable<Response> request_consuming(std::string_view method, std::string_view url, RequestOptions& options) {
    return start(method, url, std::move(options));
  }
#if TRACEHOP_NAMED_OPTIONS_ONLY
#define TRACEHOP_HTTP_METHOD_OPTIONS(fn, verb)                                                       \
  boost::asio::awaitable<Response> fn(std::string_view url, const RequestOptions& o) {                \
    return start(verb, url, RequestOptions(o));                                                       \
  }                                                                                                   \
  /* g++ 12: a named RequestOptions only (see request() above) */                                     \
  boost::asio::awaitable<Response> fn(std::string_view url, RequestOptions&& g12_needs_named_options_see_session_hpp) = delete;
#else
#define TRACEHOP_HTTP_METHOD_OPTIONS(fn, verb) \
  boost::asio::awaitable<Response> fn(std::string_view url, RequestOptions o) { return start(verb, url, std::move(o)); }
#endif
#define TRACEHOP_HTTP_METHOD(fn, verb)   \
  TRACEHOP_HTTP_METHOD_OPTIONS(fn, verb) \
  boost::asio::awaitable<Response> fn(std::string_view url) { return start(verb, url, RequestOptions()); }
  TRACEHOP_HTTP_METHOD(get, "GET")
  TRACEHOP_HTTP_METHOD(post, "POST")
  TRACEHOP_HTTP_METHOD(put, "PUT")
  TRACEHOP_HTTP_METHOD(patch, "PATCH")
  TRACEHOP_HTTP_METHOD(delete_, "DELETE")
  TRACEHOP_HTTP_METHOD(head, "HEAD")
  TRACEHOP_HTTP_METHOD(options, "OPTIONS")
#undef TRACEHOP_HTTP_METHOD
#undef TRACEHOP_HTTP_METHOD_OPTIONS

  /// Subscribes `config` for this session's requests from the next one on (safe while requests
  /// run). A config with a non-empty TraceConfig::group replaces, for this session, a
  /// process-wide config of the same group.
  void add_trace_config(TraceConfigPtr config);

  /// Closes every pooled connection; later requests throw ClientError (session closed).
  boost::asio::awaitable<void> close();
  bool closed() const noexcept;

  using PoolStats = ConnectorStats;
  PoolStats pool_stats() const noexcept;

 private:
  struct Impl;
  boost::asio::awaitable<Response> start(std::string_view method, std::string_view url, RequestOptions&& options);
  detail::Exchange prepare(std::string_view method, std::string_view url, RequestOptions options);
  std::shared_ptr<Impl> impl_;
};

}  // namespace tracehop::http
