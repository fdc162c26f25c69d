// The Prometheus pull reader: its own server, thread and io_context.

#include "tracehop/prometheus/reader.hpp"

#include "tracehop/asio_config.hpp"  // first: it checks how Asio is configured

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <thread>

#include "common/env.hpp"
#include "tracehop/configure.hpp"
#include "tracehop/http/server.hpp"
#include "tracehop/log.hpp"
#include "tracehop/prometheus/exposition.hpp"

namespace tracehop::prometheus {

namespace asio = boost::asio;

ReaderOptions ReaderOptions::from_env() {
  ReaderOptions o;
  if (auto host = tracehop::detail::env("OTEL_EXPORTER_PROMETHEUS_HOST")) o.host = *host;
  if (auto port = tracehop::detail::env_uint("OTEL_EXPORTER_PROMETHEUS_PORT")) {
    if (*port <= 65535)
      o.port = static_cast<unsigned short>(*port);
    else
      log_warn("OTEL_EXPORTER_PROMETHEUS_PORT=" + std::to_string(*port) + " is not a port: 9464");
  }
  return o;
}

struct PrometheusReader::State {
  explicit State(const ReaderOptions& o)
      : work(io.get_executor()), server(io.get_executor(), http::ServerOptions{.host = o.host, .port = o.port}) {}
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  http::Server server;
  std::thread thread;
  std::atomic<std::uint64_t> scrapes{0};
  bool stopped = false;

  void stop() {
    if (stopped) return;
    stopped = true;
    auto done = asio::co_spawn(io, server.stop(), asio::use_future);
    done.wait_for(std::chrono::seconds(5));
    work.reset();
    io.stop();
    if (thread.joinable()) thread.join();
  }
};

PrometheusReader::PrometheusReader(ReaderOptions options)
    : MetricReader(metrics::cumulative_temporality), state_(std::make_unique<State>(options)) {
  state_->server.route("GET", "/metrics", [this](http::ServerRequest& r) -> asio::awaitable<http::ServerResponse> {
    const Format format = negotiate(r.headers.first("Accept").value_or(""));
    const auto collected = collect();
    http::ServerResponse response;
    response.status = collected ? 200 : 503;  // (shut down, or not registered with a provider)
    response.headers.set("Content-Type", std::string(content_type(format)));
    response.body = collected ? to_exposition(*collected, format) : "no meter provider reads this endpoint\n";
    state_->scrapes.fetch_add(1, std::memory_order_relaxed);
    co_return response;
  });
  state_->server.start();  // std::system_error when it cannot listen
  state_->thread = std::thread([this] { state_->io.run(); });
}

PrometheusReader::~PrometheusReader() {
  shutdown();
  state_->stop();
}

bool PrometheusReader::on_shutdown(std::chrono::milliseconds) {
  state_->stop();
  return true;
}

unsigned short PrometheusReader::port() const noexcept { return state_->server.port(); }
std::string PrometheusReader::url() const { return state_->server.url() + "/metrics"; }
std::uint64_t PrometheusReader::scrapes() const noexcept { return state_->scrapes.load(std::memory_order_relaxed); }

void register_reader() {
  static const bool once = [] {
    register_metric_reader("prometheus", [] { return std::make_shared<PrometheusReader>(); });
    return true;
  }();
  (void)once;
}

}  // namespace tracehop::prometheus
