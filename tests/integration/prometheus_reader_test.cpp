// The Prometheus pull reader on a loopback port: scrapes in both formats, a scraper that goes
// away mid-answer, a port in use, and OTEL_METRICS_EXPORTER=prometheus.
#include <gtest/gtest.h>

#include "process.hpp"
#include "server_fixture.hpp"
#include "test_util.hpp"
#include "tracehop/configure.hpp"
#include "tracehop/prometheus/reader.hpp"

using namespace tracehop;
using namespace std::chrono_literals;

namespace {

std::string scrape(unsigned short port, std::string_view accept = "") {
  test::RawClient c(port);
  std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
  if (!accept.empty()) request += "Accept: " + std::string(accept) + "\r\n";
  c.send(request + "\r\n");
  return c.read_all();
}

}  // namespace

TEST(PrometheusReader, ServesEachFormatAndOutlivesAScraperThatLeaves) {
  auto reader = std::make_shared<prometheus::PrometheusReader>(prometheus::ReaderOptions{.host = "127.0.0.1", .port = 0});
  metrics::MeterProvider provider(metrics::MeterProviderOptions{.readers = {reader}});
  provider.get_meter("scraped").create_counter("jobs").add(3);
  ASSERT_NE(reader->port(), 0);
  EXPECT_EQ(reader->url(), "http://127.0.0.1:" + std::to_string(reader->port()) + "/metrics");

  const auto text = scrape(reader->port());
  EXPECT_NE(text.find("Content-Type: text/plain; version=0.0.4; charset=utf-8"), std::string::npos) << text;
  EXPECT_NE(text.find("jobs_total{otel_scope_name=\"scraped\"} 3"), std::string::npos) << text;
  const auto om = scrape(reader->port(), "application/openmetrics-text;version=1.0.0");
  EXPECT_NE(om.find("Content-Type: application/openmetrics-text; version=1.0.0"), std::string::npos);
  EXPECT_NE(om.find("# EOF"), std::string::npos);

  for (int i = 0; i < 20; ++i) {  // scrapers that send and reset at once
    test::RawClient c(reader->port());
    c.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    c.reset();
  }
  EXPECT_NE(scrape(reader->port()).find("jobs_total"), std::string::npos) << "still serving";
  EXPECT_GE(reader->scrapes(), 3u);

  EXPECT_TRUE(provider.shutdown());
  EXPECT_FALSE(test::wait_for_port(reader->port(), 200ms)) << "shut down: no longer listening";
}

TEST(PrometheusReader, APortInUseSaysSo) {
  auto first = std::make_shared<prometheus::PrometheusReader>(prometheus::ReaderOptions{.host = "127.0.0.1", .port = 0});
  try {
    prometheus::PrometheusReader second(prometheus::ReaderOptions{.host = "127.0.0.1", .port = first->port()});
    ADD_FAILURE() << "listened twice on one port";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("Address already in use"), std::string::npos) << e.what();
  }
}

TEST(PrometheusReader, ChosenByTheEnvironment) {
  const unsigned short port = test::free_port();
  test::ScopedEnv a("OTEL_METRICS_EXPORTER", "prometheus");
  test::ScopedEnv b("OTEL_EXPORTER_PROMETHEUS_HOST", "127.0.0.1");
  test::ScopedEnv c("OTEL_EXPORTER_PROMETHEUS_PORT", std::to_string(port));
  const auto readers = metric_readers_from_env();
  ASSERT_EQ(readers.size(), 1u);
  auto* reader = dynamic_cast<prometheus::PrometheusReader*>(readers[0].get());
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->port(), port);
}
