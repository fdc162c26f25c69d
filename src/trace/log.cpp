#include "tracehop/log.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include "internal.hpp"

namespace tracehop {

namespace {

LogLevel level_from_env() noexcept {
  const char* v = std::getenv("OTEL_LOG_LEVEL");
  if (!v) return LogLevel::Info;
  const std::string s = tracehop::detail::ascii_lower(tracehop::detail::trim(v));
  if (s == "debug" || s == "trace") return LogLevel::Debug;
  if (s == "info") return LogLevel::Info;
  if (s == "warn" || s == "warning") return LogLevel::Warn;
  if (s == "error" || s == "fatal") return LogLevel::Error;
  if (s == "none" || s == "off") return LogLevel::None;
  return LogLevel::Info;
}

std::atomic<LogLevel>& level_ref() noexcept {
  static std::atomic<LogLevel> level{level_from_env()};
  return level;
}

std::mutex& sink_mutex() {
  static std::mutex mu;
  return mu;
}
LogSink& sink_ref() {
  static LogSink sink;
  return sink;
}

const char* name(LogLevel l) noexcept {
  switch (l) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warn: return "warning";
    case LogLevel::Error: return "error";
    case LogLevel::None: break;
  }
  return "";
}

}  // namespace

LogSink set_log_sink(LogSink sink) {
  std::lock_guard lk(sink_mutex());
  return std::exchange(sink_ref(), std::move(sink));
}

void set_log_level(LogLevel level) noexcept { level_ref().store(level, std::memory_order_relaxed); }
LogLevel log_level() noexcept { return level_ref().load(std::memory_order_relaxed); }

void log(LogLevel level, std::string_view message) noexcept {
  if (level == LogLevel::None || level < log_level()) return;
  try {
    std::lock_guard lk(sink_mutex());
    if (auto& sink = sink_ref()) {
      sink(level, message);
    } else {
      std::fprintf(stderr, "tracehop: %s: %.*s\n", name(level), static_cast<int>(message.size()),
                   message.data());
    }
  } catch (...) {
    // A log line is never worth an exception in the caller.
  }
}

}  // namespace tracehop
