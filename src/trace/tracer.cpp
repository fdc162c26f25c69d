#include "tracehop/trace/tracer.hpp"

#include <algorithm>
#include <exception>
#include <iterator>
#include <mutex>

#include "internal.hpp"
#include "random.hpp"
#include "tracehop/log.hpp"

namespace tracehop::trace {
namespace detail {

class ProviderState : public std::enable_shared_from_this<ProviderState> {
 public:
  explicit ProviderState(TracerProviderOptions o)
      : resource(std::make_shared<const Resource>(o.resource ? *o.resource : Resource::create())),
        sampler(o.sampler ? std::move(o.sampler) : sampler_from_env()),
        limits(o.limits ? *o.limits : SpanLimits::from_env()),
        ids(o.id_generator ? std::move(o.id_generator) : std::make_shared<RandomIdGenerator>()),
        random_trace_ids(ids->trace_ids_are_random()),
        default_ids(dynamic_cast<const RandomIdGenerator*>(ids.get()) != nullptr) {
    lists_.push_back(std::make_unique<ProcessorList>());
    current_.store(lists_.back().get(), std::memory_order_release);
  }

  const std::shared_ptr<const Resource> resource;
  const SamplerPtr sampler;
  const SpanLimits limits;
  const std::shared_ptr<IdGenerator> ids;
  const bool random_trace_ids;
  const bool default_ids;  // ids is the (final) RandomIdGenerator: drawn inline, no virtual call
  std::atomic<bool> shut_down{false};

  const ProcessorList* processors() const noexcept {
    return current_.load(std::memory_order_acquire);
  }

  void add(std::shared_ptr<SpanProcessor> p) {
    std::lock_guard lk(mu_);
    auto next = std::make_unique<ProcessorList>(*lists_.back());
    next->processors.push_back(std::move(p));
    // Earlier lists stay alive: spans started before this call still point at them.
    lists_.push_back(std::move(next));
    current_.store(lists_.back().get(), std::memory_order_release);
  }

  bool force_flush(std::chrono::milliseconds timeout) {
    bool ok = true;
    for (const auto& p : processors()->processors) ok &= p->force_flush(timeout);
    return ok;
  }

  bool shutdown(std::chrono::milliseconds timeout) {
    if (shut_down.exchange(true)) return true;
    bool ok = true;
    for (const auto& p : processors()->processors) ok &= p->shutdown(timeout);
    return ok;
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<ProcessorList>> lists_;
  std::atomic<const ProcessorList*> current_{nullptr};
};

namespace {

// Truncates attribute lists to `limit`, counting what was cut.
void apply_count_limit(Attributes& attrs, std::size_t limit, std::uint32_t& dropped) {
  if (attrs.size() <= limit) return;
  dropped += static_cast<std::uint32_t>(attrs.size() - limit);
  attrs.erase(attrs.begin() + static_cast<std::ptrdiff_t>(limit), attrs.end());
}

// Keeps a span's start attributes (already in its list) as set_attribute would have kept them: no
// empty key, values truncated, a repeated key's value replacing the first one's, none past the
// count limit. Returns the key_bit()s of the keys kept.
std::uint64_t keep_start_attributes(Attributes& list, const SpanLimits& lim, std::uint32_t& dropped) {
  std::uint64_t bits = 0;
  // The usual list (keys of different bits, none empty, within the limits) is kept as it is.
  bool as_is = list.size() <= lim.attribute_count && lim.attribute_value_length == SIZE_MAX;
  for (std::size_t i = 0; as_is && i < list.size(); ++i) {
    const std::uint64_t bit = key_bit(list[i].key.view());
    as_is = (bit & ~bits) != 0;
    bits |= bit;
  }
  if (!as_is) {
    bits = 0;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < list.size(); ++i) {
      auto& kv = list[i];
      const std::uint64_t bit = key_bit(kv.key.view());
      if (bit == 0) {  // an empty key
        ++dropped;
        continue;
      }
      if (lim.attribute_value_length != SIZE_MAX) kv.value.truncate(lim.attribute_value_length);
      const auto end = list.begin() + static_cast<std::ptrdiff_t>(kept);
      const auto same = (bits & bit) ? std::find_if(list.begin(), end, [&](const KeyValue& k) { return k.key.view() == kv.key.view(); })
                                     : end;
      if (same != end) {
        same->value = std::move(kv.value);
      } else if (kept >= lim.attribute_count) {
        ++dropped;
      } else {
        if (i != kept) list[kept] = std::move(kv);
        ++kept;
        bits |= bit;
      }
    }
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(kept), list.end());
  }
  // Room for the attributes set after start, as an empty span gets on its first one.
  if (!list.empty()) list.reserve(std::min(lim.attribute_count, std::max<std::size_t>(list.size(), 8)));
  return bits;
}

struct Global {
  std::mutex mu;
  std::shared_ptr<TracerProvider> provider;
  // Every state ever installed stays alive, so a raw pointer read without the lock is valid.
  std::vector<std::shared_ptr<ProviderState>> installed;
  std::atomic<ProviderState*> state{nullptr};
};
Global& global() {
  static Global* g = new Global;  // never destroyed: spans may end during static destruction
  return *g;
}

}  // namespace
}  // namespace detail

// ---------------------------------------------------------------------------------------------

Tracer::Tracer(std::shared_ptr<detail::ProviderState> provider,
               std::shared_ptr<const InstrumentationScope> scope) noexcept
    : provider_(std::move(provider)), scope_(std::move(scope)) {}

bool Tracer::enabled() const noexcept {
  const detail::ProviderState* state = provider_ ? provider_.get() : detail::global().state.load(std::memory_order_acquire);
  return state && !state->shut_down.load(std::memory_order_relaxed);
}

Span Tracer::start(std::string_view name, StartSpanOptions& options, void (*add_attributes)(void*, Attributes&),
                   void* state_of_add) const {
  detail::ProviderState* state = provider_.get();
  if (!state) state = detail::global().state.load(std::memory_order_acquire);

  // The current context is read in place: nothing below attaches a context on this thread.
  const Context& parent_ctx = options.parent ? *options.parent : current_slot().get();
  const SpanContext& parent = parent_ctx.span().span_context();

  if (!state || state->shut_down.load(std::memory_order_relaxed)) {
    // No SDK: the span is the parent's context, so propagation still works (spec API rule).
    return parent.valid() ? Span(parent) : Span();
  }

  const bool has_parent = parent.valid();
  const TraceId trace_id = has_parent         ? parent.trace_id()
                           : state->default_ids ? detail::random_trace_id()
                                                : state->ids->new_trace_id();
  const SpanId span_id = state->default_ids ? detail::random_span_id() : state->ids->new_span_id();
  // W3C Level 2: the random flag follows the parent; a new trace sets it if our ids are random.
  const bool random = has_parent ? parent.trace_flags().random() : state->random_trace_ids;

  // The start attributes are built before the sampler decides only if it reads them.
  const bool sampler_reads = add_attributes && state->sampler->reads_attributes();
  if (sampler_reads) add_attributes(state_of_add, options.attributes);
  // A sampler that decides from the parent and the trace id alone needs no parameters and
  // gives no result to destroy (every built-in one); any other is asked in full.
  SamplingResult sr;
  if (!state->sampler->decide(parent, trace_id, sr.decision))
    sr = state->sampler->should_sample(SamplingParameters{
        parent_ctx, trace_id, name, options.kind, options.attributes, options.links});

  TraceFlags flags = TraceFlags{}.with_random(random).with_sampled(
      sr.decision == SamplingDecision::RecordAndSample);
  SpanContext ctx(trace_id, span_id, flags, false,
                  sr.trace_state ? std::move(*sr.trace_state) : parent.trace_state());
  if (sr.decision == SamplingDecision::Drop) return Span(std::move(ctx));

  // A bound tracer already owns its provider: copying that is cheaper than shared_from_this.
  auto* impl = detail::RecordingSpan::acquire(provider_ ? provider_ : state->shared_from_this(),
                                              state->processors(), &state->limits);
  auto handle = detail::RecordingSpan::share(impl);
  auto& d = impl->data;
  const auto& lim = state->limits;
  d.name.assign(name);
  d.context = ctx;
  d.parent_span_id = has_parent ? parent.span_id() : SpanId{};
  d.parent_remote = has_parent && parent.remote();
  d.kind = options.kind;
  if (options.start_time) {
    d.start_time = *options.start_time;
  } else {
    d.start_time = Clock::now();
    impl->steady_start = std::chrono::steady_clock::now();
  }
  // The start attributes go into the span's own list (a reused span's storage), or become it.
  if (d.attributes.capacity() < options.attributes.size())
    d.attributes = std::move(options.attributes);
  else
    std::move(options.attributes.begin(), options.attributes.end(), std::back_inserter(d.attributes));
  if (add_attributes && !sampler_reads) add_attributes(state_of_add, d.attributes);
  if (!d.attributes.empty()) impl->key_bits = detail::keep_start_attributes(d.attributes, lim, d.dropped_attributes);
  for (auto& kv : sr.attributes) {
    const std::uint64_t bit = detail::key_bit(kv.key.view());
    if (!set_attribute(d.attributes, std::move(kv.key), std::move(kv.value), lim.attribute_count,
                       lim.attribute_value_length))
      ++d.dropped_attributes;
    else
      impl->key_bits |= bit;
  }
  for (auto& l : options.links) {
    if (!l.context.valid()) continue;
    if (d.links.size() >= lim.link_count) {
      ++d.dropped_links;
      continue;
    }
    detail::apply_count_limit(l.attributes, lim.attributes_per_link, l.dropped_attributes);
    d.links.push_back(std::move(l));
  }
  if (d.resource != state->resource) d.resource = state->resource;
  if (d.scope != scope_) d.scope = scope_;
  for (const auto& p : impl->processors().processors) p->on_start(d, parent_ctx);
  return Span(std::move(handle), std::move(ctx));
}

ScopedSpan Tracer::start_as_current_span(std::string_view name, StartSpanOptions options) const {
  return ScopedSpan(start(name, options, nullptr, nullptr));
}

// Only a recording span can take an Error status, so only then are uncaught exceptions counted
// (std::uncaught_exceptions() reads libstdc++'s thread-local globals: ~40 instructions a call).
ScopedSpan::ScopedSpan(Span span)
    : span_(std::move(span)), uncaught_at_start_(span_.impl_ ? std::uncaught_exceptions() : 0) {
  // An invalid span (no SDK) over a context without a valid span would make current what is
  // current already: nothing is attached (what an instrumented library costs without an SDK).
  const Context& current = current_slot().get();
  if (span_.span_context().valid() || current.span().span_context().valid()) scope_.emplace(current.with_span(span_));
}

ScopedSpan::~ScopedSpan() {
  if (span_.impl_ && std::uncaught_exceptions() > uncaught_at_start_)
    span_.set_status(StatusCode::Error, "scope exited with an exception");
  scope_.reset();
  span_.end();
}

// ---------------------------------------------------------------------------------------------

TracerProvider::TracerProvider(TracerProviderOptions options)
    : state_(std::make_shared<detail::ProviderState>(std::move(options))) {}

TracerProvider::~TracerProvider() { state_->shutdown(std::chrono::seconds(30)); }

std::shared_ptr<Tracer> TracerProvider::get_tracer(std::string_view name, std::string_view version,
                                                   std::string_view schema_url) {
  if (name.empty()) log_warn("get_tracer called with an empty instrumentation scope name");
  auto scope = std::make_shared<const InstrumentationScope>(InstrumentationScope{
      std::string(name), std::string(version), std::string(schema_url), {}});
  return std::shared_ptr<Tracer>(new Tracer(state_, std::move(scope)));
}

void TracerProvider::add_span_processor(std::shared_ptr<SpanProcessor> processor) {
  if (processor) state_->add(std::move(processor));
}

bool TracerProvider::force_flush(std::chrono::milliseconds timeout) {
  return state_->force_flush(timeout);
}

bool TracerProvider::shutdown(std::chrono::milliseconds timeout) {
  return state_->shutdown(timeout);
}

const Resource& TracerProvider::resource() const noexcept { return *state_->resource; }
const Sampler& TracerProvider::sampler() const noexcept { return *state_->sampler; }
const SpanLimits& TracerProvider::limits() const noexcept { return state_->limits; }

void set_tracer_provider(std::shared_ptr<TracerProvider> provider) {
  auto& g = detail::global();
  std::lock_guard lk(g.mu);
  if (provider) g.installed.push_back(provider->state_);
  g.state.store(provider ? provider->state_.get() : nullptr, std::memory_order_release);
  g.provider = std::move(provider);
}

std::shared_ptr<TracerProvider> tracer_provider() {
  auto& g = detail::global();
  std::lock_guard lk(g.mu);
  return g.provider;
}

std::shared_ptr<Tracer> get_tracer(std::string_view name, std::string_view version,
                                   std::string_view schema_url) {
  auto scope = std::make_shared<const InstrumentationScope>(InstrumentationScope{
      std::string(name), std::string(version), std::string(schema_url), {}});
  return std::shared_ptr<Tracer>(new Tracer(nullptr, std::move(scope)));
}

bool shutdown(std::chrono::milliseconds timeout) {
  auto p = tracer_provider();
  return p ? p->shutdown(timeout) : true;
}

bool force_flush(std::chrono::milliseconds timeout) {
  auto p = tracer_provider();
  return p ? p->force_flush(timeout) : true;
}

}  // namespace tracehop::trace
