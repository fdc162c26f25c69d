#pragma once
// Meter and MeterProvider: where instruments are made. The global provider binds late: an
// instrument made by get_meter()'s meter before any provider is installed records as soon as
// one is (and into the next one if it is replaced).

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tracehop/metrics/instrument.hpp"
#include "tracehop/metrics/reader.hpp"
#include "tracehop/metrics/view.hpp"

namespace tracehop::metrics {

/// What an instrument is made with besides its name.
struct InstrumentOptions {
  /// UCUM, at most 63 ASCII characters ("s", "By", "{request}").
  std::string unit;
  std::string description;
  /// Advice for a histogram's bucket boundaries (strictly increasing); a view may replace it.
  std::vector<double> bucket_boundaries;
};

/// Which measurements may keep an exemplar (OTEL_METRICS_EXEMPLAR_FILTER).
enum class ExemplarFilter : std::uint8_t { AlwaysOff, AlwaysOn, TraceBased };
/// always_off, always_on, trace_based (the default; anything else is logged and trace_based).
ExemplarFilter exemplar_filter_from_env();

/// Given to an observable instrument's callback: each observe() is one series' value now (for a
/// counter, its total so far).
class ObservableResult {
 public:
  void observe(std::int64_t value, std::initializer_list<Attribute> attributes = {}) noexcept {
    observe(value, AttributeList(attributes.begin(), attributes.size()));
  }
  void observe(double value, std::initializer_list<Attribute> attributes = {}) noexcept {
    observe(value, AttributeList(attributes.begin(), attributes.size()));
  }
  void observe(std::int64_t value, AttributeList attributes) noexcept;
  void observe(double value, AttributeList attributes) noexcept;

  struct Sink;
  explicit ObservableResult(Sink& sink) noexcept : sink_(&sink) {}

 private:
  Sink* sink_;
};

/// Runs at each collection, on the collecting thread. An exception it throws is logged and
/// counted; what it observed before is kept.
using ObservableCallback = std::function<void(ObservableResult&)>;

/// An observable instrument's registration: its callback runs at collections while this lives
/// (destroying it, or remove(), stops that; a collection running it is waited for). The same
/// instrument made again with another callback has both: each reports its own series.
class [[nodiscard]] ObservableInstrument {
 public:
  ObservableInstrument() = default;
  ObservableInstrument(ObservableInstrument&& o) noexcept
      : core_(std::move(o.core_)), id_(o.id_), enabled_(std::exchange(o.enabled_, nullptr)) {}
  ObservableInstrument& operator=(ObservableInstrument&& o) noexcept {
    if (this != &o) {
      remove();
      core_ = std::move(o.core_);
      id_ = o.id_;
      enabled_ = std::exchange(o.enabled_, nullptr);
    }
    return *this;
  }
  ~ObservableInstrument() { remove(); }
  void remove() noexcept;
  /// Whether a collection would run the callback now (a provider is bound, a reader reads the
  /// instrument): what the code keeping the values may check before keeping them.
  bool enabled() const noexcept { return enabled_ != nullptr && enabled_->load(std::memory_order_acquire); }

  /// (What a Meter makes: the callback `id` of `core`.)
  ObservableInstrument(std::shared_ptr<detail::InstrumentCore> core, std::uint64_t id) noexcept
      : core_(std::move(core)), id_(id), enabled_(detail::enabled_flag(core_.get())) {}

 private:
  std::shared_ptr<detail::InstrumentCore> core_;
  std::uint64_t id_ = 0;
  const std::atomic<bool>* enabled_ = nullptr;  // core_'s
};

namespace detail {
class ProviderState;
struct MeterState;
}  // namespace detail

/// Makes instruments for one instrumentation scope. Thread-safe; cheap to copy. The same name
/// (case-insensitive) with the same kind, value type, unit and description gives an instrument
/// that records into the same streams; a name reused otherwise is logged and made a stream of
/// its own. An invalid name (not a letter first, then up to 254 of letters, digits, `_ . - /`)
/// or unit is logged and makes a no-op instrument.
class Meter {
 public:
  Meter() = default;  // a no-op meter

  template <detail::Number T = std::int64_t>
  Counter<T> create_counter(std::string_view name, const InstrumentOptions& options = {}) const {
    return Counter<T>(make(name, options, InstrumentKind::Counter, double_valued<T>));
  }
  template <detail::Number T = std::int64_t>
  UpDownCounter<T> create_up_down_counter(std::string_view name, const InstrumentOptions& options = {}) const {
    return UpDownCounter<T>(make(name, options, InstrumentKind::UpDownCounter, double_valued<T>));
  }
  template <detail::Number T = double>
  Histogram<T> create_histogram(std::string_view name, const InstrumentOptions& options = {}) const {
    return Histogram<T>(make(name, options, InstrumentKind::Histogram, double_valued<T>));
  }
  template <detail::Number T = double>
  Gauge<T> create_gauge(std::string_view name, const InstrumentOptions& options = {}) const {
    return Gauge<T>(make(name, options, InstrumentKind::Gauge, double_valued<T>));
  }

  /// Observable instruments: `callback` reports the current values at each collection (a value
  /// of the other type is converted to T).
  template <detail::Number T = std::int64_t>
  ObservableInstrument create_observable_counter(std::string_view name, ObservableCallback callback,
                               const InstrumentOptions& options = {}) const {
    return observable(name, std::move(callback), options, InstrumentKind::ObservableCounter, double_valued<T>);
  }
  template <detail::Number T = std::int64_t>
  ObservableInstrument create_observable_up_down_counter(std::string_view name, ObservableCallback callback,
                                       const InstrumentOptions& options = {}) const {
    return observable(name, std::move(callback), options, InstrumentKind::ObservableUpDownCounter, double_valued<T>);
  }
  template <detail::Number T = double>
  ObservableInstrument create_observable_gauge(std::string_view name, ObservableCallback callback,
                             const InstrumentOptions& options = {}) const {
    return observable(name, std::move(callback), options, InstrumentKind::ObservableGauge, double_valued<T>);
  }

  const trace::InstrumentationScope& scope() const noexcept;

  explicit Meter(std::shared_ptr<detail::MeterState> state) noexcept : state_(std::move(state)) {}

 private:
  template <class T>
  static constexpr bool double_valued = std::is_same_v<T, double>;
  std::shared_ptr<detail::InstrumentCore> make(std::string_view name, const InstrumentOptions& options,
                                               InstrumentKind kind, bool is_double) const;
  ObservableInstrument observable(std::string_view name, ObservableCallback callback,
                                  const InstrumentOptions& options, InstrumentKind kind, bool is_double) const;
  std::shared_ptr<detail::MeterState> state_;
};

struct MeterProviderOptions {
  /// Default: trace::Resource::create() (SDK attributes, service.name, OTEL_RESOURCE_ATTRIBUTES).
  std::optional<trace::Resource> resource;
  /// Each reader serves this provider only.
  std::vector<std::shared_ptr<MetricReader>> readers;
  std::vector<View> views;
  /// Default: exemplar_filter_from_env().
  std::optional<ExemplarFilter> exemplar_filter;
  /// Series per stream, the overflow series (`otel.metric.overflow=true`) included.
  std::size_t cardinality_limit = 2000;
};

/// The SDK's meter provider: the resource, readers and views. Shut it down (or let the last
/// reference go) to flush every reader.
class MeterProvider {
 public:
  explicit MeterProvider(MeterProviderOptions options = {});
  ~MeterProvider();
  MeterProvider(const MeterProvider&) = delete;
  MeterProvider& operator=(const MeterProvider&) = delete;

  Meter get_meter(std::string_view name, std::string_view version = {}, std::string_view schema_url = {},
                  trace::Attributes attributes = {});
  bool force_flush(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  /// Shuts every reader down (idempotent): a periodic reader exports a last collection.
  bool shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  const trace::Resource& resource() const noexcept;

 private:
  friend void set_meter_provider(std::shared_ptr<MeterProvider>);
  std::shared_ptr<detail::ProviderState> state_;
};

/// A meter that follows the global provider (late binding).
Meter get_meter(std::string_view name, std::string_view version = {}, std::string_view schema_url = {},
                trace::Attributes attributes = {});
/// Installs the global provider (nullptr uninstalls it: instruments from get_meter() become
/// no-ops until the next one).
void set_meter_provider(std::shared_ptr<MeterProvider> provider);
/// The global provider, or nullptr.
std::shared_ptr<MeterProvider> meter_provider();

}  // namespace tracehop::metrics
