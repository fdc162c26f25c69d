#pragma once
// Emitting the lifecycle signals of one physical request to every subscribed TraceConfig, and
// which configs a request has (internal). A subscriber that throws is logged, never passed on.

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <type_traits>
#include <vector>

#include "connection.hpp"
#include "tracehop/http/signals.hpp"

namespace tracehop::http::detail {

/// The configs a request signals to, immutable, shared by every request that signals to them.
struct ConfigSet {
  std::vector<TraceConfigPtr> configs;
  /// Set when there is one config and only its observer listens (an instrumented session):
  /// signals then go straight to it, without the loop over configs and functions.
  SignalObserver* sole_observer = nullptr;
  /// Each config's observer if it hears connection states (asked once, here), else nullptr.
  std::vector<SignalObserver*> state_observers;
  /// Whether any config hears connection states: a connection keeps the configs only then.
  bool connection_states = false;
  /// Each config's observer's heard_signals() (asked once, here); [0] is the sole observer's.
  std::vector<HeardSignals> heard;
};
using ConfigList = std::shared_ptr<const ConfigSet>;  // null: none
/// `configs` as a ConfigList (null when empty).
ConfigList make_config_list(std::vector<TraceConfigPtr> configs);
/// Logs the exception being handled, thrown by a subscriber (call in a catch block).
void report_subscriber_exception() noexcept;

/// One signal: where its functions are in a TraceConfig, its SignalObserver member, and the
/// HeardSignals flag an observer may leave it out with (nullptr: always heard).
template <class Params>
struct Signal {
  std::vector<std::function<void(const Params&)>> TraceConfig::*functions;
  void (SignalObserver::*method)(const Params&);
  bool HeardSignals::*heard = nullptr;
};
inline constexpr Signal<RequestStartParams> kRequestStart{&TraceConfig::on_request_start,
                                                          &SignalObserver::on_request_start};
inline constexpr Signal<RequestHeadersSentParams> kRequestHeadersSent{&TraceConfig::on_request_headers_sent,
                                                                      &SignalObserver::on_request_headers_sent,
                                                                      &HeardSignals::request_headers_sent};
inline constexpr Signal<ResponseHeadersParams> kResponseHeaders{&TraceConfig::on_response_headers,
                                                                &SignalObserver::on_response_headers};
inline constexpr Signal<RequestEndParams> kRequestEnd{&TraceConfig::on_request_end, &SignalObserver::on_request_end,
                                                      &HeardSignals::request_end};
inline constexpr Signal<RequestExceptionParams> kRequestException{&TraceConfig::on_request_exception,
                                                                  &SignalObserver::on_request_exception};
inline constexpr Signal<RedirectParams> kRequestRedirect{&TraceConfig::on_request_redirect,
                                                         &SignalObserver::on_request_redirect};
inline constexpr Signal<ConnectionParams> kQueuedStart{&TraceConfig::on_connection_queued_start,
                                                       &SignalObserver::on_connection_queued_start,
                                                       &HeardSignals::connection_steps};
inline constexpr Signal<ConnectionParams> kQueuedEnd{&TraceConfig::on_connection_queued_end,
                                                     &SignalObserver::on_connection_queued_end};
inline constexpr Signal<ConnectionParams> kCreateStart{&TraceConfig::on_connection_create_start,
                                                       &SignalObserver::on_connection_create_start,
                                                       &HeardSignals::connection_steps};
inline constexpr Signal<ConnectionParams> kCreateEnd{&TraceConfig::on_connection_create_end,
                                                     &SignalObserver::on_connection_create_end,
                                                     &HeardSignals::connection_steps};
inline constexpr Signal<ConnectionParams> kReused{&TraceConfig::on_connection_reuseconn,
                                                  &SignalObserver::on_connection_reuseconn};
inline constexpr Signal<DnsParams> kDnsStart{&TraceConfig::on_dns_resolvehost_start,
                                             &SignalObserver::on_dns_resolvehost_start, &HeardSignals::connection_steps};
inline constexpr Signal<DnsParams> kDnsEnd{&TraceConfig::on_dns_resolvehost_end, &SignalObserver::on_dns_resolvehost_end,
                                           &HeardSignals::connection_steps};
inline constexpr Signal<ConnectionParams> kTlsDone{&TraceConfig::on_tls_handshake_end,
                                                   &SignalObserver::on_tls_handshake_end, &HeardSignals::connection_steps};

// The lifecycle signals of one physical request: one SignalContext per subscribed config.
class Signals final : public ConnectObserver {
 public:
  explicit Signals(ConfigList configs)
      : configs_(std::move(configs)),
        sole_(configs_->sole_observer),
        more_(configs_->configs.size() > kInPlace
                  ? std::make_unique<SignalContext[]>(configs_->configs.size() - kInPlace)
                  : nullptr) {}

  /// Tells each config's observer, then its functions; `make(context)` builds the parameters.
  /// (Inline, so that the usual case, a sole observer, is one virtual call at the call site.)
  template <class Params, class MakeParams>
  [[gnu::always_inline]] void emit(const Signal<Params>& signal, MakeParams&& make) noexcept {
    if (sole_) [[likely]] {
      if (!heard(0, signal) || !told(sole_->only_with_state(), in_place_[0], signal)) return;
      try {
        (sole_->*signal.method)(make(in_place_[0]));
      } catch (...) {
        report_subscriber_exception();
      }
      return;
    }
    emit_each(signal, make);
  }

  void set_origin(const Origin* o) noexcept { origin_ = o; }
  void queued_start() noexcept override { connection(kQueuedStart, {}); }
  void queued_end(Clock::duration d) noexcept override { connection(kQueuedEnd, d); }
  void create_start() noexcept override { connection(kCreateStart, {}); }
  void create_end(Clock::duration d) noexcept override { connection(kCreateEnd, d); }
  void reused() noexcept override { connection(kReused, {}); }
  void dns_start(std::string_view host) noexcept override {
    emit(kDnsStart, [&](SignalContext& c) { return DnsParams{c, host, {}}; });
  }
  void dns_end(std::string_view host, Clock::duration d) noexcept override {
    emit(kDnsEnd, [&](SignalContext& c) { return DnsParams{c, host, d}; });
  }
  void tls_done() noexcept override { connection(kTlsDone, {}); }

 private:
  template <class Params, class MakeParams>
  [[gnu::noinline]] void emit_each(const Signal<Params>& signal, MakeParams& make) noexcept {
    const auto& configs = configs_->configs;
    for (std::size_t i = 0; i < configs.size(); ++i) {
      const TraceConfig& config = *configs[i];
      SignalObserver* const observer = config.observer.get();
      const auto& functions = config.*signal.functions;
      if (!observer && functions.empty()) continue;
      try {
        SignalContext& context = i < kInPlace ? in_place_[i] : more_[i - kInPlace];
        const bool tell = observer && heard(i, signal) && told(observer->only_with_state(), context, signal);
        if (!tell && functions.empty()) continue;
        const Params params = make(context);
        if (tell) (observer->*signal.method)(params);
        for (const auto& f : functions) f(params);
      } catch (...) {
        report_subscriber_exception();
      }
    }
  }

  // Whether config i's observer hears `signal` at all (a constant for a signal always heard).
  template <class Params>
  [[gnu::always_inline]] bool heard(std::size_t i, const Signal<Params>& signal) const noexcept {
    return signal.heard == nullptr || configs_->heard[i].*signal.heard;
  }
  // Whether an observer hears `signal`: its start always; the rest, if it asked for them only
  // where it keeps state, only then.
  template <class Params>
  static bool told(bool needs_state, const SignalContext& context, const Signal<Params>&) noexcept {
    return std::is_same_v<Params, RequestStartParams> || !needs_state || context.has_value();
  }

  [[gnu::always_inline]] void connection(const Signal<ConnectionParams>& signal, Clock::duration d) noexcept {
    emit(signal, [&](SignalContext& c) { return ConnectionParams{c, *origin_, d}; });
  }
  static constexpr std::size_t kInPlace = 2;  // most requests have one or two configs
  ConfigList configs_;
  SignalObserver* sole_;                        // configs_->sole_observer
  SignalContext in_place_[kInPlace];            // one per config
  std::unique_ptr<SignalContext[]> more_;
  const Origin* origin_ = nullptr;
};

/// The process-wide configs as one list, replaced (never changed) when a config is added or
/// removed; null when there are none. Cheap enough for every request.
ConfigList global_config_list() noexcept;
/// How many times the process-wide configs changed: a list merged from them is current while
/// this has not moved (read it before the list).
std::uint64_t global_config_version() noexcept;

/// The configs a request signals to: `own` (a session's), then those of `global` that no config
/// of `own` with the same non-empty group replaces; null when there are none.
ConfigList merge_configs(const std::vector<TraceConfigPtr>& own, const ConfigList& global);

}  // namespace tracehop::http::detail
