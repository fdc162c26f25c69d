// metrics_ops OP N: one metrics operation N times, for exact instruction and allocation counts
// under valgrind (bench/count-ops runs it at two values of N; the difference is one operation's
// cost, the series' creation and the start-up excluded).
//   histogram       record into an existing series with 5 attributes (the HTTP client's set)
//   histogram-span  the same inside a sampled span: the exemplar path (trace_based)
//   histogram-set   the same 5 attributes made once as an AttributeSet
//   counter         add to an existing series with 5 attributes
//   collect         (no recording) a collection of 100 histogram series
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tracehop/metrics.hpp"
#include "tracehop/trace/context.hpp"
#include "tracehop/trace/tracer.hpp"

using namespace tracehop;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: metrics_ops histogram|histogram-span|histogram-set|counter|collect N\n");
    return 2;
  }
  const char* op = argv[1];
  const long n = std::atol(argv[2]);
  auto reader = std::make_shared<metrics::MetricReader>();
  metrics::MeterProvider provider(metrics::MeterProviderOptions{.readers = {reader}});
  auto meter = provider.get_meter("bench");
  auto histogram = meter.create_histogram("http.client.request.duration",
                                          {.unit = "s", .bucket_boundaries = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
                                                                              0.5, 0.75, 1, 2.5, 5, 7.5, 10}});
  auto counter = meter.create_counter("requests");
  const std::string host = "example.com";  // a run-time string, as a URL's host is
  // The HTTP client's attributes, built in place as a call site builds them: literal keys, the
  // method and scheme as literals, the host as a run-time string, two integers.
  auto record = [&](double v) {
    histogram.record(v, {{"http.request.method", "GET"},
                         {"server.address", std::string_view(host)},
                         {"server.port", 443},
                         {"http.response.status_code", 200},
                         {"url.scheme", "https"}});
  };
  auto tracer_provider = std::make_shared<trace::TracerProvider>();
  auto span = tracer_provider->get_tracer("bench")->start_span("sampled");
  const trace::Context with_span = trace::Context{}.with_span(span);

  double value = 0.001;
  if (std::strcmp(op, "histogram") == 0) {
    for (long i = 0; i < n; ++i) {
      record(value);  // no span: trace_based keeps no exemplar
      value = value < 5 ? value * 1.7 : 0.001;
    }
  } else if (std::strcmp(op, "histogram-span") == 0) {
    const trace::Scope scope(with_span);  // the current span, sampled: every measurement is offered
    for (long i = 0; i < n; ++i) {
      record(value);
      value = value < 5 ? value * 1.7 : 0.001;
    }
  } else if (std::strcmp(op, "histogram-set") == 0) {
    const metrics::AttributeSet set{{"http.request.method", "GET"},
                                    {"server.address", std::string_view(host)},
                                    {"server.port", 443},
                                    {"http.response.status_code", 200},
                                    {"url.scheme", "https"}};
    for (long i = 0; i < n; ++i) {
      histogram.record(value, set);
      value = value < 5 ? value * 1.7 : 0.001;
    }
  } else if (std::strcmp(op, "counter") == 0) {
    for (long i = 0; i < n; ++i)
      counter.add(1, {{"http.request.method", "GET"},
                      {"server.address", std::string_view(host)},
                      {"server.port", 443},
                      {"http.response.status_code", 200},
                      {"url.scheme", "https"}});
  } else if (std::strcmp(op, "collect") == 0) {
    for (int s = 0; s < 100; ++s) histogram.record(0.1, {{"series", s}});
    for (long i = 0; i < n; ++i) value += static_cast<double>(reader->collect()->scopes.size());
  } else {
    std::fprintf(stderr, "unknown op %s\n", op);
    return 2;
  }
  span.end();
  std::printf("%s n=%ld %g\n", op, n, value);
  return 0;
}
