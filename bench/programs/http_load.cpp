// http_load URL CONCURRENCY SECONDS: a keep-alive GET loop with ClientSession on one thread,
// CONCURRENCY requests in flight, for SECONDS. Prints one JSON object: requests, errors,
// seconds, requests_per_second, cpu_us_per_request (user + system CPU of this process).
#include <atomic>
#include <chrono>
#include <string>

#include "load_report.hpp"
#include "tracehop/http/session.hpp"
#include "tracehop/task.hpp"

namespace asio = boost::asio;
using namespace std::chrono;

using tracehop::bench::cpu_seconds;

int main(int argc, char** argv) {
  const auto [url, concurrency, run_for] = tracehop::bench::load_args(argc, argv, "http_load");

  asio::io_context io(1);
  tracehop::http::SessionOptions options{
      .connector = {.limit = static_cast<std::size_t>(concurrency), .limit_per_host = static_cast<std::size_t>(concurrency)}};
  tracehop::http::ClientSession session(io.get_executor(), std::move(options));
  std::atomic<long> requests{0}, errors{0};
  steady_clock::time_point deadline;
  int running = concurrency;

  auto worker = [&]() -> asio::awaitable<void> {
    while (steady_clock::now() < deadline) {
      try {
        auto resp = co_await session.get(url);
        co_await resp.read();
        ++requests;
      } catch (const std::exception&) {
        ++errors;
      }
    }
    if (--running == 0) co_await session.close();
  };

  const double cpu0 = cpu_seconds();
  const auto t0 = steady_clock::now();
  deadline = t0 + run_for;
  for (int i = 0; i < concurrency; ++i) tracehop::spawn(io, worker());
  io.run();
  const double secs = duration<double>(steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  tracehop::bench::print_load(requests.load(), errors.load(), secs, cpu);
}
