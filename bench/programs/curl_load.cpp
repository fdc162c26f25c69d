// curl_load URL CONCURRENCY SECONDS: http_load's keep-alive GET loop on libcurl's multi interface
// (a C or C++ user's usual choice): CONCURRENCY easy handles on one thread, each re-added as it
// finishes so that the multi handle's connection cache reuses its connection. Prints the same
// JSON object as http_load, for bench/http-vs-wrk.
#include <curl/curl.h>

#include <chrono>
#include <vector>

#include "load_report.hpp"

using namespace std::chrono;
using tracehop::bench::cpu_seconds;

// The body is read and dropped, as http_load reads and drops it.
static std::size_t discard(char*, std::size_t size, std::size_t n, void*) { return size * n; }

int main(int argc, char** argv) {
  const auto [url, concurrency, run_for] = tracehop::bench::load_args(argc, argv, "curl_load");

  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURLM* multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(concurrency));
  std::vector<CURL*> handles;
  for (int i = 0; i < concurrency; ++i) {
    CURL* e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url.c_str());
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    handles.push_back(e);
  }

  long requests = 0, errors = 0;
  const double cpu0 = cpu_seconds();
  const auto t0 = steady_clock::now();
  const auto deadline = t0 + run_for;
  for (CURL* e : handles) curl_multi_add_handle(multi, e);
  int active = concurrency;  // handles in the multi handle
  while (active > 0) {
    int running = 0;
    curl_multi_perform(multi, &running);
    int queued = 0;
    while (CURLMsg* m = curl_multi_info_read(multi, &queued)) {
      if (m->msg != CURLMSG_DONE) continue;
      CURL* e = m->easy_handle;
      long status = 0;
      curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
      if (m->data.result == CURLE_OK && status == 200)
        ++requests;
      else
        ++errors;
      curl_multi_remove_handle(multi, e);
      if (steady_clock::now() < deadline)
        curl_multi_add_handle(multi, e);  // the same handle again: its connection is reused
      else
        --active;
    }
    if (active > 0) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
  const double secs = duration<double>(steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  for (CURL* e : handles) curl_easy_cleanup(e);
  curl_multi_cleanup(multi);
  curl_global_cleanup();
  tracehop::bench::print_load(requests, errors, secs, cpu);
}
