#pragma once
// The HTTP metrics both instrumentations record (internal): the semantic conventions' request
// duration histograms (stable `*.request.duration` in seconds, the old `*.duration` in
// milliseconds, per OTEL_SEMCONV_STABILITY_OPT_IN), active requests, the client's time in the
// connection pool's queue, its open connections and their durations. The counts (active
// requests, open connections) are atomics observed at each collection (ObservedCounts), moved
// by who counts: a request, the connector. A request's measurements
// are made with the attribute sets of its kind (RequestKind), made at the kind's first request;
// otherwise (no room for more kinds or outcomes, an exception's error type) with attributes on
// the stack. Only a kind's first request and an outcome's first allocate (and, past the table's
// room, the client's request to a host of more than 15 characters: its host is copied again;
// and the first active count of those attributes, or the first a thread looks up).

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
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
/// Whether method_value() gave a known method (a listed "_OTHER" comes as a run-time string).
inline bool is_known(metrics::AttrValue method) noexcept { return !method.literal() || method.as_string() != "_OTHER"; }
/// "http" and "https" as literals; any other scheme as given.
metrics::AttrValue scheme_value(std::string_view scheme) noexcept;
/// "1.0" / "1.1" from Beast's version number, as a literal.
inline metrics::AttrValue version_value(unsigned version) noexcept {
  return version == 10 ? metrics::AttrValue("1.0") : metrics::AttrValue("1.1");
}

/// What a measurement that has no exemplar is given: an invalid span context.
extern const trace::SpanContext kNoExemplar;

/// The counts an observable up-down counter reports (http.*.active_requests,
/// http.client.open_connections): an atomic each per attribute set, moved by the code that
/// counts, read by the instrument's callback at each collection. One per meter provider and
/// instrument, shared by every instrumentation counting into it, so that two instrumented
/// sessions are one series and not two observations of it (of which the SDK keeps one).
class ObservedCounts {
 public:
  /// The counts of instrument `name` of `meter` (of `provider`; nullptr: the global one), made
  /// by the first to ask. Thread-safe.
  static std::shared_ptr<ObservedCounts> of(const std::shared_ptr<metrics::MeterProvider>& provider,
                                            const metrics::Meter& meter, const std::string& name,
                                            const metrics::InstrumentOptions& options);
  ObservedCounts(const ObservedCounts&) = delete;  // the callback refers to this
  /// Whether a collection reads the counts now.
  bool enabled() const noexcept { return instrument_.enabled(); }
  /// The count of `attributes` (found by their values, else made at zero), as long as this
  /// lives. Takes a lock: ask once (a kind of request, a connection's origin), keep it. Throws
  /// std::bad_alloc.
  std::atomic<std::int64_t>& count(metrics::AttributeList attributes);

  /// (What of() makes: an instrument of its own, not shared.)
  ObservedCounts(const metrics::Meter& meter, const std::string& name, const metrics::InstrumentOptions& options);

 private:
  struct Count {
    metrics::AttributeSet attributes;
    std::atomic<std::int64_t> value{0};
  };
  void observe(metrics::ObservableResult& result);

  std::mutex mu_;  // guards counts_ (not the values: atomics)
  std::unordered_map<std::string, std::unique_ptr<Count>> counts_;  // by the attributes' encoding
  metrics::ObservableInstrument instrument_;  // last: unregistered first
};

/// One kind of request as its measurements see it at its start (method, scheme, host, port),
/// with the attribute sets of its measurements: made by HttpMetrics at the first request of the
/// kind, kept as long as it lives, never changed once published. A request finds its kind once;
/// its measurements then find their series by a set's identity, comparing no attribute.
class RequestKind {
 public:
  /// What the kind's requests have in common (no outcome); its strings are the kind's own.
  const HttpRequestFacts& facts() const noexcept { return facts_; }
  RequestKind(const RequestKind&) = delete;
  ~RequestKind();

 private:
  friend class HttpMetrics;
  struct Outcome;  // an outcome's sets, by status, version and route
  static constexpr std::size_t kOutcomes = 8;  // more outcomes: measured with lists
  RequestKind(const HttpRequestFacts& f, bool client, SemconvMode mode, ObservedCounts* active);
  bool is(const HttpRequestFacts& f) const noexcept;
  const Outcome* outcome(const HttpRequestFacts& f, bool client, SemconvMode mode) const noexcept;
  [[gnu::noinline]] const Outcome* add_outcome(std::atomic<Outcome*>& slot, const HttpRequestFacts& f, bool client,
                                               SemconvMode mode) const noexcept;

  std::string method_, scheme_, host_;  // (a run-time method or scheme: the facts' copies)
  HttpRequestFacts facts_;
  metrics::AttributeSet started_;  // stable: the active requests' and the time in queue's
  std::atomic<std::int64_t>* active_ = nullptr;  // stable: its active requests' count
  mutable std::array<std::atomic<Outcome*>, kOutcomes> outcomes_{};  // filled in order
};

class HttpMetrics {
 public:
  /// `client`: the client's instruments (http.client.*), else the server's (http.server.*), of
  /// `meter`, a meter of `provider` (nullptr: of the global one).
  HttpMetrics(const std::shared_ptr<metrics::MeterProvider>& provider, const metrics::Meter& meter, SemconvMode mode,
              bool client);
  HttpMetrics(const HttpMetrics&) = delete;
  ~HttpMetrics();

  /// The kind of request `f` starts (its outcome is not read), found or made; nullptr when
  /// HttpMetrics keeps as many kinds as it may, or is out of memory. Lock-free.
  const RequestKind* kind(const HttpRequestFacts& f) const noexcept;

  /// Whether anything would be recorded: a request need not be measured otherwise.
  bool enabled() const noexcept {
    return duration_.enabled() || duration_old_.enabled() || queue_.enabled() || (active_ && active_->enabled());
  }
  // The measurements. `kind` is `f`'s kind (kind()), or nullptr: the attributes are then made
  // from `f` as a list, as they are for an outcome with an exception's error.type.

  /// +1 / -1 on the active requests (stable conventions only: it is not an old-convention metric);
  /// the request's outcome in `f` is not read.
  /// (Counted whether or not a collection reads it now: the count stays right when one starts.)
  void active(const HttpRequestFacts& f, const RequestKind* kind, std::int64_t delta) const noexcept {
    if (kind != nullptr) [[likely]] {
      if (kind->active_ != nullptr) kind->active_->fetch_add(delta, std::memory_order_relaxed);
      return;
    }
    if (active_) active_listed(f, delta);
  }
  /// The request's duration, its exemplar pointing at `span` (when sampled). An error status
  /// (from 400 for a client, 500 for a server) is its error.type unless `f` names one.
  void duration(const HttpRequestFacts& f, const RequestKind* kind, std::chrono::nanoseconds took,
                const trace::SpanContext& span) const noexcept;
  /// The client's wait for a connection (the outcome in `f` is not read).
  void time_in_queue(const HttpRequestFacts& f, const RequestKind* kind, std::chrono::nanoseconds waited,
                     const trace::SpanContext& span) const noexcept;

 private:
  static constexpr std::size_t kKinds = 128;  // open addressing; a full table measures with lists
  void active_listed(const HttpRequestFacts& f, std::int64_t delta) const noexcept;
  [[gnu::noinline]] const RequestKind* add_kind(std::atomic<RequestKind*>& slot,
                                                const HttpRequestFacts& f) const noexcept;

  SemconvMode mode_;
  bool client_;
  mutable std::array<std::atomic<RequestKind*>, kKinds> kinds_{};
  metrics::Histogram<double> duration_;      // stable, s
  metrics::Histogram<double> duration_old_;  // old, ms
  metrics::Histogram<double> queue_;  // client only
  std::shared_ptr<ObservedCounts> active_;  // stable: the active requests, shared
};

/// The client's connection pool: http.client.open_connections (ObservedCounts of the idle and
/// active connections of each origin, which the connector moves itself: ConnectionCounts) and
/// http.client.connection.duration (from a connection's making to its close). Stable
/// conventions only, as the active requests. Thread-safe; told of a connection's making and
/// close, nothing a request.
class ConnectionMetrics {
 public:
  /// Of `meter`, a meter of `provider` (nullptr: of the global one).
  ConnectionMetrics(const std::shared_ptr<metrics::MeterProvider>& provider, const metrics::Meter& meter,
                    SemconvMode mode);
  ConnectionMetrics(const ConnectionMetrics&) = delete;
  /// Whether it records anything (the stable conventions): the pool need not tell it otherwise.
  bool enabled() const noexcept { return stable_; }
  /// A connection of the pool was made (its counts are given to the connector) or closed.
  void changed(const http::ConnectionStateParams& p) noexcept;

 private:
  struct OriginCounts {
    http::Origin origin;
    metrics::AttributeSet attributes;  // a connection's duration's: the origin's, made once
    http::ConnectionCounts counts;     // open_'s, of the origin's active and idle connections
  };
  OriginCounts* counts(const http::Origin& origin);

  bool stable_;
  std::mutex mu_;  // guards origins_
  std::vector<std::unique_ptr<OriginCounts>> origins_;
  metrics::Histogram<double> duration_;
  std::shared_ptr<ObservedCounts> open_;
};

}  // namespace tracehop::instrument::detail
