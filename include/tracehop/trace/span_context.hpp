#pragma once
// SpanContext: the part of a span that crosses process boundaries.

#include "tracehop/trace/ids.hpp"
#include "tracehop/trace/trace_state.hpp"

namespace tracehop::trace {

class SpanContext {
 public:
  SpanContext() noexcept = default;
  SpanContext(TraceId trace_id, SpanId span_id, TraceFlags flags, bool remote,
              TraceState state = {}) noexcept
      : trace_id_(trace_id),
        span_id_(span_id),
        flags_(flags),
        remote_(remote),
        trace_state_(std::move(state)) {}

  /// Both ids are non-zero.
  bool valid() const noexcept { return trace_id_.valid() && span_id_.valid(); }
  /// Came from another process through a propagator.
  bool remote() const noexcept { return remote_; }
  bool sampled() const noexcept { return flags_.sampled(); }

  const TraceId& trace_id() const noexcept { return trace_id_; }
  const SpanId& span_id() const noexcept { return span_id_; }
  TraceFlags trace_flags() const noexcept { return flags_; }
  const TraceState& trace_state() const noexcept { return trace_state_; }

  friend bool operator==(const SpanContext&, const SpanContext&) = default;

 private:
  TraceId trace_id_;
  SpanId span_id_;
  TraceFlags flags_;
  bool remote_ = false;
  TraceState trace_state_;
};

}  // namespace tracehop::trace
