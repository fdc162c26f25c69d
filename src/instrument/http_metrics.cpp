// The HTTP metrics of both instrumentations.

#include "http_metrics.hpp"

#include <new>
#include <type_traits>

#include "common/env.hpp"

namespace tracehop::instrument::detail {

namespace {

using metrics::Attribute;

// A list of attributes on the stack, added to one by one (the places not added to are left
// unwritten).
template <std::size_t N>
class AttributeBuffer {
 public:
  void add(Attribute a) noexcept { new (&storage_[size_ * sizeof(Attribute)]) Attribute(a); ++size_; }
  metrics::AttributeList list() const noexcept {
    return {std::launder(reinterpret_cast<const Attribute*>(storage_)), size_};
  }

 private:
  alignas(Attribute) unsigned char storage_[N * sizeof(Attribute)];
  std::size_t size_ = 0;
};
static_assert(std::is_trivially_copyable_v<Attribute> && std::is_trivially_destructible_v<Attribute>);

// The decimal text of a status code in `buffer`: an error status's error.type.
std::string_view status_text(int status, std::array<char, 4>& buffer) noexcept {
  if (status < 100 || status > 999) return "_OTHER";
  buffer = {static_cast<char>('0' + status / 100), static_cast<char>('0' + status / 10 % 10),
            static_cast<char>('0' + status % 10), '\0'};
  return {buffer.data(), 3};
}

}  // namespace

metrics::AttrValue method_value(std::string_view method) noexcept {
  if (!is_known_method(method)) return "_OTHER";
  // OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS replaces the standard list: its methods as given.
  static const bool replaced = !tracehop::detail::env_list("OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS").empty();
  if (replaced) return method;
  switch (method.size()) {  // one of RFC 9110's and PATCH: told apart by length and first letter
    case 3: return method[0] == 'G' ? metrics::AttrValue("GET") : metrics::AttrValue("PUT");
    case 4: return method[0] == 'P' ? metrics::AttrValue("POST") : metrics::AttrValue("HEAD");
    case 5: return method[0] == 'P' ? metrics::AttrValue("PATCH") : metrics::AttrValue("TRACE");
    case 6: return "DELETE";
    default: return method[0] == 'O' ? metrics::AttrValue("OPTIONS") : metrics::AttrValue("CONNECT");
  }
}

metrics::AttrValue scheme_value(std::string_view scheme) noexcept {
  if (scheme == "https") return "https";
  if (scheme == "http") return "http";
  return scheme;
}

HttpMetrics::HttpMetrics(const metrics::Meter& meter, SemconvMode mode, bool client) : mode_(mode), client_(client) {
  const std::string side = client ? "client" : "server";
  if (reports_stable(mode)) {
    duration_ = meter.create_histogram("http." + side + ".request.duration",
                                       {.unit = "s",
                                        .description = "Duration of HTTP " + side + " requests.",
                                        .bucket_boundaries = duration_buckets()});
    active_ = meter.create_up_down_counter("http." + side + ".active_requests",
                                           {.unit = "{request}",
                                            .description = "Number of active HTTP " + side + " requests."});
    if (client)
      queue_ = meter.create_histogram("http.client.request.time_in_queue",
                                      {.unit = "s",
                                       .description = "Time a request waited for a connection from the pool.",
                                       .bucket_boundaries = duration_buckets()});
  }
  if (reports_old(mode))
    duration_old_ = meter.create_histogram(
        "http." + side + ".duration",
        {.unit = "ms", .description = "Measures the duration of " + std::string(client ? "outbound" : "inbound") +
                                      " HTTP requests."});
}

// (Not a member: a stable measurement's attributes are the same list for every instrument.)
// With the outcome, an error status is the error.type when no exception named one: from 400 for
// a client (the semantic conventions' rule), from 500 for a server (a 4xx is the client's error).
static void stable_attributes(const HttpRequestFacts& f, bool client, bool with_outcome, AttributeBuffer<8>& a,
                              std::array<char, 4>& status_buffer) noexcept {
  a.add({"http.request.method", f.method});
  a.add({"url.scheme", f.scheme});
  if (client) {
    a.add({"server.address", f.host});
    a.add({"server.port", f.port});
  } else if (!f.route.empty() && with_outcome) {
    a.add({"http.route", f.route});
  }
  if (!with_outcome) return;
  if (f.status != 0) {
    a.add({"http.response.status_code", f.status});
    a.add({"network.protocol.version", f.version});
  }
  if (!f.error_type.empty())
    a.add({"error.type", f.error_type});
  else if (f.status >= (client ? 400 : 500))
    a.add({"error.type", status_text(f.status, status_buffer)});
}

void HttpMetrics::active(const HttpRequestFacts& f, std::int64_t delta) const noexcept {
  if (!active_.enabled()) return;
  AttributeBuffer<8> a;
  std::array<char, 4> unused;
  stable_attributes(f, client_, false, a, unused);
  // No exemplar: a count of requests in flight is no one request's.
  active_.add(delta, a.list(), trace::SpanContext());
}

void HttpMetrics::duration(const HttpRequestFacts& f, std::chrono::nanoseconds took,
                           const trace::SpanContext& span) const noexcept {
  const double ms = std::chrono::duration<double, std::milli>(took).count();
  if (duration_.enabled()) {
    AttributeBuffer<8> a;
    std::array<char, 4> status_buffer;
    stable_attributes(f, client_, true, a, status_buffer);
    duration_.record(ms / 1000, a.list(), span);
  }
  if (duration_old_.enabled()) {
    AttributeBuffer<8> a;
    a.add({"http.method", f.method});
    a.add({"http.scheme", f.scheme});
    if (client_) {
      a.add({"net.peer.name", f.host});
      a.add({"net.peer.port", f.port});
    } else if (!f.route.empty()) {
      a.add({"http.route", f.route});
    }
    if (f.status != 0) {
      a.add({"http.status_code", f.status});
      a.add({"http.flavor", f.version});
    }
    duration_old_.record(ms, a.list(), span);
  }
}

void HttpMetrics::time_in_queue(const HttpRequestFacts& f, std::chrono::nanoseconds waited,
                                const trace::SpanContext& span) const noexcept {
  if (!queue_.enabled()) return;
  AttributeBuffer<8> a;
  std::array<char, 4> unused;
  stable_attributes(f, true, false, a, unused);
  queue_.record(std::chrono::duration<double>(waited).count(), a.list(), span);
}

/// The semantic conventions' bucket advice for connection durations in seconds.
static const std::vector<double>& connection_buckets() {
  static const std::vector<double> b{0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300};
  return b;
}

ConnectionMetrics::ConnectionMetrics(const metrics::Meter& meter, SemconvMode mode) : stable_(reports_stable(mode)) {
  if (!stable_) return;
  duration_ = meter.create_histogram("http.client.connection.duration",
                                     {.unit = "s",
                                      .description = "The duration of the successfully established outbound HTTP connections.",
                                      .bucket_boundaries = connection_buckets()});
  open_ = meter.create_observable_up_down_counter<std::int64_t>(
      "http.client.open_connections", [this](metrics::ObservableResult& r) { observe(r); },
      {.unit = "{connection}",
       .description = "Number of outbound HTTP connections that are currently active or idle on the client."});
}

ConnectionMetrics::OriginCounts* ConnectionMetrics::counts(const http::Origin& origin) {
  std::lock_guard lock(mu_);
  for (auto& c : origins_)
    if (c->origin == origin) return c.get();
  auto c = std::make_unique<OriginCounts>();
  c->origin = origin;
  c->attributes = metrics::AttributeSet{{"server.address", c->origin.host},
                                        {"server.port", c->origin.port},
                                        {"url.scheme", scheme_value(c->origin.scheme)},
                                        {"network.protocol.version", "1.1"}};
  origins_.push_back(std::move(c));
  return origins_.back().get();
}

void ConnectionMetrics::changed(const http::ConnectionStateParams& p) noexcept {
  if (!stable_) return;
  // A connection is counted from its making, if a provider takes measurements then, to its
  // close (so a provider installed later counts the connections made after it).
  OriginCounts* c = nullptr;
  if (p.from == http::ConnectionState::Closed) {
    if (!duration_.enabled()) return;
    try {
      c = p.ctx.emplace<OriginCounts*>(counts(p.origin));
    } catch (...) {
      return;  // out of memory for a new origin: this connection is not counted
    }
  } else if (auto** kept = p.ctx.get<OriginCounts*>()) {
    c = *kept;
  } else {
    return;  // not counted
  }
  if (auto* from = c->of(p.from)) from->fetch_sub(1, std::memory_order_relaxed);
  if (auto* to = c->of(p.to)) to->fetch_add(1, std::memory_order_relaxed);
  if (p.to != http::ConnectionState::Closed) return;
  p.ctx.reset();
  // No exemplar: whichever span is current when a connection closes is not its own.
  duration_.record(std::chrono::duration<double>(p.age).count(), c->attributes, trace::SpanContext());
}

void ConnectionMetrics::observe(metrics::ObservableResult& r) {
  std::lock_guard lock(mu_);
  for (const auto& c : origins_) {
    for (const auto state : {http::ConnectionState::Active, http::ConnectionState::Idle}) {
      const std::array<Attribute, 5> a{{{"http.connection.state", state == http::ConnectionState::Active ? metrics::AttrValue("active")
                                                                                                   : metrics::AttrValue("idle")},
                                        {"server.address", c->origin.host},
                                        {"server.port", c->origin.port},
                                        {"url.scheme", c->origin.scheme},
                                        {"network.protocol.version", "1.1"}}};
      r.observe(c->of(state)->load(std::memory_order_relaxed), a);
    }
  }
}

}  // namespace tracehop::instrument::detail
