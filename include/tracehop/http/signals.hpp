#pragma once
// Lifecycle signals of the client, like aiohttp's TraceConfig: what an instrumentation (or a
// log, or a metric) subscribes to. The client knows nothing of tracing; it calls these.
//
// Unlike aiohttp, request signals fire per *physical* request: each redirect hop and each retry
// on a fresh connection is a request of its own (with its resend count), so an instrumentation
// can give each its own span. Callbacks run synchronously on the request's task, must be quick,
// and must not throw (an exception is logged and dropped). With no TraceConfig, a request pays
// for one empty-vector check.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tracehop/http/request_headers.hpp"
#include "tracehop/http/signal_context.hpp"
#include "tracehop/http/url.hpp"

namespace tracehop::http {

class Response;

struct RequestStartParams {
  SignalContext& ctx;
  std::string_view method;
  const Url& url;
  RequestHeaders& headers;  // this hop's: injection happens here (the request's own stay as they are)
  int resend_count;  // 0 for the first request of a request() call; +1 per redirect hop or retry
  bool trace;        // RequestOptions::trace: false asks instrumentation to record nothing
  const Origin& origin;  // the url's scheme, host and port
};

struct RequestHeadersSentParams {
  SignalContext& ctx;
  std::string_view method;
  const Url& url;
  const RequestHeaders& headers;  // as sent
};

struct ResponseHeadersParams {
  SignalContext& ctx;
  std::string_view method;
  const Url& url;
  const Response& response;
};

struct RequestEndParams {  // the response body was read to its end (or there was none)
  SignalContext& ctx;
  std::string_view method;
  const Url& url;
  std::size_t body_bytes;
};

struct RequestExceptionParams {
  SignalContext& ctx;
  std::string_view method;
  const Url& url;
  std::exception_ptr exception;
  bool cancelled;  // the caller cancelled the request (not an error)
};

struct RedirectParams {
  SignalContext& ctx;
  std::string_view method;
  const Url& url;
  const Response& response;
  const Url& location;
};

struct ConnectionParams {
  SignalContext& ctx;
  const Origin& origin;
  /// On the *_end signals: how long the step took.
  std::chrono::nanoseconds elapsed{};
};

struct DnsParams {
  SignalContext& ctx;
  std::string_view host;
  std::chrono::nanoseconds elapsed{};
};

/// What a pooled connection is, as http.client.open_connections counts it.
enum class ConnectionState : std::uint8_t {
  Closed,  // not open: before it is made, after it is closed
  Active,  // carrying a request
  Idle,    // in the pool, waiting for one
};

/// Counts of connections by state that the connector moves itself (relaxed atomic adds), for an
/// observer that counts a pool's connections: given at a connection's making
/// (ConnectionStateParams::counts), they count it from then to its close, and the observer is
/// no longer told of its moves to and from the pool (one each way a request), only of its close.
/// They must outlive the connection.
struct ConnectionCounts {
  std::atomic<std::int64_t>* active = nullptr;
  std::atomic<std::int64_t>* idle = nullptr;
};

/// A connection changing state: made (Closed -> Active), given back to the pool (Active ->
/// Idle), taken from it (Idle -> Active), closed (-> Closed, from either; at its idle timeout,
/// when evicted, when the server closed it, at the session's close). Not a request's signal: no
/// SignalContext. Told to the configs of the request that made the connection, for all its life
/// (so a subscriber hears every change of each connection it heard made, and no other, unless
/// it counts them with ConnectionCounts), on the thread making the change, while the session's
/// connection pool is locked: be quick, and never call into the session.
struct ConnectionStateParams {
  SignalContext& ctx;  // the connection's own (one per config), kept from its making to its close
  const Origin& origin;
  ConnectionState from;
  ConnectionState to;
  std::chrono::nanoseconds age;  // when closed: how long the connection lived (else zero)
  /// At the making (from Closed) only, else nullptr: where the observer may set the counts the
  /// connector is to move for this connection (an observer's only; a config's functions' are
  /// not read).
  ConnectionCounts* counts = nullptr;
};

/// The signals after a request's start that a SignalObserver may leave out (all are heard by
/// default). One left out costs it nothing, not even a call: what an instrumentation that
/// needs them only with some option asks for.
struct HeardSignals {
  bool request_headers_sent = true;
  bool request_end = true;
  bool connection_steps = true;  // queued_start, create_start / create_end, dns_*, tls_handshake_end
};

/// Every signal as a member function of one subscriber: what an instrumentation subscribes
/// with (the client instrumentation is one). A signal costs it one virtual call, where each
/// function in TraceConfig's vectors costs a few calls more; one it does not override does
/// nothing. The same rules hold: quick, on the request's task, an exception logged and dropped.
class SignalObserver {
 public:
  SignalObserver() noexcept = default;
  /// With `only_with_state`, the signals after a request's start reach this observer only for
  /// requests it kept state for (in its SignalContext) by then: an instrumentation that keeps
  /// nothing for the requests it does not record (unsampled, no SDK) is not told of them again.
  explicit SignalObserver(bool only_with_state) noexcept : only_with_state_(only_with_state) {}
  virtual ~SignalObserver() = default;
  bool only_with_state() const noexcept { return only_with_state_; }

  virtual void on_request_start(const RequestStartParams&) {}
  virtual void on_request_headers_sent(const RequestHeadersSentParams&) {}
  virtual void on_response_headers(const ResponseHeadersParams&) {}
  virtual void on_request_end(const RequestEndParams&) {}
  virtual void on_request_exception(const RequestExceptionParams&) {}
  virtual void on_request_redirect(const RedirectParams&) {}
  virtual void on_connection_queued_start(const ConnectionParams&) {}
  virtual void on_connection_queued_end(const ConnectionParams&) {}
  virtual void on_connection_create_start(const ConnectionParams&) {}
  virtual void on_connection_create_end(const ConnectionParams&) {}
  virtual void on_connection_reuseconn(const ConnectionParams&) {}
  virtual void on_dns_resolvehost_start(const DnsParams&) {}
  virtual void on_dns_resolvehost_end(const DnsParams&) {}
  virtual void on_tls_handshake_end(const ConnectionParams&) {}
  /// A connection's making is always told; with `only_with_state`, the rest of its life only if
  /// the observer kept state in the connection's context then (as for a request); never the
  /// moves to and from the pool if it gave ConnectionCounts then (the connector counts them).
  virtual void on_connection_state(const ConnectionStateParams&) {}
  /// Whether on_connection_state is wanted, asked once when a session's configs are put
  /// together: connections made for configs where nobody wants it tell nobody.
  virtual bool hears_connection_states() const noexcept { return true; }
  /// The signals it hears, asked once as hears_connection_states (the functions of its config
  /// are told each signal whatever it says).
  virtual HeardSignals heard_signals() const noexcept { return {}; }

 private:
  bool only_with_state_ = false;
};

/// Subscribers for the client's lifecycle signals: an observer, or functions per signal (as
/// aiohttp's TraceConfig), or both (the observer is told first). Fill it in before the config
/// is in use (SessionOptions::trace_configs or add_global_trace_config); afterwards it is
/// read-only. The config's SignalContext of a request is shared by its observer and functions.
struct TraceConfig {
  /// Configs of one non-empty group stand for the same subscriber: a session's own config
  /// replaces a process-wide one of its group (so an instrumented session is not traced twice).
  std::string group;
  std::shared_ptr<SignalObserver> observer;
  std::vector<std::function<void(const RequestStartParams&)>> on_request_start;
  std::vector<std::function<void(const RequestHeadersSentParams&)>> on_request_headers_sent;
  std::vector<std::function<void(const ResponseHeadersParams&)>> on_response_headers;
  std::vector<std::function<void(const RequestEndParams&)>> on_request_end;
  std::vector<std::function<void(const RequestExceptionParams&)>> on_request_exception;
  std::vector<std::function<void(const RedirectParams&)>> on_request_redirect;
  std::vector<std::function<void(const ConnectionParams&)>> on_connection_queued_start;
  std::vector<std::function<void(const ConnectionParams&)>> on_connection_queued_end;
  std::vector<std::function<void(const ConnectionParams&)>> on_connection_create_start;
  std::vector<std::function<void(const ConnectionParams&)>> on_connection_create_end;
  std::vector<std::function<void(const ConnectionParams&)>> on_connection_reuseconn;
  std::vector<std::function<void(const DnsParams&)>> on_dns_resolvehost_start;
  std::vector<std::function<void(const DnsParams&)>> on_dns_resolvehost_end;
  std::vector<std::function<void(const ConnectionParams&)>> on_tls_handshake_end;
  std::vector<std::function<void(const ConnectionStateParams&)>> on_connection_state;
};

using TraceConfigPtr = std::shared_ptr<const TraceConfig>;

/// Process-wide configs: every session sees them from its next request on, whenever it was
/// created (so instrumenting after a session exists still works).
void add_global_trace_config(TraceConfigPtr config);
void remove_global_trace_config(const TraceConfigPtr& config);
std::vector<TraceConfigPtr> global_trace_configs();

}  // namespace tracehop::http
