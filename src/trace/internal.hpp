#pragma once
// Shared internals of the trace layer (not installed).

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tracehop/trace/span.hpp"
#include "tracehop/trace/span_limits.hpp"
#include "tracehop/trace/span_processor.hpp"

namespace tracehop::trace::detail {

// --- environment ---
/// The variable's value with surrounding white space removed; nullopt if unset or empty.
std::optional<std::string> env(const char* name);
/// A non-negative integer variable; nullopt (and a logged warning) when set but malformed.
std::optional<std::uint64_t> env_uint(const char* name);
/// true/false (case-insensitive); anything else is logged and treated as false.
bool env_bool(const char* name);

std::string_view trim_ows(std::string_view s) noexcept;  // spaces and tabs
bool iequals(std::string_view a, std::string_view b) noexcept;
std::string to_lower(std::string_view s);

/// Percent-decoding; nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view s);
/// Percent-encodes every byte outside the W3C baggage-octet set (and '%').
std::string percent_encode_baggage(std::string_view s);
bool is_token_char(char c) noexcept;  // RFC 9110 tchar

/// The process's short name (for unknown_service:<name>).
std::string process_name();

// --- spans ---
class ProviderState;

struct ProcessorList {
  std::vector<std::shared_ptr<SpanProcessor>> processors;
};

class RecordingSpan {
 public:
  RecordingSpan(std::shared_ptr<ProviderState> provider, const ProcessorList* processors,
                const SpanLimits* limits)
      : provider_(std::move(provider)), processors_(processors), limits_(limits) {}

  std::mutex mu;
  bool ended = false;
  SpanData data;
  std::chrono::steady_clock::time_point steady_start;

  const SpanLimits& limits() const noexcept { return *limits_; }
  const ProcessorList& processors() const noexcept { return *processors_; }
  /// Called once, by end(): the ended span must not keep its provider alive (an exporter that
  /// keeps spans, as the in-memory one does, would otherwise close an ownership cycle).
  std::shared_ptr<ProviderState> release_provider() noexcept { return std::move(provider_); }

 private:
  std::shared_ptr<ProviderState> provider_;  // keeps processors_ and limits_ alive
  const ProcessorList* processors_;
  const SpanLimits* limits_;
};

/// Truncates attribute lists to `limit`, counting what was cut.
void apply_count_limit(Attributes& attrs, std::size_t limit, std::uint32_t& dropped);

}  // namespace tracehop::trace::detail
