#pragma once
// A plain (uninstrumented) server on loopback that records what a `tracehop` command sends it,
// for the command-line tests.

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "run.hpp"
#include "server_fixture.hpp"

namespace tracehop::test {

// Every request is recorded and answered "recorded PATH": 503 while failures_left > 0; /moved
// redirects (302) to /landed; /hold holds the answer 300 ms.
struct Recorder {
  struct Call {
    std::string path, traceparent, baggage, body, method, b3_trace_id;
    http::Headers headers;
  };
  Recorder() {
    server.server().route("*", "/{name}", [this](http::ServerRequest& r) -> asio::awaitable<http::ServerResponse> {
      std::lock_guard lk(mu);
      calls.push_back({r.path, std::string(r.headers.first("traceparent").value_or("")),
                       std::string(r.headers.first("baggage").value_or("")), r.body, r.method,
                       std::string(r.headers.first("X-B3-TraceId").value_or("")), r.headers});
      if (r.path == "/moved") {
        auto moved = http::ServerResponse::text(302, "");
        moved.headers.set("Location", "/landed");
        co_return moved;
      }
      const int status = failures_left > 0 ? (--failures_left, 503) : 200;
      if (r.path == "/hold") {  // the caller is now inside its handler: keep it there a while
        held = true;
        co_await sleep_for(std::chrono::milliseconds(300));
      }
      co_return http::ServerResponse::text(status, "recorded " + r.path);
    });
    server.start();
  }
  std::string url(const std::string& path) { return server.server().url() + path; }
  std::vector<Call> recorded() {
    std::lock_guard lk(mu);
    return calls;
  }
  ServerThread server;
  std::mutex mu;
  std::vector<Call> calls;
  std::atomic<int> failures_left{0};  // set by the test thread, read by the server's
  std::atomic<bool> held{false};
};

}  // namespace tracehop::test
