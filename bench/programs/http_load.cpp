// http_load URL CONCURRENCY SECONDS: a keep-alive GET loop with ClientSession on one thread,
// CONCURRENCY requests in flight, for SECONDS. Prints one JSON object: requests, errors,
// seconds, requests_per_second, cpu_us_per_request (user + system CPU of this process).
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>

#include "tracehop/http/session.hpp"
#include "tracehop/task.hpp"

namespace asio = boost::asio;
using namespace std::chrono;

static double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: http_load URL CONCURRENCY SECONDS\n");
    return 2;
  }
  const std::string url = argv[1];
  const int concurrency = std::stoi(argv[2]);
  const auto run_for = duration_cast<steady_clock::duration>(duration<double>(std::stod(argv[3])));

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
  std::printf("{\"requests\": %ld, \"errors\": %ld, \"seconds\": %.3f, \"requests_per_second\": %.0f, "
              "\"cpu_us_per_request\": %.2f}\n",
              requests.load(), errors.load(), secs, static_cast<double>(requests.load()) / secs,
              requests.load() ? cpu / static_cast<double>(requests.load()) * 1e6 : 0.0);
}
