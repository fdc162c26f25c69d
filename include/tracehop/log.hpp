#pragma once
// The library's diagnostic log: one line to stderr by default, filtered by OTEL_LOG_LEVEL.

#include <functional>
#include <string_view>

namespace tracehop {

enum class LogLevel { Debug, Info, Warn, Error, None };

/// Where log lines go. Default: stderr as `tracehop: <level>: <message>`.
using LogSink = std::function<void(LogLevel, std::string_view)>;
/// Replaces the sink (nullptr: back to stderr); returns the previous one.
LogSink set_log_sink(LogSink sink);
/// The lowest level written. Default from OTEL_LOG_LEVEL (debug, info, warn, error, none),
/// else info.
void set_log_level(LogLevel level) noexcept;
LogLevel log_level() noexcept;

void log(LogLevel level, std::string_view message) noexcept;
inline void log_debug(std::string_view m) noexcept { log(LogLevel::Debug, m); }
inline void log_info(std::string_view m) noexcept { log(LogLevel::Info, m); }
inline void log_warn(std::string_view m) noexcept { log(LogLevel::Warn, m); }
inline void log_error(std::string_view m) noexcept { log(LogLevel::Error, m); }

}  // namespace tracehop
