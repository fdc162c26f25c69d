// A real Prometheus (Debian's prometheus package, installed by scripts/setup) scrapes
// `tracehop serve --prometheus-port` after a known number of requests: its query API returns that
// count for http_server_request_duration_seconds_count and the bucket series, and, with its
// exemplar storage on, an exemplar's trace id is a trace that --spans-out recorded.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <set>

#include "process.hpp"
#include "server_fixture.hpp"
#include "tracehop_cli.hpp"

namespace json = boost::json;

using namespace tracehop;
using namespace std::chrono_literals;
using test::kCli;

namespace {

// One GET on a new connection; the body.
std::string get(unsigned short port, const std::string& target) {
  test::RawClient c(port);
  c.send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  const std::string response = c.read_all();
  const auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

std::string url_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '_' || c == '.' || c == '-') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

// The value of an instant query's single result, or -1 while there is none.
double query(unsigned short prometheus, const std::string& promql) {
  try {
    const auto answer = json::parse(get(prometheus, "/api/v1/query?query=" + url_encode(promql)));
    const auto& result = answer.at("data").at("result").as_array();
    if (result.size() != 1) return -1;
    return std::stod(std::string(result[0].at("value").at(1).as_string()));
  } catch (const std::exception&) {
    return -1;  // not up yet, or no answer
  }
}

bool has_prometheus() { return std::system("command -v prometheus >/dev/null 2>&1") == 0; }

}  // namespace

TEST(PrometheusScrape, ARealPrometheusCountsTheRequestsAndKeepsTheirExemplars) {
  if (!has_prometheus()) GTEST_FAIL() << "prometheus is not installed: run scripts/setup";
  const auto spans_file = test::temp_path("prometheus-spans.jsonl");
  test::ChildProcess serve({kCli, "serve", "--port", "0", "--prometheus-port", "0", "--name", "shop", "--spans-out", spans_file},
                           {"OTEL_TRACES_EXPORTER=none", "OTEL_SEMCONV_STABILITY_OPT_IN=http"});
  const auto listening = serve.read_line(10s);
  const auto metrics = serve.read_line(10s);
  ASSERT_TRUE(listening && metrics) << "serve did not start";
  auto port_of = [](const std::string& line, std::string_view after) {
    const auto start = line.rfind(':') + 1;
    return static_cast<unsigned short>(std::stoi(line.substr(start, line.find(after, start) - start)));
  };
  const auto serve_port = port_of(*listening, "\n");
  const auto metrics_port = port_of(*metrics, "/metrics");

  constexpr int kItems = 5, kErrors = 2;
  for (int i = 0; i < kItems; ++i) get(serve_port, "/items/SKU-" + std::to_string(i));
  for (int i = 0; i < kErrors; ++i) get(serve_port, "/status/503");

  // Prometheus, on its own free port, scraping every second, with its own data folder.
  const std::string dir = test::temp_path("prometheus");
  std::filesystem::create_directories(dir);
  const unsigned short prometheus_port = test::free_port();
  {
    std::ofstream config(dir + "/prometheus.yml");
    config << "global:\n  scrape_interval: 1s\n"
           << "scrape_configs:\n  - job_name: tracehop\n    static_configs:\n      - targets: ['127.0.0.1:"
           << metrics_port << "']\n";
  }
  test::ChildProcess prometheus({"prometheus", "--config.file=" + dir + "/prometheus.yml", "--storage.tsdb.path=" + dir + "/data",
                                 "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port),
                                 "--enable-feature=exemplar-storage", "--log.level=warn"},
                                {}, true);
  ASSERT_TRUE(test::wait_for_port(prometheus_port, 20s)) << prometheus.err();

  double count = -1;
  for (int i = 0; i < 300 && count < kItems + kErrors; ++i) {  // at most 30 s
    count = query(prometheus_port, "sum(http_server_request_duration_seconds_count{job=\"tracehop\"})");
    if (count < kItems + kErrors) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(count, kItems + kErrors) << prometheus.err();
  EXPECT_EQ(query(prometheus_port, "http_server_request_duration_seconds_bucket{http_route=\"/items/{sku}\",le=\"+Inf\"}"), kItems);
  EXPECT_EQ(query(prometheus_port, "http_server_request_duration_seconds_count{http_route=\"/status/{code}\",error_type=\"503\"}"),
            kErrors);
  EXPECT_EQ(query(prometheus_port, "target_info{service_name=\"shop\"}"), 1) << "the resource as target_info";

  // The exemplars Prometheus stored are requests --spans-out recorded.
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto exemplars = json::parse(get(prometheus_port, "/api/v1/query_exemplars?query=" +
                                                               url_encode("http_server_request_duration_seconds_bucket") +
                                                               "&start=" + std::to_string(now - 600) +
                                                               "&end=" + std::to_string(now + 60)));
  std::set<std::string> exemplar_traces;
  for (const auto& series : exemplars.at("data").as_array())
    for (const auto& e : series.at("exemplars").as_array())
      exemplar_traces.insert(std::string(e.at("labels").at("trace_id").as_string()));
  EXPECT_FALSE(exemplar_traces.empty()) << json::serialize(exemplars);

  EXPECT_EQ(serve.stop(SIGTERM), 0);
  std::set<std::string> traced;
  for (const auto& s : test::read_spans(spans_file)) traced.insert(s.trace_id);
  std::remove(spans_file.c_str());
  for (const auto& t : exemplar_traces) EXPECT_TRUE(traced.count(t)) << "exemplar trace " << t << " was not recorded";
  prometheus.stop(SIGTERM);
  std::filesystem::remove_all(dir);
}
