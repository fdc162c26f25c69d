#pragma once
// The HTTP metrics both instrumentations record (internal): the semantic conventions' request
// duration histograms (stable `*.request.duration` in seconds, the old `*.duration` in
// milliseconds, per OTEL_SEMCONV_STABILITY_OPT_IN), active requests, the client's time in the
// connection pool's queue, its open connections and their durations. Each measurement is made
// from attributes on the stack: nothing is allocated for a series that exists.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "tracehop/http/signals.hpp"
#include "tracehop/instrument/semconv.hpp"
#include "tracehop/metrics/meter.hpp"

namespace tracehop::instrument::detail {

/// The semantic conventions' bucket advice for request durations in seconds.
inline const std::vector<double>& duration_buckets() {
  static const std::vector<double> b{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10};
  return b;
}

/// What one request's measurements say of it, filled as its signals arrive. The values that
/// come from a short list are literals where they can be (method_value() and the like), which a
/// series matches by their address instead of their characters.
struct HttpRequestFacts {
  metrics::AttrValue method;     // a known method, or "_OTHER"
  metrics::AttrValue scheme;     // "http" / "https"
  std::string_view host;         // server.address
  std::int64_t port = 0;         // server.port (0: not recorded, the server side's default)
  std::string_view route;        // http.route (server), may be empty
  int status = 0;                // 0: no response
  metrics::AttrValue version;    // network.protocol.version ("1.1"), with a response
  std::string_view error_type;   // an exception's type; empty: none, or the status's (HttpMetrics adds it)
};

/// A request's method as an attribute: a standard one as its literal, another known one
/// (OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS) as given, anything else "_OTHER".
metrics::AttrValue method_value(std::string_view method) noexcept;
/// "http" and "https" as literals; any other scheme as given.
metrics::AttrValue scheme_value(std::string_view scheme) noexcept;
/// "1.0" / "1.1" from Beast's version number, as a literal.
inline metrics::AttrValue version_value(unsigned version) noexcept {
  return version == 10 ? metrics::AttrValue("1.0") : metrics::AttrValue("1.1");
}

class HttpMetrics {
 public:
  /// `client`: the client's instruments (http.client.*), else the server's (http.server.*).
  HttpMetrics(const metrics::Meter& meter, SemconvMode mode, bool client);

  /// Whether anything would be recorded: a request need not be measured otherwise.
  bool enabled() const noexcept {
    return duration_.enabled() || duration_old_.enabled() || active_.enabled() || queue_.enabled();
  }
  /// +1 / -1 on the active requests (stable conventions only: it is not an old-convention metric);
  /// the request's outcome in `f` is not read.
  void active(const HttpRequestFacts& f, std::int64_t delta) const noexcept;
  /// Whether active() records: the facts for it need not be worked out otherwise.
  bool counts_active() const noexcept { return active_.enabled(); }
  /// The request's duration, its exemplar pointing at `span` (when sampled). An error status
  /// (from 400 for a client, 500 for a server) is its error.type unless `f` names one.
  void duration(const HttpRequestFacts& f, std::chrono::nanoseconds took, const trace::SpanContext& span) const noexcept;
  /// The client's wait for a connection (the outcome in `f` is not read).
  void time_in_queue(const HttpRequestFacts& f, std::chrono::nanoseconds waited,
                     const trace::SpanContext& span) const noexcept;

 private:
  SemconvMode mode_;
  bool client_;
  metrics::Histogram<double> duration_;      // stable, s
  metrics::Histogram<double> duration_old_;  // old, ms
  metrics::UpDownCounter<std::int64_t> active_;
  metrics::Histogram<double> queue_;  // client only
};

/// The client's connection pool: http.client.open_connections (an observable up-down counter,
/// read at each collection from the counts of idle and active connections kept per origin) and
/// http.client.connection.duration (from a connection's making to its close). Stable
/// conventions only, as the active requests. Thread-safe; the counts are atomics, found once a
/// connection (kept in the connection's SignalContext).
class ConnectionMetrics {
 public:
  ConnectionMetrics(const metrics::Meter& meter, SemconvMode mode);
  ConnectionMetrics(const ConnectionMetrics&) = delete;  // the callback refers to this
  /// Whether it records anything (the stable conventions): the pool need not tell it otherwise.
  bool enabled() const noexcept { return stable_; }
  /// A connection of the pool changed state.
  void changed(const http::ConnectionStateParams& p) noexcept;

 private:
  struct OriginCounts {
    http::Origin origin;
    metrics::AttributeSet attributes;  // a connection's duration's: the origin's, made once
    std::atomic<std::int64_t> active{0}, idle{0};
    std::atomic<std::int64_t>* of(http::ConnectionState s) noexcept {
      return s == http::ConnectionState::Active ? &active : s == http::ConnectionState::Idle ? &idle : nullptr;
    }
  };
  OriginCounts* counts(const http::Origin& origin);
  void observe(metrics::ObservableResult& result);

  bool stable_;
  std::mutex mu_;  // guards origins_ (the counts are atomics)
  std::vector<std::unique_ptr<OriginCounts>> origins_;
  metrics::Histogram<double> duration_;
  metrics::ObservableInstrument open_;  // last: unregistered first
};

}  // namespace tracehop::instrument::detail
