// The provider: which streams an instrument gets, and a reader's collection of them.

#include "provider.hpp"

#include <algorithm>

#include "common/text.hpp"
#include "tracehop/log.hpp"

namespace tracehop::metrics::detail {

ProviderState::ProviderState(MeterProviderOptions options)
    : resource(options.resource ? *options.resource : trace::Resource::create()),
      readers_(std::move(options.readers)),
      exemplar_filter_(options.exemplar_filter ? *options.exemplar_filter : exemplar_filter_from_env()),
      cardinality_limit_(options.cardinality_limit) {
  readers_.erase(std::remove(readers_.begin(), readers_.end(), nullptr), readers_.end());
  for (auto& v : options.views)
    if (valid_view(v)) views_.push_back(std::move(v));
}

void ProviderState::attach_readers() {
  std::vector<std::shared_ptr<MetricReader>> attached;
  for (auto& r : readers_) {
    std::lock_guard lock(r->mutex_);
    if (r->registered_) {
      log_error("a metric reader serves one meter provider: this one is already registered with another, and is left out");
      continue;
    }
    r->registered_ = true;
    r->provider_ = weak_from_this();
    r->index_ = attached.size();
    attached.push_back(r);
  }
  readers_ = std::move(attached);
}

bool same_scope(const trace::InstrumentationScope& a, const trace::InstrumentationScope& b) noexcept {
  return a.name == b.name && a.version == b.version && a.schema_url == b.schema_url &&
         std::equal(a.attributes.begin(), a.attributes.end(), b.attributes.begin(), b.attributes.end(),
                    [](const trace::KeyValue& x, const trace::KeyValue& y) {
                      return x.key.view() == y.key.view() && x.value == y.value;
                    });
}

bool same_instrument(const InstrumentCore& existing, const trace::InstrumentationScope& scope,
                     const InstrumentDescriptor& w) {
  const InstrumentDescriptor& e = existing.descriptor;
  if (!same_scope(*existing.scope, scope) || !tracehop::detail::iequals(e.name, w.name)) return false;
  if (e.kind == w.kind && e.is_double == w.is_double && e.unit == w.unit && e.description == w.description &&
      e.advice == w.advice)
    return true;
  log_warn("instrument '" + w.name + "' is made again with another kind, value type, unit, description or advice than '" +
           e.name + "': it gets a stream of its own, and a backend may see the two as one metric");
  return false;
}

std::shared_ptr<InstrumentCore> ProviderState::instrument(
    const std::shared_ptr<const trace::InstrumentationScope>& scope, InstrumentDescriptor descriptor) {
  {
    std::lock_guard lock(mutex_);
    for (const auto& r : instruments_)
      if (same_instrument(*r.core, *scope, descriptor)) return r.core;
  }
  auto core = std::make_shared<InstrumentCore>(std::move(descriptor), scope);
  bind(core);
  return core;
}

std::shared_ptr<const Binding> ProviderState::streams(const InstrumentCore& core) const {
  const InstrumentDescriptor& d = core.descriptor;
  auto binding = std::make_shared<Binding>();
  binding->exemplar_filter = exemplar_filter_;

  StreamConfig base;
  base.name = d.name;
  base.description = d.description;
  base.unit = d.unit;
  base.kind = d.kind;
  base.is_double = d.is_double;
  switch (d.kind) {
    case InstrumentKind::Histogram:
      base.aggregation = Aggregation::Histogram;
      base.boundaries = d.advice.empty() ? default_boundaries() : d.advice;
      break;
    case InstrumentKind::Gauge:
    case InstrumentKind::ObservableGauge: base.aggregation = Aggregation::LastValue; break;
    default: base.aggregation = Aggregation::Sum;
  }
  base.cardinality_limit = cardinality_limit_;
  base.exemplars = exemplar_filter_ != ExemplarFilter::AlwaysOff && !is_observable(d.kind);

  std::vector<StreamConfig> configs;
  bool selected = false;
  for (const auto& v : views_) {
    if (!selects(v, d, *core.scope)) continue;
    selected = true;
    if (v.drop) continue;
    StreamConfig c = base;
    if (!v.name.empty()) c.name = v.name;
    if (!v.description.empty()) c.description = v.description;
    if (v.boundaries && c.aggregation == Aggregation::Histogram) c.boundaries = *v.boundaries;
    if (v.attribute_keys) c.filter = KeyFilter{*v.attribute_keys};
    if (v.cardinality_limit) c.cardinality_limit = *v.cardinality_limit;
    configs.push_back(std::move(c));
  }
  if (!selected) configs.push_back(base);

  for (std::size_t r = 0; r < readers_.size(); ++r)
    for (const auto& c : configs) {
      StreamConfig rc = c;
      rc.temporality = readers_[r]->temporality(d.kind);
      binding->storages.push_back(make_storage(std::move(rc), r));
    }
  return binding;
}

void ProviderState::bind(const std::shared_ptr<InstrumentCore>& core) {
  auto binding = streams(*core);
  core->bind(binding);
  std::lock_guard lock(mutex_);
  instruments_.push_back({core, std::move(binding)});
}

std::optional<ResourceMetrics> ProviderState::collect(std::size_t reader) {
  if (shut_down_.load()) return std::nullopt;
  std::vector<Registered> instruments;
  {
    std::lock_guard lock(mutex_);
    instruments = instruments_;
  }
  ResourceMetrics out{resource, {}};
  const trace::TimePoint now = trace::Clock::now();
  for (const auto& r : instruments) {
    ObservableResult::Sink sink;
    for (const auto& s : r.binding->storages)
      if (s->reader() == reader) sink.storages.push_back(s.get());
    if (sink.storages.empty()) continue;
    if (is_observable(r.core->descriptor.kind)) r.core->observe(sink);
    std::vector<MetricData> metrics;
    for (auto* s : sink.storages) s->collect(metrics, now);
    if (metrics.empty()) continue;
    auto scope = std::find_if(out.scopes.begin(), out.scopes.end(),
                              [&](const ScopeMetrics& m) { return same_scope(m.scope, *r.core->scope); });
    if (scope == out.scopes.end()) scope = out.scopes.insert(out.scopes.end(), ScopeMetrics{*r.core->scope, {}});
    std::move(metrics.begin(), metrics.end(), std::back_inserter(scope->metrics));
  }
  return out;
}

namespace {
// Calls step(reader, time left) for each reader in turn, all within `timeout`; true if every
// step was.
template <class Step>
bool each_within(const std::vector<std::shared_ptr<MetricReader>>& readers, std::chrono::milliseconds timeout,
                 Step step) {
  bool ok = true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const auto& r : readers) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    ok = step(*r, std::max(left, std::chrono::milliseconds(0))) && ok;
  }
  return ok;
}
}  // namespace

bool ProviderState::force_flush(std::chrono::milliseconds timeout) {
  return each_within(readers_, timeout, [](MetricReader& r, auto left) { return r.force_flush(left); });
}

bool ProviderState::shutdown(std::chrono::milliseconds timeout) {
  // (Each reader's last collection comes first: a periodic one exports it.)
  const bool ok = each_within(readers_, timeout, [](MetricReader& r, auto left) { return r.shutdown(left); });
  shut_down_.store(true);
  return ok;
}

}  // namespace tracehop::metrics::detail
