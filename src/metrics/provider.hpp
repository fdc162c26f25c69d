#pragma once
// The provider's internals: an instrument's core (what its handles share), its binding to a
// provider (the streams it records into there), and the provider's state.

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "storage.hpp"

namespace tracehop::metrics {
/// Where an observable callback's values go: the storages of the collecting reader.
struct ObservableResult::Sink {
  std::vector<detail::Storage*> storages;
};
}  // namespace tracehop::metrics

namespace tracehop::metrics::detail {

/// An instrument's streams in one provider: a storage per reader and per view that selects it.
struct Binding {
  std::vector<std::unique_ptr<Storage>> storages;
  ExemplarFilter exemplar_filter = ExemplarFilter::TraceBased;
};

class InstrumentCore {
 public:
  InstrumentCore(InstrumentDescriptor d, std::shared_ptr<const trace::InstrumentationScope> s)
      : descriptor(std::move(d)), scope(std::move(s)) {}

  const InstrumentDescriptor descriptor;
  const std::shared_ptr<const trace::InstrumentationScope> scope;
  /// What measurements go to; nullptr: nowhere. Read on every measurement.
  std::atomic<const Binding*> binding{nullptr};
  /// Whether the binding has a storage: what SyncInstrument::enabled() reads inline.
  std::atomic<bool> measured{false};

  /// Points the instrument at `b` (nullptr: nowhere). Bindings it was pointed at before stay
  /// alive with it, for a measurement still recording into one.
  void bind(std::shared_ptr<const Binding> b);

  /// Runs the observable callbacks into `sink`. Exceptions are logged.
  void observe(ObservableResult::Sink& sink);
  /// Returns the callback's id, for remove_callback().
  std::uint64_t add_callback(ObservableCallback callback);
  /// Waits for a callback running now.
  void remove_callback(std::uint64_t id) noexcept;

 private:
  std::mutex bind_mutex_;
  std::vector<std::shared_ptr<const Binding>> bindings_;
  std::mutex callback_mutex_;  // held while the callbacks run
  std::vector<std::pair<std::uint64_t, ObservableCallback>> callbacks_;
  std::uint64_t next_id_ = 1;
};

class ProviderState;

struct MeterState {
  std::shared_ptr<ProviderState> provider;  // nullptr: the global provider, whichever it is
  std::shared_ptr<const trace::InstrumentationScope> scope;
};

class ProviderState : public std::enable_shared_from_this<ProviderState> {
 public:
  explicit ProviderState(MeterProviderOptions options);

  /// Registers this provider's readers with it (after construction: they keep a weak_ptr).
  void attach_readers();
  /// An instrument of a meter of this provider (the existing one for an identical repeat).
  std::shared_ptr<InstrumentCore> instrument(const std::shared_ptr<const trace::InstrumentationScope>& scope,
                                             InstrumentDescriptor descriptor);
  /// Makes `core`'s streams here and points it at them.
  void bind(const std::shared_ptr<InstrumentCore>& core);
  std::optional<ResourceMetrics> collect(std::size_t reader);
  bool force_flush(std::chrono::milliseconds timeout);
  bool shutdown(std::chrono::milliseconds timeout);

  const trace::Resource resource;

 private:
  std::shared_ptr<const Binding> streams(const InstrumentCore& core) const;

  std::vector<std::shared_ptr<MetricReader>> readers_;
  std::vector<View> views_;
  const ExemplarFilter exemplar_filter_;
  const std::size_t cardinality_limit_;
  std::atomic<bool> shut_down_{false};

  struct Registered {
    std::shared_ptr<InstrumentCore> core;
    std::shared_ptr<const Binding> binding;
  };
  std::mutex mutex_;  // guards instruments_
  std::vector<Registered> instruments_;
};

/// Whether `wanted`, in `scope`, is `existing` made again: the same scope, name (ASCII case
/// aside), kind, value type, unit, description and advice. The same name otherwise is a conflict:
/// logged, and a stream of its own.
bool same_instrument(const InstrumentCore& existing, const trace::InstrumentationScope& scope,
                     const InstrumentDescriptor& wanted);
bool same_scope(const trace::InstrumentationScope& a, const trace::InstrumentationScope& b) noexcept;

/// The view's name rules, checked once: a view that renames must not have a wildcard.
bool valid_view(const View& v);
/// Whether `v` selects the instrument.
bool selects(const View& v, const InstrumentDescriptor& d, const trace::InstrumentationScope& scope);
/// `*` and `?` wildcards, ASCII case-insensitive.
bool wildcard_match(std::string_view pattern, std::string_view name) noexcept;

/// The specification's instrument name and unit rules; false (and logged) when broken.
bool valid_name(std::string_view name);
bool valid_unit(std::string_view unit);
/// Strictly increasing and finite.
bool valid_boundaries(const std::vector<double>& b);

}  // namespace tracehop::metrics::detail
