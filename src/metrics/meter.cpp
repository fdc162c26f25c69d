// Meters, instruments and the global provider; the recording path.

#include <cmath>

#include "common/env.hpp"
#include "common/text.hpp"
#include "provider.hpp"
#include "tracehop/log.hpp"
#include "tracehop/trace/context.hpp"

namespace tracehop::metrics {
namespace detail {
namespace {

// What a measurement's exemplar refers to: the span given with it, else the current one; none
// when the filter says no.
const trace::SpanContext* exemplar_context(ExemplarFilter filter, const trace::SpanContext* given) noexcept {
  if (filter == ExemplarFilter::AlwaysOff) return nullptr;
  const trace::SpanContext& c = given ? *given : trace::current_slot().get().span().span_context();
  return filter == ExemplarFilter::AlwaysOn || c.sampled() ? &c : nullptr;
}

// A counter only goes up and a histogram holds no negative value: such a value (or NaN) is
// ignored, as the specification lets the SDK do.
template <class T>
bool acceptable(InstrumentKind kind, T v) noexcept {
  if (kind != InstrumentKind::Counter && kind != InstrumentKind::Histogram) return true;
  return v >= 0;  // false for NaN too
}

template <class T>
[[gnu::noinline]] void record_each(const Binding& b, T value, const Given& attributes,
                                   const trace::SpanContext* exemplar) noexcept {
  for (const auto& s : b.storages) s->record(value, attributes, exemplar);
}

// Without a call but tail calls on the usual path (one reader), so no register is saved.
template <class T>
[[gnu::always_inline]] inline void record_value(const InstrumentCore* core, T value, const Given& attributes,
                  const trace::SpanContext* context) noexcept {
  if (core == nullptr) return;
  const Binding* b = core->binding.load(std::memory_order_acquire);
  if (b == nullptr || b->storages.empty() || !acceptable(core->descriptor.kind, value)) return;
  const trace::SpanContext* exemplar = exemplar_context(b->exemplar_filter, context);
  if (b->storages.size() == 1) [[likely]]  // one reader: a tail call
    return b->storages.front()->record(value, attributes, exemplar);
  return record_each(*b, value, attributes, exemplar);
}

}  // namespace

void record(const InstrumentCore* core, std::int64_t value, AttributeList attributes,
            const trace::SpanContext* context) noexcept {
  record_value(core, value, Given{attributes}, context);
}
void record(const InstrumentCore* core, double value, AttributeList attributes,
            const trace::SpanContext* context) noexcept {
  record_value(core, value, Given{attributes}, context);
}

namespace {
const Given& given(const AttributeSet& set) noexcept {
  static constexpr Given kNone;
  const AttributeSetData* d = set.data();
  return d ? d->given : kNone;
}
}  // namespace

void record(const InstrumentCore* core, std::int64_t value, const AttributeSet& attributes,
            const trace::SpanContext* context) noexcept {
  record_value(core, value, given(attributes), context);
}
void record(const InstrumentCore* core, double value, const AttributeSet& attributes,
            const trace::SpanContext* context) noexcept {
  record_value(core, value, given(attributes), context);
}

const std::atomic<bool>* enabled_flag(const InstrumentCore* core) noexcept {
  return core ? &core->measured : nullptr;
}

void InstrumentCore::bind(std::shared_ptr<const Binding> b) {
  std::lock_guard lock(bind_mutex_);
  binding.store(b.get(), std::memory_order_release);
  measured.store(b && !b->storages.empty(), std::memory_order_release);
  if (b) bindings_.push_back(std::move(b));
}

std::uint64_t InstrumentCore::add_callback(ObservableCallback callback) {
  std::lock_guard lock(callback_mutex_);
  callbacks_.emplace_back(next_id_, std::move(callback));
  return next_id_++;
}

void InstrumentCore::remove_callback(std::uint64_t id) noexcept {
  std::lock_guard lock(callback_mutex_);
  std::erase_if(callbacks_, [id](const auto& c) { return c.first == id; });
}

void InstrumentCore::observe(ObservableResult::Sink& sink) {
  std::lock_guard lock(callback_mutex_);
  ObservableResult result(sink);
  for (const auto& [id, callback] : callbacks_) {
    try {
      callback(result);
    } catch (const std::exception& e) {
      log_error("the callback of observable instrument '" + descriptor.name + "' threw: " + e.what() +
                " (what it observed before is kept)");
    } catch (...) {
      log_error("the callback of observable instrument '" + descriptor.name + "' threw a non-exception");
    }
  }
}

namespace {

struct Global {
  std::mutex mutex;  // guards what follows
  std::shared_ptr<MeterProvider> provider;
  std::shared_ptr<ProviderState> state;
  std::vector<std::shared_ptr<InstrumentCore>> instruments;
};
Global& global() {
  static Global* g = new Global;  // never destroyed: instruments may record during exit
  return *g;
}

}  // namespace
}  // namespace detail

void ObservableResult::observe(std::int64_t value, AttributeList attributes) noexcept {
  for (auto* s : sink_->storages) s->observe(value, attributes);
}
void ObservableResult::observe(double value, AttributeList attributes) noexcept {
  for (auto* s : sink_->storages) s->observe(value, attributes);
}

void ObservableInstrument::remove() noexcept {
  if (core_) core_->remove_callback(id_);
  core_.reset();
  enabled_ = nullptr;
}

ExemplarFilter exemplar_filter_from_env() {
  const auto v = tracehop::detail::env("OTEL_METRICS_EXEMPLAR_FILTER");
  if (!v) return ExemplarFilter::TraceBased;
  const std::string s = tracehop::detail::ascii_lower(*v);
  if (s == "always_off") return ExemplarFilter::AlwaysOff;
  if (s == "always_on") return ExemplarFilter::AlwaysOn;
  if (s != "trace_based") log_warn("OTEL_METRICS_EXEMPLAR_FILTER=" + *v + " is not always_on, always_off or trace_based: trace_based");
  return ExemplarFilter::TraceBased;
}

const trace::InstrumentationScope& Meter::scope() const noexcept {
  static const trace::InstrumentationScope none;
  return state_ ? *state_->scope : none;
}

std::shared_ptr<detail::InstrumentCore> Meter::make(std::string_view name, const InstrumentOptions& options,
                                                    InstrumentKind kind, bool is_double) const {
  if (!state_) return nullptr;
  if (!detail::valid_name(name) || !detail::valid_unit(options.unit)) return nullptr;
  detail::InstrumentDescriptor d{std::string(name), kind, is_double, options.unit, options.description, {}};
  if (!options.bucket_boundaries.empty()) {
    if (detail::valid_boundaries(options.bucket_boundaries))
      d.advice = options.bucket_boundaries;
    else
      log_warn("instrument '" + d.name + "': its bucket boundary advice is not strictly increasing and finite: ignored");
  }
  if (state_->provider) return state_->provider->instrument(state_->scope, std::move(d));

  auto& g = detail::global();
  std::lock_guard lock(g.mutex);
  for (const auto& c : g.instruments)
    if (detail::same_instrument(*c, *state_->scope, d)) return c;
  auto core = std::make_shared<detail::InstrumentCore>(std::move(d), state_->scope);
  if (g.state) g.state->bind(core);
  g.instruments.push_back(core);
  return core;
}

ObservableInstrument Meter::observable(std::string_view name, ObservableCallback callback,
                                       const InstrumentOptions& options, InstrumentKind kind,
                                       bool is_double) const {
  auto core = make(name, options, kind, is_double);
  if (!core) return {};
  const auto id = core->add_callback(std::move(callback));
  return ObservableInstrument(std::move(core), id);
}

MeterProvider::MeterProvider(MeterProviderOptions options)
    : state_(std::make_shared<detail::ProviderState>(std::move(options))) {
  state_->attach_readers();
}

MeterProvider::~MeterProvider() { state_->shutdown(std::chrono::seconds(30)); }

Meter MeterProvider::get_meter(std::string_view name, std::string_view version, std::string_view schema_url,
                               trace::Attributes attributes) {
  auto scope = std::make_shared<trace::InstrumentationScope>(
      trace::InstrumentationScope{std::string(name), std::string(version), std::string(schema_url), std::move(attributes)});
  return Meter(std::make_shared<detail::MeterState>(detail::MeterState{state_, std::move(scope)}));
}

bool MeterProvider::force_flush(std::chrono::milliseconds timeout) { return state_->force_flush(timeout); }
bool MeterProvider::shutdown(std::chrono::milliseconds timeout) { return state_->shutdown(timeout); }
const trace::Resource& MeterProvider::resource() const noexcept { return state_->resource; }

Meter get_meter(std::string_view name, std::string_view version, std::string_view schema_url,
                trace::Attributes attributes) {
  auto scope = std::make_shared<trace::InstrumentationScope>(
      trace::InstrumentationScope{std::string(name), std::string(version), std::string(schema_url), std::move(attributes)});
  return Meter(std::make_shared<detail::MeterState>(detail::MeterState{nullptr, std::move(scope)}));
}

void set_meter_provider(std::shared_ptr<MeterProvider> provider) {
  auto& g = detail::global();
  std::lock_guard lock(g.mutex);
  g.state = provider ? provider->state_ : nullptr;
  g.provider = std::move(provider);
  for (const auto& core : g.instruments) {
    if (g.state)
      g.state->bind(core);
    else
      core->bind(nullptr);
  }
}

std::shared_ptr<MeterProvider> meter_provider() {
  auto& g = detail::global();
  std::lock_guard lock(g.mutex);
  return g.provider;
}

}  // namespace tracehop::metrics
