#pragma once
// Propagators move a Context in and out of a carrier such as HTTP headers.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tracehop/trace/context.hpp"

namespace tracehop::trace {

/// A text map, e.g. HTTP headers. Keys are compared case-insensitively by HTTP carriers.
class TextMapCarrier {
 public:
  virtual ~TextMapCarrier() = default;
  /// The value for `key`; if the key appears several times, the values joined with ','.
  virtual std::optional<std::string_view> get(std::string_view key) const = 0;
  /// Sets `key`, replacing every existing value of it.
  virtual void set(std::string_view key, std::string_view value) = 0;
};

/// An ordered list of name/value pairs with case-insensitive lookup (for tests, the command
/// line and simple integrations).
class MapCarrier final : public TextMapCarrier {
 public:
  MapCarrier() = default;
  MapCarrier(std::initializer_list<std::pair<std::string, std::string>> entries)
      : entries_(entries) {}
  std::optional<std::string_view> get(std::string_view key) const override;
  void set(std::string_view key, std::string_view value) override;
  void add(std::string key, std::string value) { entries_.emplace_back(std::move(key), std::move(value)); }
  const std::vector<std::pair<std::string, std::string>>& entries() const noexcept { return entries_; }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
  mutable std::string joined_;
};

/// Thread-safe and stateless.
class TextMapPropagator {
 public:
  virtual ~TextMapPropagator() = default;
  virtual void inject(TextMapCarrier& carrier, const Context& context) const = 0;
  /// `context` with what the carrier holds added; unchanged if the carrier holds nothing
  /// valid (malformed values are ignored, never thrown).
  virtual Context extract(const TextMapCarrier& carrier, const Context& context) const = 0;
  /// The same as `context = extract(carrier, context)`, but the built-in propagators leave
  /// `context` untouched, not copied, when the carrier holds nothing for them: what a server
  /// runs on every request, most of which carry no trace context.
  virtual void extract_into(const TextMapCarrier& carrier, Context& context) const {
    context = extract(carrier, context);
  }
  /// The keys inject() may set.
  virtual std::vector<std::string> fields() const = 0;
};

using PropagatorPtr = std::shared_ptr<const TextMapPropagator>;

/// W3C Trace Context: traceparent and tracestate.
PropagatorPtr trace_context_propagator();
/// W3C Baggage: the baggage header.
PropagatorPtr baggage_propagator();
enum class B3Format { Single, Multi };
/// Zipkin B3: the single `b3` header or the X-B3-* headers on inject; extract reads both (the
/// single header first).
PropagatorPtr b3_propagator(B3Format format = B3Format::Single);
/// Runs each propagator in order.
PropagatorPtr composite_propagator(std::vector<PropagatorPtr> propagators);
PropagatorPtr noop_propagator();

/// From a comma-separated list of tracecontext, baggage, b3, b3multi, none. Unknown names are
/// logged and skipped. "none" alone gives the no-op propagator.
PropagatorPtr propagator_from_names(std::string_view names);
/// From OTEL_PROPAGATORS (default "tracecontext,baggage").
PropagatorPtr propagator_from_env();

/// The global propagator. Until one is set: OTEL_PROPAGATORS's, read at first use (default
/// tracecontext + baggage).
PropagatorPtr global_propagator();
void set_global_propagator(PropagatorPtr propagator);

/// Injects `context` (default: the current one) with the global propagator.
void inject(TextMapCarrier& carrier, const Context& context = Context::current());
/// Extracts with the global propagator on top of `context` (default: the current one).
Context extract(const TextMapCarrier& carrier, const Context& context = Context::current());
/// Extracts with the global propagator into `context` (see TextMapPropagator::extract_into).
void extract_into(const TextMapCarrier& carrier, Context& context);

// --- Building blocks, public for tests, fuzzers and other carriers ---

/// Parses a traceparent value (version 00 strict; higher versions leniently; ff rejected;
/// surrounding spaces and tabs allowed). The result is remote.
std::optional<SpanContext> parse_traceparent(std::string_view value) noexcept;
/// `00-<trace id>-<span id>-<flags>` (55 characters).
std::string format_traceparent(const SpanContext& context);

/// Parses a W3C baggage header into `base`. Members that are malformed are skipped; beyond
/// 180 members or 8192 bytes the rest is ignored.
Baggage parse_baggage(std::string_view header, Baggage base = {});
/// The header value (values percent-encoded); members beyond the limits are left out.
std::string format_baggage(const Baggage& baggage);

/// B3's debug flag travels in the context under this key.
const ContextKey<bool>& b3_debug_key();

}  // namespace tracehop::trace
