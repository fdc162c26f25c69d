#pragma once
// Helpers shared by the unit tests.

#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tracehop/trace.hpp"

namespace tracehop::test {

/// Sets (or unsets, with nullopt) an environment variable for the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value->c_str(), 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

/// Captures the library's log lines.
class LogCapture {
 public:
  LogCapture() {
    previous_ = set_log_sink([this](LogLevel l, std::string_view m) {
      std::lock_guard lk(mu_);
      lines_.emplace_back(l, std::string(m));
    });
  }
  ~LogCapture() { set_log_sink(std::move(previous_)); }
  std::vector<std::pair<LogLevel, std::string>> lines() const {
    std::lock_guard lk(mu_);
    return lines_;
  }
  bool contains(std::string_view needle) const {
    for (const auto& [l, m] : lines())
      if (m.find(needle) != std::string::npos) return true;
    return false;
  }
  /// Every line, one a line (for a failure's message).
  std::string text() const {
    std::string out;
    for (const auto& [l, m] : lines()) out += m + "\n";
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<LogLevel, std::string>> lines_;
  LogSink previous_;
};

/// A provider exporting synchronously into memory.
struct MemoryProvider {
  explicit MemoryProvider(trace::TracerProviderOptions options = {}) {
    auto exp = std::make_unique<trace::InMemorySpanExporter>();
    exporter = exp.get();
    provider = std::make_shared<trace::TracerProvider>(std::move(options));
    provider->add_span_processor(std::make_shared<trace::SimpleSpanProcessor>(std::move(exp)));
    tracer = provider->get_tracer("test", "1.0");
  }
  std::vector<trace::SpanDataPtr> spans() const { return exporter->finished_spans(); }

  std::shared_ptr<trace::TracerProvider> provider;
  trace::InMemorySpanExporter* exporter;
  std::shared_ptr<trace::Tracer> tracer;
};

}  // namespace tracehop::test
