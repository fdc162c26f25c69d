#pragma once
// Tracer and TracerProvider: where spans start. The global provider binds late: a tracer
// obtained before any provider is installed starts real spans as soon as one is.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tracehop/trace/context.hpp"
#include "tracehop/trace/ids.hpp"
#include "tracehop/trace/resource.hpp"
#include "tracehop/trace/sampler.hpp"
#include "tracehop/trace/span.hpp"
#include "tracehop/trace/span_limits.hpp"
#include "tracehop/trace/span_processor.hpp"

namespace tracehop::trace {

struct InstrumentationScope {
  std::string name;
  std::string version;
  std::string schema_url;
  Attributes attributes;
};

struct StartSpanOptions {
  SpanKind kind = SpanKind::Internal;
  /// The parent context; unset means the current context. A context whose span is invalid
  /// makes a root span.
  std::optional<Context> parent;
  /// Start attributes: the sampler sees them.
  Attributes attributes;
  /// Links: the sampler sees them.
  std::vector<Link> links;
  /// Default: now.
  std::optional<TimePoint> start_time;
};

namespace detail {
class ProviderState;
}

class Tracer;

/// A span made current for the lifetime of this object: on destruction the previous context
/// is restored, then the span ends. If the scope is left by an exception, the span's status is
/// set to Error first (unless it was set to Ok).
class [[nodiscard]] ScopedSpan {
 public:
  ScopedSpan(ScopedSpan&&) noexcept = default;
  ScopedSpan& operator=(ScopedSpan&&) = delete;
  ~ScopedSpan();

  Span& span() noexcept { return span_; }
  Span* operator->() noexcept { return &span_; }

 private:
  friend class Tracer;
  explicit ScopedSpan(Span span);
  Span span_;
  std::optional<Scope> scope_;  // none when attaching would change nothing (see the constructor)
  int uncaught_at_start_;
};

class Tracer;
/// A tracer that follows the global provider (late binding).
std::shared_ptr<Tracer> get_tracer(std::string_view name, std::string_view version = {},
                                   std::string_view schema_url = {});

/// Starts spans for one instrumentation scope. Thread-safe.
class Tracer {
 public:
  /// Starts a span (not made current). Never throws for tracing reasons: with no provider
  /// installed, or after shutdown, the span is non-recording and carries the parent's context.
  Span start_span(std::string_view name, StartSpanOptions options = {}) const {
    return start(name, options, nullptr, nullptr);
  }
  /// The same, with start attributes that `add_attributes(Attributes&)` appends (after
  /// `options.attributes`) only when something reads them: the sampler (if it reads attributes)
  /// or the recording span, whose own list it may be given. What an instrumentation uses so that
  /// a dropped span builds none.
  template <class F>
    requires std::is_invocable_v<F&, Attributes&>
  Span start_span(std::string_view name, StartSpanOptions options, F&& add_attributes) const {
    return start(name, options,
                 [](void* f, Attributes& a) { (*static_cast<std::remove_reference_t<F>*>(f))(a); },
                 static_cast<void*>(std::addressof(add_attributes)));
  }
  /// Starts a span and makes it current until the returned object is destroyed.
  ScopedSpan start_as_current_span(std::string_view name, StartSpanOptions options = {}) const;

  const InstrumentationScope& scope() const noexcept { return *scope_; }

  /// Whether a span started now could be recorded: a provider is bound (or, for a tracer from
  /// get_tracer(), installed globally) and not shut down. OpenTelemetry's Tracer.Enabled: an
  /// instrumentation may skip building what only a recording span keeps when it is false.
  bool enabled() const noexcept;

 private:
  friend class TracerProvider;
  friend std::shared_ptr<Tracer> get_tracer(std::string_view, std::string_view, std::string_view);
  // Takes what it keeps (attributes, links) out of `options`.
  Span start(std::string_view name, StartSpanOptions& options, void (*add_attributes)(void*, Attributes&),
             void* state) const;
  /// A tracer bound to `provider` (nullptr: the global provider, looked up at each span start).
  Tracer(std::shared_ptr<detail::ProviderState> provider,
         std::shared_ptr<const InstrumentationScope> scope) noexcept;

  std::shared_ptr<detail::ProviderState> provider_;
  std::shared_ptr<const InstrumentationScope> scope_;
};

struct TracerProviderOptions {
  /// Default: Resource::create() (SDK attributes, service.name, OTEL_RESOURCE_ATTRIBUTES).
  std::optional<Resource> resource;
  /// Default: sampler_from_env() (OTEL_TRACES_SAMPLER, else parentbased_always_on).
  SamplerPtr sampler;
  /// Default: SpanLimits::from_env().
  std::optional<SpanLimits> limits;
  /// Default: RandomIdGenerator.
  std::shared_ptr<IdGenerator> id_generator;
};

/// The SDK's tracer provider: holds the resource, sampler, limits and processors. Shut it down
/// (or let the last reference go) to flush every processor.
class TracerProvider {
 public:
  explicit TracerProvider(TracerProviderOptions options = {});
  ~TracerProvider();
  TracerProvider(const TracerProvider&) = delete;
  TracerProvider& operator=(const TracerProvider&) = delete;

  std::shared_ptr<Tracer> get_tracer(std::string_view name, std::string_view version = {},
                                     std::string_view schema_url = {});
  /// Spans started after this call reach `processor` too.
  void add_span_processor(std::shared_ptr<SpanProcessor> processor);
  bool force_flush(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  /// Shuts every processor down (idempotent). New spans are non-recording afterwards.
  bool shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  const Resource& resource() const noexcept;
  const Sampler& sampler() const noexcept;
  const SpanLimits& limits() const noexcept;

 private:
  friend void set_tracer_provider(std::shared_ptr<TracerProvider>);
  std::shared_ptr<detail::ProviderState> state_;
};

/// Installs the global provider (nullptr uninstalls it: spans become non-recording). Tracers
/// from get_tracer() use it from their next span on, whenever they were obtained.
void set_tracer_provider(std::shared_ptr<TracerProvider> provider);
/// The global provider, or nullptr.
std::shared_ptr<TracerProvider> tracer_provider();
/// Flushes and shuts down the global provider; true if everything was exported in time.
bool shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(30));
bool force_flush(std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace tracehop::trace
