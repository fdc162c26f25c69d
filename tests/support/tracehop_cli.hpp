#pragma once
// The `tracehop` command in tests: its path, `tracehop serve` as a child process, and the spans a
// command writes with --spans-out (OTLP/JSON lines) read back.

#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process.hpp"

namespace tracehop::test {

inline const std::string kCli = TRACEHOP_CLI_PATH;
// No exporter but the file: the default (otlp) would only warn.
inline const std::vector<std::string> kEnv = {"OTEL_TRACES_EXPORTER=none"};

struct Span {
  std::string trace_id, span_id, parent, name, service;
  int kind = 0;  // OTLP: 2 SERVER, 3 CLIENT
  boost::json::object attributes;  // key -> OTLP AnyValue
};

// Every span of an OTLP/JSON lines file.
inline std::vector<Span> read_spans(const std::string& path) {
  std::vector<Span> spans;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const auto doc = boost::json::parse(line);
    for (const auto& rs : doc.at("resourceSpans").as_array()) {
      std::string service;
      for (const auto& a : rs.at("resource").at("attributes").as_array())
        if (a.at("key") == "service.name") service = a.at("value").at("stringValue").as_string();
      for (const auto& ss : rs.at("scopeSpans").as_array())
        for (const auto& s : ss.at("spans").as_array()) {
          Span span{std::string(s.at("traceId").as_string()), std::string(s.at("spanId").as_string()), "",
                    std::string(s.at("name").as_string()), service, static_cast<int>(s.at("kind").as_int64())};
          if (const auto* p = s.as_object().if_contains("parentSpanId")) span.parent = p->as_string();
          if (const auto* attrs = s.as_object().if_contains("attributes"))
            for (const auto& a : attrs->as_array()) span.attributes[a.at("key").as_string()] = a.at("value");
          spans.push_back(std::move(span));
        }
    }
  }
  return spans;
}

inline std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "tracehop-cli-" + std::to_string(::getpid()) + "-" + name;
}

// `tracehop serve` on a free port, its spans to a file.
class Serve {
 public:
  explicit Serve(const std::string& name, std::vector<std::string> env = kEnv)
      : spans_(temp_path(name + ".jsonl")),
        process_({kCli, "serve", "--port", "0", "--name", name, "--spans-out", spans_}, std::move(env)) {
    const auto line = process_.read_line(std::chrono::seconds(10));
    if (!line || !line->starts_with("listening on http://127.0.0.1:")) throw std::runtime_error("serve did not start");
    url_ = line->substr(std::string("listening on ").size());
  }
  ~Serve() { std::remove(spans_.c_str()); }
  const std::string& url() const { return url_; }
  int stop(int sig = SIGTERM) { return process_.stop(sig); }
  std::vector<Span> spans() const { return read_spans(spans_); }

 private:
  std::string spans_;
  ChildProcess process_;
  std::string url_;
};

}  // namespace tracehop::test
