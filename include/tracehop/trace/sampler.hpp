#pragma once
// Samplers decide, as a span starts, whether it is recorded and whether it is sampled.

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "tracehop/trace/attributes.hpp"
#include "tracehop/trace/span.hpp"

namespace tracehop::trace {

class Context;

enum class SamplingDecision : std::uint8_t { Drop, RecordOnly, RecordAndSample };

struct SamplingResult {
  SamplingDecision decision = SamplingDecision::Drop;
  /// Added to the span's attributes.
  Attributes attributes;
  /// Replaces the parent's trace state on the new span when set.
  std::optional<TraceState> trace_state;
};

/// What a sampler sees of a span about to start.
struct SamplingParameters {
  const Context& parent;          // the parent context (its span may be invalid: a root span)
  const TraceId& trace_id;        // the new span's trace id
  std::string_view name;
  SpanKind kind;
  const Attributes& attributes;   // the start attributes
  std::span<const Link> links;
};

/// Must be thread-safe: should_sample runs concurrently on every thread that starts spans. It
/// must not attach contexts (the parent it is shown is read in place from the current slot).
class Sampler {
 public:
  virtual ~Sampler() = default;
  virtual SamplingResult should_sample(const SamplingParameters& params) const = 0;
  /// Whether should_sample reads `params.attributes`. A sampler that does not (every built-in
  /// one) lets the SDK decide before the start attributes are built, so a span it drops costs
  /// none of them. Default: true (a custom sampler sees every start attribute).
  virtual bool reads_attributes() const noexcept { return true; }
  /// A shortcut the SDK tries first: a sampler whose decision for this span depends on nothing
  /// but the parent's span context and the trace id, and would add no attribute and keep the
  /// parent's trace state, may set `decision` and return true (every built-in one does); the
  /// SDK then calls should_sample no more. Default: false.
  virtual bool decide(const SpanContext& /*parent*/, const TraceId& /*trace_id*/,
                      SamplingDecision& /*decision*/) const noexcept {
    return false;
  }
  /// E.g. `ParentBased{root:AlwaysOnSampler,...}`; shown in debug output.
  virtual std::string description() const = 0;
};

using SamplerPtr = std::shared_ptr<const Sampler>;

SamplerPtr always_on_sampler();
SamplerPtr always_off_sampler();
/// Samples a fraction `ratio` (clamped to [0, 1]) of traces, decided by the trace id alone:
/// its right-most 56 bits (random under W3C Level 2) are compared with the rejection threshold
/// (1 - ratio) * 2^56, so every service with the same ratio decides the same way and a trace
/// sampled at one ratio is sampled at every higher one.
SamplerPtr trace_id_ratio_sampler(double ratio);

struct ParentBasedOptions {
  SamplerPtr remote_parent_sampled;      // default always_on
  SamplerPtr remote_parent_not_sampled;  // default always_off
  SamplerPtr local_parent_sampled;       // default always_on
  SamplerPtr local_parent_not_sampled;   // default always_off
};
/// Follows the parent's sampled flag; `root` decides for spans without a valid parent.
SamplerPtr parent_based_sampler(SamplerPtr root, ParentBasedOptions options = {});

/// The sampler named by OTEL_TRACES_SAMPLER (always_on, always_off, traceidratio,
/// parentbased_always_on (the default), parentbased_always_off, parentbased_traceidratio) with
/// OTEL_TRACES_SAMPLER_ARG as the ratio (default 1.0). An unknown name or bad ratio is logged
/// and the default used.
SamplerPtr sampler_from_env();
/// The same, from explicit strings (for tests and the command line).
SamplerPtr sampler_from_name(std::string_view name, std::string_view arg = {});

}  // namespace tracehop::trace
