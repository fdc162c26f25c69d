// The HTTP metrics of both instrumentations.

#include "http_metrics.hpp"

namespace tracehop::instrument::detail {

namespace {

using metrics::Attribute;

// A list of attributes on the stack, added to one by one.
template <std::size_t N>
struct AttributeBuffer {
  std::array<Attribute, N> items{};
  std::size_t size = 0;
  void add(Attribute a) noexcept { items[size++] = a; }
  metrics::AttributeList list() const noexcept { return {items.data(), size}; }
};

// The decimal text of a status code in `buffer`: an error status's error.type.
std::string_view status_text(int status, std::array<char, 4>& buffer) noexcept {
  if (status < 100 || status > 999) return "_OTHER";
  buffer = {static_cast<char>('0' + status / 100), static_cast<char>('0' + status / 10 % 10),
            static_cast<char>('0' + status % 10), '\0'};
  return {buffer.data(), 3};
}

}  // namespace

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
  active_.add(delta, a.list());
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

}  // namespace tracehop::instrument::detail
