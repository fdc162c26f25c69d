#pragma once
// Span: the handle to one timed operation, and SpanData, what a finished span hands to
// processors and exporters.

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tracehop/trace/attributes.hpp"
#include "tracehop/trace/span_context.hpp"

namespace tracehop::trace {

class Resource;
class ScopedSpan;
struct InstrumentationScope;

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

enum class SpanKind : std::uint8_t { Internal, Server, Client, Producer, Consumer };
/// "INTERNAL", "SERVER", ...
std::string_view to_string(SpanKind kind) noexcept;

enum class StatusCode : std::uint8_t { Unset, Ok, Error };
std::string_view to_string(StatusCode code) noexcept;

struct Status {
  StatusCode code = StatusCode::Unset;
  std::string description;  // only kept for Error
  friend bool operator==(const Status&, const Status&) = default;
};

struct Event {
  std::string name;
  TimePoint time;
  Attributes attributes;
  std::uint32_t dropped_attributes = 0;
};

struct Link {
  SpanContext context;
  Attributes attributes;
  std::uint32_t dropped_attributes = 0;
};

/// Everything recorded about a span. Immutable once the span has ended; processors receive it
/// through a shared pointer to const.
struct SpanData {
  std::string name;
  SpanContext context;
  SpanId parent_span_id;     // invalid for a root span
  bool parent_remote = false;
  SpanKind kind = SpanKind::Internal;
  TimePoint start_time;
  TimePoint end_time;
  Attributes attributes;
  std::vector<Event> events;
  std::vector<Link> links;
  Status status;
  std::uint32_t dropped_attributes = 0;
  std::uint32_t dropped_events = 0;
  std::uint32_t dropped_links = 0;
  std::shared_ptr<const Resource> resource;
  std::shared_ptr<const InstrumentationScope> scope;

  std::chrono::nanoseconds duration() const noexcept { return end_time - start_time; }
};

namespace detail {
class RecordingSpan;
}

/// A handle to a span; cheap to copy (copies share the span). A non-recording span (not
/// sampled, or made from a remote context) carries only its SpanContext and allocates nothing.
/// Every method is thread-safe; after end() the mutators do nothing.
class Span {
 public:
  /// The invalid, non-recording span.
  Span() noexcept = default;
  /// A non-recording span that carries `context`, e.g. a remote parent after extraction.
  explicit Span(SpanContext context) noexcept : context_(std::move(context)) {}

  const SpanContext& span_context() const noexcept { return context_; }
  /// True until end() on a sampled-or-recorded span; false for non-recording spans.
  bool is_recording() const noexcept;

  /// Sets an attribute (replacing a previous value of the key). On a non-recording span this
  /// returns before the value is even converted.
  template <class V>
  void set_attribute(AttributeKey key, V&& value) {
    if (impl_) set_attribute_impl(std::move(key), AttributeValue(std::forward<V>(value)));
  }
  void set_attribute(AttributeKey key, AttributeValue value) {
    if (impl_) set_attribute_impl(std::move(key), std::move(value));
  }
  void set_attributes(Attributes attributes);
  void add_event(std::string name, Attributes attributes = {}, TimePoint time = Clock::now());
  /// Adds a link after start (links given at start are visible to the sampler; these are not).
  void add_link(SpanContext context, Attributes attributes = {});
  /// Adds an `exception` event with exception.type, exception.message (and more attributes
  /// from `extra`). Does not change the status: call set_status too.
  void record_exception(const std::exception& e, Attributes extra = {});
  void record_exception(const std::exception_ptr& e, Attributes extra = {});
  /// Sets the status. Ok is final; Unset is ignored; the description is kept only for Error.
  void set_status(StatusCode code, std::string_view description = {});
  void update_name(std::string name);
  /// Ends the span (idempotent: only the first call counts) and hands it to the processors.
  void end(TimePoint end_time = {}) {
    if (impl_) end_impl(end_time);
  }

  explicit operator bool() const noexcept { return context_.valid(); }

 private:
  friend class Tracer;
  friend class ScopedSpan;  // (asks whether there is a recording span behind the handle, without locking)
  void set_attribute_impl(AttributeKey&& key, AttributeValue&& value);
  void end_impl(TimePoint end_time);
  Span(std::shared_ptr<detail::RecordingSpan> impl, SpanContext context) noexcept
      : impl_(std::move(impl)), context_(std::move(context)) {}

  std::shared_ptr<detail::RecordingSpan> impl_;
  SpanContext context_;
};

}  // namespace tracehop::trace
