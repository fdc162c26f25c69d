// The command's metrics as a user gets them: `--metrics-out` files of `serve` and `fetch`
// (OTLP/JSON lines) with the request-duration histograms, their exemplars the spans of
// `--spans-out`, against real servers on loopback.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "process.hpp"
#include "server_fixture.hpp"
#include "tracehop_cli.hpp"

namespace asio = boost::asio;
namespace json = boost::json;

using namespace tracehop;
using test::kCli;
using test::run_command;
using test::temp_path;

namespace {

// The last collection of a metrics file, and the file gone.
json::object last_collection(const std::string& file) {
  std::ifstream in(file);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  std::remove(file.c_str());
  return last.empty() ? json::object{} : json::parse(last).as_object();
}

// The metric of that name in a collection, or null.
const json::object* metric(const json::object& collection, std::string_view name) {
  if (!collection.contains("resourceMetrics")) return nullptr;
  for (const auto& rm : collection.at("resourceMetrics").as_array())
    for (const auto& sm : rm.at("scopeMetrics").as_array())
      for (const auto& m : sm.at("metrics").as_array())
        if (m.at("name").as_string() == name) return &m.as_object();
  return nullptr;
}

std::string attribute(const json::value& point, std::string_view key) {
  for (const auto& kv : point.at("attributes").as_array())
    if (kv.at("key").as_string() == key) {
      const auto& v = kv.at("value").as_object();
      if (v.contains("stringValue")) return std::string(v.at("stringValue").as_string());
      if (v.contains("intValue")) return std::string(v.at("intValue").as_string());
    }
  return "<absent>";
}

}  // namespace

TEST(CliMetrics, ServeWritesItsRequestDurationsAtExit) {
  const auto file = temp_path("serve-metrics.jsonl");
  test::ChildProcess serve({kCli, "serve", "--port", "0", "--name", "shop", "--metrics-out", file},
                           {"OTEL_TRACES_EXPORTER=none", "OTEL_SEMCONV_STABILITY_OPT_IN=http"});
  const auto line = serve.read_line(std::chrono::seconds(10));
  ASSERT_TRUE(line && line->starts_with("listening on http://127.0.0.1:")) << line.value_or("(nothing)");
  const auto port = static_cast<unsigned short>(std::stoi(line->substr(line->rfind(':') + 1)));
  for (int i = 0; i < 3; ++i) {
    test::RawClient c(port);
    c.send("GET /items/SKU-" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(c.read_all().rfind("HTTP/1.1 200", 0), 0u);
  }
  EXPECT_EQ(serve.stop(SIGTERM), 0);

  const auto collection = last_collection(file);
  const auto* duration = metric(collection, "http.server.request.duration");
  ASSERT_TRUE(duration) << json::serialize(collection);
  EXPECT_EQ(duration->at("unit"), "s");
  const auto& points = duration->at("histogram").at("dataPoints").as_array();
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].at("count"), "3");
  EXPECT_EQ(attribute(points[0], "http.route"), "/items/{sku}");
  EXPECT_EQ(attribute(points[0], "http.response.status_code"), "200");
  const auto& resource = collection.at("resourceMetrics").at(0).at("resource");
  EXPECT_NE(json::serialize(resource).find("\"shop\""), std::string::npos) << "--name is the service.name";
  const auto* active = metric(collection, "http.server.active_requests");
  ASSERT_TRUE(active);
  EXPECT_EQ(active->at("sum").at("dataPoints").at(0).at("asInt"), "0");
}

TEST(CliMetrics, FetchsDurationExemplarIsItsClientSpan) {
  test::ServerThread server;
  server.server().route("GET", "/items/{sku}", [](http::ServerRequest&) -> asio::awaitable<http::ServerResponse> {
    co_return http::ServerResponse::text(200, "item");
  });
  server.start();
  const auto spans_file = temp_path("fetch-spans.jsonl"), metrics_file = temp_path("fetch-metrics.jsonl");
  const auto r = run_command({kCli, "fetch", "--spans-out", spans_file, "--metrics-out", metrics_file,
                              server.server().url() + "/items/a"},
                             {"OTEL_TRACES_EXPORTER=none", "OTEL_SEMCONV_STABILITY_OPT_IN=http/dup"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto spans = test::read_spans(spans_file);
  std::remove(spans_file.c_str());
  const auto collection = last_collection(metrics_file);

  const auto* old = metric(collection, "http.client.duration");
  ASSERT_TRUE(old) << "http/dup: the old histogram too";
  EXPECT_EQ(old->at("unit"), "ms");
  const auto* duration = metric(collection, "http.client.request.duration");
  ASSERT_TRUE(duration) << json::serialize(collection);
  const auto& point = duration->at("histogram").at("dataPoints").at(0);
  EXPECT_EQ(point.at("count"), "1");
  EXPECT_EQ(attribute(point, "server.port"), std::to_string(server.port()));
  const auto& exemplar = point.at("exemplars").at(0);
  const test::Span* client = nullptr;
  for (const auto& s : spans)
    if (s.kind == 3) client = &s;
  ASSERT_TRUE(client);
  EXPECT_EQ(exemplar.at("traceId").as_string(), client->trace_id);
  EXPECT_EQ(exemplar.at("spanId").as_string(), client->span_id);
}

TEST(CliMetrics, AMetricsFileThatCannotBeOpenedIsBadUsage) {
  const auto r = run_command({kCli, "fetch", "--metrics-out", "/nonexistent-dir/m.jsonl", "http://127.0.0.1:9/"},
                             {"OTEL_TRACES_EXPORTER=none"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cannot open metrics file"), std::string::npos) << r.err;
}

TEST(CliMetrics, TheKnownMethodsOfTheEnvironmentReplaceTheStandardOnesInSpansAndMetrics) {
  // OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS is read once a process: each case is a process.
  test::ServerThread server;
  for (const char* method : {"PURGE", "POST"})
    server.server().route(method, "/items/{sku}", [](http::ServerRequest&) -> asio::awaitable<http::ServerResponse> {
      co_return http::ServerResponse::text(200, "item");
    });
  server.start();
  struct Case {
    const char* method;
    const char* known;  // the environment's list, or nullptr
    const char* measured;
  };
  for (const Case& c : {Case{"PURGE", nullptr, "_OTHER"}, Case{"PURGE", "GET,PURGE", "PURGE"},
                        Case{"POST", "GET,PURGE", "_OTHER"}, Case{"POST", nullptr, "POST"}}) {
    const std::string what = std::string(c.method) + " with " + (c.known ? c.known : "the standard list");
    const auto spans_file = temp_path("known-spans.jsonl"), metrics_file = temp_path("known-metrics.jsonl");
    std::vector<std::string> env{"OTEL_TRACES_EXPORTER=none", "OTEL_SEMCONV_STABILITY_OPT_IN=http"};
    if (c.known) env.push_back(std::string("OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS=") + c.known);
    const auto r = run_command({kCli, "fetch", "-X", c.method, "--spans-out", spans_file, "--metrics-out",
                                metrics_file, server.server().url() + "/items/a"},
                               env);
    ASSERT_EQ(r.exit_code, 0) << what << ": " << r.err;
    const auto spans = test::read_spans(spans_file);
    std::remove(spans_file.c_str());
    const auto collection = last_collection(metrics_file);
    const bool known = std::string_view(c.measured) != "_OTHER";

    const test::Span* client = nullptr;
    for (const auto& s : spans)
      if (s.kind == 3) client = &s;
    ASSERT_TRUE(client) << what;
    EXPECT_EQ(client->name, known ? c.method : "HTTP") << what;
    EXPECT_EQ(client->attributes.at("http.request.method").at("stringValue"), c.measured) << what;
    EXPECT_EQ(client->attributes.contains("http.request.method_original"), !known) << what;
    const auto* duration = metric(collection, "http.client.request.duration");
    ASSERT_TRUE(duration) << what;
    EXPECT_EQ(attribute(duration->at("histogram").at("dataPoints").at(0), "http.request.method"), c.measured) << what;
  }
}
