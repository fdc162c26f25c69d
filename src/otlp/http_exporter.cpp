// OTLP/HTTP: POST the request (protobuf or JSON) to the signal's URL with our own ClientSession
// on the pipeline (whose requests are not traced), a keep-alive connection per request in flight.
#include <boost/json.hpp>
#include <algorithm>
#include <utility>

#include "accounting.hpp"
#include "http_exporter.hpp"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "proto.hpp"
#include "tracehop/task.hpp"
#include "tracehop/otlp/encoding.hpp"

namespace tracehop::otlp::detail {

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
namespace pb = opentelemetry::proto;

bool retryable(int status) { return std::ranges::find(http::kRetryableStatuses, status) != http::kRetryableStatuses.end(); }

// A receiver's error body for a log line: at most 200 bytes, anything unprintable (a protobuf
// google.rpc.Status, say) as '.'.
std::string excerpt(std::string_view body) {
  std::string out(body.substr(0, 200));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '.';
  return out;
}

}  // namespace

HttpExporter::HttpExporter(ExporterOptions options) : PipelinedExporter(options, options.resolved_endpoint()) {
  http::SessionOptions so;
  so.connector.limit = options_.max_concurrent_requests;  // a connection for each request in flight
  if (!options_.certificate.empty()) so.connector.ca_file = options_.certificate;
  session_ = std::make_unique<http::ClientSession>(pipeline_.executor(), std::move(so));
  // Fails early (std::invalid_argument) for a URL the session cannot use.
  const auto parsed = http::parse_url(endpoint_);
  if (parsed.scheme() != "http" && parsed.scheme() != "https")
    throw std::invalid_argument("OTLP/HTTP endpoint '" + endpoint_ + "' is not an http or https URL");
}

HttpExporter::~HttpExporter() { stop(); }

asio::awaitable<trace::ExportResult> HttpExporter::send(Payload payload) {
  const auto deadline = Clock::now() + options_.timeout;
  const std::uint64_t count = payload.items();
  const bool json = options_.protocol == Protocol::HttpJson;
  // Encoded for each attempt (retries are rare): JSON straight into the body, protobuf copied
  // out of the encoder's reused buffer before anything suspends.
  auto encode = [&]() -> std::string {
    if (payload.metrics) return json ? to_otlp_json(*payload.metrics) : to_otlp_protobuf(*payload.metrics);
    return json ? to_otlp_json(payload.spans) : std::string(encoder_.encode(payload.spans));
  };
  for (int attempt = 1;; ++attempt) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    std::string reason;
    std::optional<std::chrono::milliseconds> wait;
    if (left.count() > 0) {
      http::RequestOptions o;
      o.data = encode();
      o.headers.add("Content-Type", json ? "application/json" : "application/x-protobuf");
      for (const auto& [k, v] : options_.headers) o.headers.add(k, v);
      if (options_.compression == Compression::Gzip) o.compress = "gzip";
      o.timeout = http::ClientTimeout{.total = left};
      o.allow_redirects = false;
      o.trace = false;
      try {
        accounting_.request();
        auto resp = co_await session_->request_consuming("POST", endpoint_, o);
        const std::string answer = co_await resp.read();
        const int status = resp.status();
        if (status >= 200 && status < 300) {
          const auto rejected = partial_success(answer, resp.headers());
          accounting_.exported(count - std::min<std::uint64_t>(rejected, count));
          co_return trace::ExportResult::Success;
        }
        reason = "HTTP " + std::to_string(status) + (answer.empty() ? "" : " " + excerpt(answer));
        if (!retryable(status)) {  // the receiver will not take these, however often asked
          accounting_.failed(count, reason);
          co_return trace::ExportResult::Failure;
        }
        wait = http::RetryPolicy::retry_after(resp.headers());
      } catch (const http::ClientSSLError& e) {
        accounting_.failed(count, e.what());  // a certificate does not get better by asking again
        co_return trace::ExportResult::Failure;
      } catch (const http::ClientError& e) {
        reason = e.what();  // connection refused, reset, timed out: worth another try
      }
    } else {
      reason = "timed out after " + std::to_string(options_.timeout.count()) + " ms";
    }
    const auto pause = accounting_.next_attempt(options_, attempt, wait, deadline, stopping(), count, reason);
    if (!pause) co_return trace::ExportResult::Failure;
    co_await sleep(*pause);
  }
}

asio::awaitable<void> HttpExporter::close() { co_await session_->close(); }

std::uint64_t HttpExporter::partial_success(const std::string& answer, const http::Headers& headers) {
  if (answer.empty()) return 0;
  const bool metrics = options_.signal == Signal::Metrics;
  if (headers.first("Content-Type").value_or("").starts_with("application/json")) {
    boost::system::error_code ec;
    const auto v = boost::json::parse(answer, ec);
    const auto* ps = !ec && v.is_object() ? v.as_object().if_contains("partialSuccess") : nullptr;
    if (!ps || !ps->is_object()) return 0;
    std::int64_t count = 0;
    std::string message;
    if (const auto* r = ps->as_object().if_contains(metrics ? "rejectedDataPoints" : "rejectedSpans")) {
      if (r->is_string()) count = std::strtoll(r->as_string().c_str(), nullptr, 10);
      else if (r->is_number()) count = r->to_number<std::int64_t>();
    }
    if (const auto* m = ps->as_object().if_contains("errorMessage"); m && m->is_string()) message = m->as_string();
    return rejected(count, message);
  }
  if (metrics) {
    pb::collector::metrics::v1::ExportMetricsServiceResponse response;
    if (!response.ParseFromString(answer) || !response.has_partial_success()) return 0;
    return rejected(response.partial_success().rejected_data_points(), response.partial_success().error_message());
  }
  pb::collector::trace::v1::ExportTraceServiceResponse response;
  if (!response.ParseFromString(answer) || !response.has_partial_success()) return 0;
  return rejected(response.partial_success().rejected_spans(), response.partial_success().error_message());
}

}  // namespace tracehop::otlp::detail
