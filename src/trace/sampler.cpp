#include "tracehop/trace/sampler.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "internal.hpp"
#include "tracehop/trace/context.hpp"
#include "tracehop/log.hpp"

namespace tracehop::trace {

namespace {

class AlwaysOn final : public Sampler {
 public:
  SamplingResult should_sample(const SamplingParameters&) const override {
    return {SamplingDecision::RecordAndSample, {}, std::nullopt};
  }
  bool decide(const SpanContext&, const TraceId&, SamplingDecision& d) const noexcept override {
    d = SamplingDecision::RecordAndSample;
    return true;
  }
  std::string description() const override { return "AlwaysOnSampler"; }
  bool reads_attributes() const noexcept override { return false; }
};

class AlwaysOff final : public Sampler {
 public:
  SamplingResult should_sample(const SamplingParameters&) const override {
    return {SamplingDecision::Drop, {}, std::nullopt};
  }
  bool decide(const SpanContext&, const TraceId&, SamplingDecision& d) const noexcept override {
    d = SamplingDecision::Drop;
    return true;
  }
  std::string description() const override { return "AlwaysOffSampler"; }
  bool reads_attributes() const noexcept override { return false; }
};

constexpr std::uint64_t kMaxRandomness = std::uint64_t{1} << 56;

class TraceIdRatio final : public Sampler {
 public:
  explicit TraceIdRatio(double ratio)
      : ratio_(std::isnan(ratio) ? 0.0 : std::clamp(ratio, 0.0, 1.0)),
        // Rejection threshold: a trace is kept when its 56-bit randomness is >= threshold.
        threshold_(ratio_ >= 1.0 ? 0
                                 : static_cast<std::uint64_t>(std::llround(
                                       (1.0 - ratio_) * static_cast<double>(kMaxRandomness)))) {}

  SamplingResult should_sample(const SamplingParameters& p) const override {
    return {keep(p.trace_id) ? SamplingDecision::RecordAndSample : SamplingDecision::Drop, {}, std::nullopt};
  }
  bool decide(const SpanContext&, const TraceId& trace_id, SamplingDecision& d) const noexcept override {
    d = keep(trace_id) ? SamplingDecision::RecordAndSample : SamplingDecision::Drop;
    return true;
  }
  bool reads_attributes() const noexcept override { return false; }
  std::string description() const override {
    char buf[64];
    std::snprintf(buf, sizeof buf, "TraceIdRatioBased{%f}", ratio_);
    return buf;
  }

 private:
  bool keep(const TraceId& trace_id) const noexcept {
    std::uint64_t randomness = 0;
    const auto& b = trace_id.bytes();
    for (std::size_t i = 9; i < 16; ++i) randomness = randomness << 8 | b[i];
    return threshold_ < kMaxRandomness && randomness >= threshold_;
  }

  double ratio_;
  std::uint64_t threshold_;
};

class ParentBased final : public Sampler {
 public:
  ParentBased(SamplerPtr root, ParentBasedOptions o)
      : root_(std::move(root)),
        remote_sampled_(o.remote_parent_sampled ? o.remote_parent_sampled : always_on_sampler()),
        remote_not_sampled_(o.remote_parent_not_sampled ? o.remote_parent_not_sampled
                                                        : always_off_sampler()),
        local_sampled_(o.local_parent_sampled ? o.local_parent_sampled : always_on_sampler()),
        local_not_sampled_(o.local_parent_not_sampled ? o.local_parent_not_sampled
                                                      : always_off_sampler()),
        reads_attributes_(root_->reads_attributes() || remote_sampled_->reads_attributes() ||
                          remote_not_sampled_->reads_attributes() || local_sampled_->reads_attributes() ||
                          local_not_sampled_->reads_attributes()) {}

  SamplingResult should_sample(const SamplingParameters& p) const override {
    return delegate(p.parent.span().span_context()).should_sample(p);
  }
  bool decide(const SpanContext& parent, const TraceId& trace_id, SamplingDecision& d) const noexcept override {
    return delegate(parent).decide(parent, trace_id, d);
  }
  std::string description() const override {
    return "ParentBased{root:" + root_->description() +
           ",remoteParentSampled:" + remote_sampled_->description() +
           ",remoteParentNotSampled:" + remote_not_sampled_->description() +
           ",localParentSampled:" + local_sampled_->description() +
           ",localParentNotSampled:" + local_not_sampled_->description() + "}";
  }
  bool reads_attributes() const noexcept override { return reads_attributes_; }

 private:
  const Sampler& delegate(const SpanContext& parent) const noexcept {
    if (!parent.valid()) return *root_;
    if (parent.remote()) return parent.sampled() ? *remote_sampled_ : *remote_not_sampled_;
    return parent.sampled() ? *local_sampled_ : *local_not_sampled_;
  }

  SamplerPtr root_, remote_sampled_, remote_not_sampled_, local_sampled_, local_not_sampled_;
  bool reads_attributes_;
};

std::optional<double> parse_ratio(std::string_view arg) {
  arg = detail::trim(arg);
  double v = 0;
  auto [p, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), v);
  if (ec != std::errc{} || p != arg.data() + arg.size() || !(v >= 0.0 && v <= 1.0))
    return std::nullopt;
  return v;
}

}  // namespace

SamplerPtr always_on_sampler() {
  static const SamplerPtr s = std::make_shared<AlwaysOn>();
  return s;
}
SamplerPtr always_off_sampler() {
  static const SamplerPtr s = std::make_shared<AlwaysOff>();
  return s;
}
SamplerPtr trace_id_ratio_sampler(double ratio) { return std::make_shared<TraceIdRatio>(ratio); }
SamplerPtr parent_based_sampler(SamplerPtr root, ParentBasedOptions options) {
  return std::make_shared<ParentBased>(root ? std::move(root) : always_on_sampler(),
                                       std::move(options));
}

SamplerPtr sampler_from_name(std::string_view name, std::string_view arg) {
  const std::string n = detail::ascii_lower(detail::trim(name));
  auto ratio = [&]() -> double {
    if (detail::trim(arg).empty()) return 1.0;
    if (auto r = parse_ratio(arg)) return *r;
    log_warn("OTEL_TRACES_SAMPLER_ARG='" + std::string(arg) +
             "' is not a ratio in [0, 1]; using 1.0");
    return 1.0;
  };
  if (n == "always_on") return always_on_sampler();
  if (n == "always_off") return always_off_sampler();
  if (n == "traceidratio") return trace_id_ratio_sampler(ratio());
  if (n == "parentbased_always_on" || n.empty()) return parent_based_sampler(always_on_sampler());
  if (n == "parentbased_always_off") return parent_based_sampler(always_off_sampler());
  if (n == "parentbased_traceidratio") return parent_based_sampler(trace_id_ratio_sampler(ratio()));
  log_warn("unknown sampler '" + std::string(name) + "'; using parentbased_always_on");
  return parent_based_sampler(always_on_sampler());
}

SamplerPtr sampler_from_env() {
  return sampler_from_name(detail::env("OTEL_TRACES_SAMPLER").value_or(""),
                           detail::env("OTEL_TRACES_SAMPLER_ARG").value_or(""));
}

}  // namespace tracehop::trace
