#pragma once
// `node otlp_receiver.js` (the official OpenTelemetry JS packages) as a test's OTLP receiver, and
// exporter options that point at it with short timeouts and backoffs.

#include <boost/json.hpp>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "js_packages.hpp"
#include "process.hpp"
#include "tracehop/otlp/exporter.hpp"

namespace tracehop::test {

using namespace std::chrono_literals;

// `node otlp_receiver.js` with the given behaviour.
class Receiver {
 public:
  explicit Receiver(std::vector<std::string> env = {})
      : process_({"node", test::kInteropDir + "/otlp_receiver.js"}, std::move(env)) {
    for (int i = 0; i < 2; ++i) {
      const auto line = process_.read_line(20s);
      if (!line) throw std::runtime_error("the OTLP receiver did not start");
      if (line->starts_with("grpc ")) grpc_ = line->substr(5);
      if (line->starts_with("http ")) http_ = line->substr(5);
    }
  }
  /// What the exporter needs for `protocol`.
  std::string endpoint(otlp::Protocol protocol) const { return protocol == otlp::Protocol::Grpc ? grpc_ : http_; }
  /// The same for the metrics service (HTTP: /v1/metrics).
  std::string metrics_endpoint(otlp::Protocol protocol) const {
    return protocol == otlp::Protocol::Grpc ? grpc_ : http_.substr(0, http_.rfind("/v1/traces")) + "/v1/metrics";
  }
  /// The next request the receiver accepted, or null after `timeout`.
  boost::json::value next(std::chrono::milliseconds timeout = 5s) {
    const auto line = process_.read_line(timeout);
    return line ? boost::json::parse(*line) : boost::json::value();
  }

 private:
  ChildProcess process_;
  std::string grpc_, http_;
};

inline otlp::ExporterOptions options_for(const Receiver& r, otlp::Protocol protocol) {
  otlp::ExporterOptions o;
  o.protocol = protocol;
  o.endpoint = r.endpoint(protocol);
  o.timeout = 5s;
  o.initial_backoff = 10ms;
  o.max_backoff = 50ms;
  return o;
}

}  // namespace tracehop::test
