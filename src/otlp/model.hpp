#pragma once
// What every OTLP encoding of spans shares (internal): the nesting of a request (by resource, then
// by instrumentation scope, each in the order first seen) and the mapping of our enums and flags
// to OTLP's numbers. The JSON and protobuf encoders both build on it.

#include <cstdint>
#include <span>
#include <vector>

#include "tracehop/trace/exporter.hpp"

namespace tracehop::otlp::detail {

struct ScopeGroup {
  const trace::InstrumentationScope* scope = nullptr;
  std::vector<const trace::SpanData*> spans;
};
struct ResourceGroup {
  const trace::Resource* resource = nullptr;
  std::vector<ScopeGroup> scopes;
};
/// Pointers into `spans`' data, which must outlive the groups.
std::vector<ResourceGroup> group_by_resource_and_scope(std::span<const trace::SpanDataPtr> spans);

/// Span.SpanKind: 0 is UNSPECIFIED, then INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER.
constexpr int span_kind(trace::SpanKind k) noexcept { return static_cast<int>(k) + 1; }
/// Status.StatusCode: UNSET 0, OK 1, ERROR 2.
constexpr int status_code(trace::StatusCode c) noexcept { return static_cast<int>(c); }
/// Span.flags and Link.flags: bits 0-7 the W3C trace flags; bit 8 says bit 9 is known; bit 9: the
/// parent (or linked) context is remote.
constexpr std::uint32_t span_flags(trace::TraceFlags f, bool remote) noexcept {
  return f.bits() | 0x100u | (remote ? 0x200u : 0u);
}
/// A time as nanoseconds since the Unix epoch.
inline std::uint64_t unix_nanos(trace::TimePoint t) noexcept {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

}  // namespace tracehop::otlp::detail
