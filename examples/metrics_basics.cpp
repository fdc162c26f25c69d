// The README's metrics example: a meter provider with a Prometheus endpoint and a view, your own
// counter (with a braced list, and an AttributeSet) and observable gauge, and what a scrape of
// the endpoint returns.
#include <tracehop/configure.hpp>          // configure_from_env(): both signals
#include <tracehop/prometheus/exposition.hpp>
#include <tracehop/prometheus/reader.hpp>  // also makes OTEL_METRICS_EXPORTER=prometheus work

#include <iostream>
#include <string>
#include <vector>

namespace metrics = tracehop::metrics;

int main() {
  // tracehop::configure_from_env() reads OTEL_METRICS_EXPORTER (console, prometheus, none); or by
  // hand: a Prometheus endpoint (port 0: any free one), and a view that keeps two keys only.
  auto prometheus = std::make_shared<tracehop::prometheus::PrometheusReader>(
      tracehop::prometheus::ReaderOptions{.host = "127.0.0.1", .port = 0});
  metrics::set_meter_provider(std::make_shared<metrics::MeterProvider>(metrics::MeterProviderOptions{
      .readers = {prometheus},
      .views = {metrics::View{.selector = {.name = "http.server.request.duration"},
                         .attribute_keys = std::vector<std::string>{"http.route", "http.response.status_code"}}}}));

  // Your own instruments: they bind late, like tracers.
  auto meter = metrics::get_meter("checkout", "1.0");
  auto orders = meter.create_counter("checkout.orders", {.unit = "{order}"});
  orders.add(1, {{"payment.method", "card"}});  // into an existing series: no allocation
  // Attributes you measure with again and again: made once, the series found by the set's identity.
  const std::string region = "eu-west";
  const metrics::AttributeSet by_card{{"payment.method", "card"}, {"region", region}};  // copies `region`
  orders.add(1, by_card);
  std::vector<int> pending{1, 2, 3};
  auto queue = meter.create_observable_gauge<std::int64_t>(  // keep `queue`: its callback runs while it lives
      "checkout.queue.depth", [&](metrics::ObservableResult& r) { r.observe(static_cast<std::int64_t>(pending.size())); });

  std::cout << "Prometheus scrapes " << prometheus->url() << "; it would read:\n"
            << tracehop::prometheus::to_exposition(*prometheus->collect(), tracehop::prometheus::Format::Text);
  metrics::meter_provider()->shutdown();
  metrics::set_meter_provider(nullptr);
}
