#pragma once
// The synchronous instruments (Counter, UpDownCounter, Histogram, Gauge) and the attributes a
// measurement carries. Recording is thread-safe and never throws; into a series that exists it
// allocates nothing. An instrument made by a Meter of no provider, or with an invalid name, is a
// no-op. Instruments are cheap handles: copies record into the same series.

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "tracehop/trace/span_context.hpp"

namespace tracehop::metrics {

enum class InstrumentKind : std::uint8_t {
  Counter,
  UpDownCounter,
  Histogram,
  Gauge,
  ObservableCounter,
  ObservableUpDownCounter,
  ObservableGauge,
};

/// An attribute key as a measurement gives it: borrowed for the call. A string literal (the
/// usual key) is recognised by its address on the next call, so matching a series compares no
/// characters for it; a run-time string is compared by its characters.
class AttrKey {
 public:
  constexpr AttrKey() noexcept : data_(""), meta_(0) {}
  consteval AttrKey(const char* literal) noexcept  // NOLINT(google-explicit-constructor)
      : data_(literal), meta_(std::char_traits<char>::length(literal) | kLiteral) {}
  constexpr AttrKey(std::string_view key) noexcept  // NOLINT(google-explicit-constructor)
      : data_(key.data()), meta_(key.size()) {}
  AttrKey(const std::string& key) noexcept : AttrKey(std::string_view(key)) {}  // NOLINT
  constexpr std::string_view view() const noexcept { return {data_, size()}; }
  constexpr std::size_t size() const noexcept { return meta_ & ~kLiteral; }
  constexpr const char* data() const noexcept { return data_; }
  /// The literal's address, or nullptr for a run-time key.
  constexpr const char* literal() const noexcept { return meta_ & kLiteral ? data_ : nullptr; }
  /// (The SDK's:) the key's two words. The same words as a literal's are the same key.
  std::uint64_t word0() const noexcept { return reinterpret_cast<std::uintptr_t>(data_); }
  std::uint64_t word1() const noexcept { return meta_; }

 private:
  static constexpr std::uint64_t kLiteral = std::uint64_t{1} << 63;
  const char* data_;
  std::uint64_t meta_;  // the size; the top bit set for a literal
};

/// An attribute value as a measurement gives it: bool, integer, double or a string borrowed
/// for the call. A string literal is recognised by its address, as a key is; any other string
/// (a std::string, a std::string_view) is compared by its characters. (Arrays are not
/// measurement attributes here: no HTTP convention uses one.)
class AttrValue {
 public:
  enum class Type : std::uint8_t { Bool, Int, Double, String };
  constexpr AttrValue() noexcept : i_(0), meta_(meta(Type::Bool)) {}
  constexpr AttrValue(bool b) noexcept : i_(b), meta_(meta(Type::Bool)) {}  // NOLINT
  template <class I>
    requires(std::is_integral_v<I> && !std::is_same_v<I, bool> && !std::is_same_v<I, char>)
  constexpr AttrValue(I i) noexcept : i_(static_cast<std::int64_t>(i)), meta_(meta(Type::Int)) {}  // NOLINT
  constexpr AttrValue(double d) noexcept : d_(d), meta_(meta(Type::Double)) {}  // NOLINT
  consteval AttrValue(const char* literal) noexcept  // NOLINT(google-explicit-constructor)
      : s_(literal), meta_(meta(Type::String, std::char_traits<char>::length(literal)) | kLiteral) {}
  constexpr AttrValue(std::string_view s) noexcept  // NOLINT
      : s_(s.data()), meta_(meta(Type::String, s.size())) {}
  AttrValue(const std::string& s) noexcept : AttrValue(std::string_view(s)) {}  // NOLINT

  constexpr Type type() const noexcept { return static_cast<Type>(meta_ >> 48 & 0xff); }
  constexpr bool as_bool() const noexcept { return i_ != 0; }
  constexpr std::int64_t as_int() const noexcept { return i_; }
  constexpr double as_double() const noexcept { return d_; }
  constexpr std::string_view as_string() const noexcept { return {s_, static_cast<std::size_t>(meta_ & kSize)}; }
  /// (The SDK's:) the value's two words. A number's are its value; a string's, its address and
  /// size. The same words as a literal's are the same string.
  std::uint64_t word0() const noexcept { return static_cast<std::uint64_t>(i_); }
  std::uint64_t word1() const noexcept { return meta_; }
  /// Whether it is a string literal.
  constexpr bool literal() const noexcept { return (meta_ & kLiteral) != 0; }

 private:
  static constexpr std::uint64_t kLiteral = std::uint64_t{1} << 63;
  static constexpr std::uint64_t kSize = (std::uint64_t{1} << 48) - 1;
  static constexpr std::uint64_t meta(Type t, std::size_t size = 0) noexcept {
    return static_cast<std::uint64_t>(t) << 48 | (size & kSize);
  }
  union {
    std::int64_t i_;  // also a bool
    double d_;
    const char* s_;
  };
  std::uint64_t meta_;  // the type, a string's size, the top bit set for a literal string
};

struct Attribute {
  AttrKey key;
  AttrValue value;
};

/// A measurement's attributes. Keys should be unique (a repeated key: the last value wins);
/// their order does not matter.
using AttributeList = std::span<const Attribute>;

namespace detail {
struct AttributeSetData;
}

/// Attributes made once and measured with many times (a call site's fixed set, a set kept for
/// each origin): a measurement finds its series by the set's identity, so once a thread has
/// found that series it compares no attribute. Run-time strings are copied (literals are kept
/// by address); repeated keys keep the last value. Immutable and thread-safe; copies share it.
class AttributeSet {
 public:
  AttributeSet() noexcept = default;  // no attributes
  explicit AttributeSet(std::initializer_list<Attribute> attributes)
      : AttributeSet(AttributeList(attributes.begin(), attributes.size())) {}
  explicit AttributeSet(AttributeList attributes);
  AttributeList list() const noexcept;
  /// (The SDK's:) the set's own data, nullptr when it has no attributes.
  const detail::AttributeSetData* data() const noexcept { return data_.get(); }

 private:
  std::shared_ptr<const detail::AttributeSetData> data_;
};

namespace detail {
class InstrumentCore;
void record(const InstrumentCore* core, std::int64_t value, AttributeList attributes,
            const trace::SpanContext* exemplar_context) noexcept;
void record(const InstrumentCore* core, double value, AttributeList attributes,
            const trace::SpanContext* exemplar_context) noexcept;
void record(const InstrumentCore* core, std::int64_t value, const AttributeSet& attributes,
            const trace::SpanContext* exemplar_context) noexcept;
void record(const InstrumentCore* core, double value, const AttributeSet& attributes,
            const trace::SpanContext* exemplar_context) noexcept;
/// Whether `core` records anything now (a provider is bound and a reader reads it): a flag that
/// lives as long as the core; nullptr for no core.
const std::atomic<bool>* enabled_flag(const InstrumentCore* core) noexcept;

template <class T>
concept Number = std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>;

/// What every synchronous instrument shares: the handle, and the ways to pass attributes (a
/// braced list, a list built beforehand, or an AttributeSet). The span context given with a measurement is the
/// one its exemplar refers to; without one, the current context's span.
template <Number T>
class SyncInstrument {
 public:
  /// Whether a measurement is recorded at all (a provider is bound, a reader reads this
  /// instrument): what an instrumentation may check before building attributes.
  bool enabled() const noexcept { return enabled_ != nullptr && enabled_->load(std::memory_order_acquire); }

  SyncInstrument() = default;
  /// (What a Meter makes; an InstrumentCore is not constructible outside the library.)
  explicit SyncInstrument(std::shared_ptr<InstrumentCore> core) noexcept
      : core_(std::move(core)), enabled_(detail::enabled_flag(core_.get())) {}

 protected:
  template <class Attributes>
  void measure(T value, const Attributes& attributes, const trace::SpanContext* context) const noexcept {
    detail::record(core_.get(), value, attributes, context);
  }
  static AttributeList list(std::initializer_list<Attribute> a) noexcept { return {a.begin(), a.size()}; }

 private:
  std::shared_ptr<InstrumentCore> core_;
  const std::atomic<bool>* enabled_ = nullptr;  // core_'s
};
}  // namespace detail

namespace detail {
/// add(), as counters name their measurement.
template <Number T>
class Adding : public SyncInstrument<T> {
 public:
  void add(T value, std::initializer_list<Attribute> attributes = {}) const noexcept {
    this->measure(value, this->list(attributes), nullptr);
  }
  void add(T value, AttributeList attributes) const noexcept { this->measure(value, attributes, nullptr); }
  void add(T value, std::initializer_list<Attribute> attributes, const trace::SpanContext& context) const noexcept {
    this->measure(value, this->list(attributes), &context);
  }
  void add(T value, AttributeList attributes, const trace::SpanContext& context) const noexcept {
    this->measure(value, attributes, &context);
  }
  void add(T value, const AttributeSet& attributes) const noexcept { this->measure(value, attributes, nullptr); }
  void add(T value, const AttributeSet& attributes, const trace::SpanContext& context) const noexcept {
    this->measure(value, attributes, &context);
  }
  using SyncInstrument<T>::SyncInstrument;
};
/// record(), as histograms and gauges name theirs.
template <Number T>
class Recording : public SyncInstrument<T> {
 public:
  void record(T value, std::initializer_list<Attribute> attributes = {}) const noexcept {
    this->measure(value, this->list(attributes), nullptr);
  }
  void record(T value, AttributeList attributes) const noexcept { this->measure(value, attributes, nullptr); }
  void record(T value, std::initializer_list<Attribute> attributes, const trace::SpanContext& context) const noexcept {
    this->measure(value, this->list(attributes), &context);
  }
  void record(T value, AttributeList attributes, const trace::SpanContext& context) const noexcept {
    this->measure(value, attributes, &context);
  }
  void record(T value, const AttributeSet& attributes) const noexcept { this->measure(value, attributes, nullptr); }
  void record(T value, const AttributeSet& attributes, const trace::SpanContext& context) const noexcept {
    this->measure(value, attributes, &context);
  }
  using SyncInstrument<T>::SyncInstrument;
};
}  // namespace detail

/// Monotonic: add() takes values >= 0 (a negative one, or NaN, is ignored).
template <detail::Number T>
class Counter : public detail::Adding<T> {
 public:
  using detail::Adding<T>::Adding;
};

/// Goes up and down (requests in flight, connections open).
template <detail::Number T>
class UpDownCounter : public detail::Adding<T> {
 public:
  using detail::Adding<T>::Adding;
};

/// A distribution (durations, sizes): record() takes values >= 0 (a negative one, or NaN, is
/// ignored, as the specification's histogram aggregation cannot hold it).
template <detail::Number T>
class Histogram : public detail::Recording<T> {
 public:
  using detail::Recording<T>::Recording;
};

/// A value set now and then (a temperature, a configured limit): the last one is exported.
template <detail::Number T>
class Gauge : public detail::Recording<T> {
 public:
  using detail::Recording<T>::Recording;
};

}  // namespace tracehop::metrics
