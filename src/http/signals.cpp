// The process-wide TraceConfig registry, and which configs one request signals to.
#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <string>

#include "signal_emitter.hpp"
#include "tracehop/log.hpp"

namespace tracehop::http {

namespace {

struct GlobalConfigs {
  std::mutex mu;  // serialises changes; requests only load `list`
  std::atomic<bool> any{false};
  std::atomic<detail::ConfigList> list;
  std::atomic<std::uint64_t> version{0};  // counts the changes, each after its list is stored
};
GlobalConfigs& global_configs() {
  static GlobalConfigs* g = new GlobalConfigs;  // never destroyed: requests may run during exit
  return *g;
}

// Replaces the list (under g.mu).
void publish(GlobalConfigs& g, std::vector<TraceConfigPtr> configs) {
  g.any = !configs.empty();
  g.list.store(detail::make_config_list(std::move(configs)), std::memory_order_release);
  g.version.fetch_add(1, std::memory_order_release);
}

// Whether nothing but the config's observer listens.
bool observer_only(const TraceConfig& c) {
  return c.observer && c.on_request_start.empty() && c.on_request_headers_sent.empty() &&
         c.on_response_headers.empty() && c.on_request_end.empty() && c.on_request_exception.empty() &&
         c.on_request_redirect.empty() && c.on_connection_queued_start.empty() &&
         c.on_connection_queued_end.empty() && c.on_connection_create_start.empty() &&
         c.on_connection_create_end.empty() && c.on_connection_reuseconn.empty() &&
         c.on_dns_resolvehost_start.empty() && c.on_dns_resolvehost_end.empty() && c.on_tls_handshake_end.empty() &&
         c.on_connection_state.empty();
}

}  // namespace

void add_global_trace_config(TraceConfigPtr config) {
  auto& g = global_configs();
  std::lock_guard lk(g.mu);
  auto configs = global_trace_configs();
  configs.push_back(std::move(config));
  publish(g, std::move(configs));
}

void remove_global_trace_config(const TraceConfigPtr& config) {
  auto& g = global_configs();
  std::lock_guard lk(g.mu);
  auto configs = global_trace_configs();
  std::erase(configs, config);
  publish(g, std::move(configs));
}

std::vector<TraceConfigPtr> global_trace_configs() {
  const auto list = detail::global_config_list();
  return list ? list->configs : std::vector<TraceConfigPtr>{};
}

detail::ConfigList detail::make_config_list(std::vector<TraceConfigPtr> configs) {
  if (configs.empty()) return nullptr;
  SignalObserver* const sole = configs.size() == 1 && observer_only(*configs[0]) ? configs[0]->observer.get() : nullptr;
  std::vector<SignalObserver*> state_observers;
  std::vector<HeardSignals> heard;
  bool states = false;
  for (const auto& c : configs) {
    SignalObserver* const o = c->observer && c->observer->hears_connection_states() ? c->observer.get() : nullptr;
    state_observers.push_back(o);
    heard.push_back(c->observer ? c->observer->heard_signals() : HeardSignals{});
    states = states || o || !c->on_connection_state.empty();
  }
  return std::make_shared<const ConfigSet>(
      ConfigSet{std::move(configs), sole, std::move(state_observers), states, std::move(heard)});
}

void detail::report_subscriber_exception() noexcept {
  try {
    throw;
  } catch (const std::exception& e) {
    log_error(std::string("a lifecycle signal subscriber threw: ") + e.what());
  } catch (...) {
    log_error("a lifecycle signal subscriber threw");
  }
}

std::uint64_t detail::global_config_version() noexcept {
  return global_configs().version.load(std::memory_order_acquire);
}

detail::ConfigList detail::global_config_list() noexcept {
  auto& g = global_configs();
  if (!g.any.load(std::memory_order_acquire)) return nullptr;
  return g.list.load(std::memory_order_acquire);
}

detail::ConfigList detail::merge_configs(const std::vector<TraceConfigPtr>& own, const ConfigList& global) {
  if (own.empty()) return global;
  auto configs = own;
  if (global)
    for (const auto& c : global->configs) {
      const bool replaced = !c->group.empty() &&
                            std::any_of(own.begin(), own.end(), [&](const auto& mine) { return mine->group == c->group; });
      if (!replaced) configs.push_back(c);
    }
  return make_config_list(std::move(configs));
}

}  // namespace tracehop::http
