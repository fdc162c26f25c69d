#pragma once
// What the load programs (http_load, curl_load) share: their arguments `URL CONCURRENCY SECONDS`,
// the process's CPU time, and the one JSON line they print for bench/http-vs-wrk.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace tracehop::bench {

struct LoadArgs {
  std::string url;
  int concurrency = 1;
  std::chrono::steady_clock::duration run_for{};
};

/// The arguments, or exit(2) with the usage line.
inline LoadArgs load_args(int argc, char** argv, const char* program) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s URL CONCURRENCY SECONDS\n", program);
    std::exit(2);
  }
  using namespace std::chrono;
  return {argv[1], std::stoi(argv[2]), duration_cast<steady_clock::duration>(duration<double>(std::stod(argv[3])))};
}

/// User + system CPU seconds of this process so far.
inline double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/// requests, errors, seconds, requests_per_second, cpu_us_per_request as one JSON object.
inline void print_load(long requests, long errors, double seconds, double cpu_seconds) {
  std::printf("{\"requests\": %ld, \"errors\": %ld, \"seconds\": %.3f, \"requests_per_second\": %.0f, "
              "\"cpu_us_per_request\": %.2f}\n",
              requests, errors, seconds, static_cast<double>(requests) / seconds,
              requests ? cpu_seconds / static_cast<double>(requests) * 1e6 : 0.0);
}

}  // namespace tracehop::bench
