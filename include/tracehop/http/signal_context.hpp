#pragma once
// Where a subscriber to a request's signals keeps its own state (its span) from the request's
// start to its end: one value of any type, in place when it is small. The client's lifecycle
// signals (signals.hpp) give one to each TraceConfig, the server one to each RequestObserver.

#include <cstddef>
#include <new>
#include <utility>

namespace tracehop::http {

/// Holds one value of any type: in place, without allocating, when it has at most kInPlace
/// bytes and no alignment above max_align_t.
class SignalContext {
 public:
  static constexpr std::size_t kInPlace = 96;

  SignalContext() noexcept = default;
  SignalContext(const SignalContext&) = delete;
  SignalContext& operator=(const SignalContext&) = delete;
  ~SignalContext() { reset(); }

  /// Replaces the value with a T made from `args`.
  template <class T, class... Args>
  T& emplace(Args&&... args) {
    reset();
    T* p;
    if constexpr (in_place<T>)
      p = ::new (static_cast<void*>(buffer_)) T(std::forward<Args>(args)...);
    else
      p = new T(std::forward<Args>(args)...);
    value_ = p;
    destroy_ = [](void* v) noexcept {
      if constexpr (in_place<T>)
        static_cast<T*>(v)->~T();
      else
        delete static_cast<T*>(v);
    };
    type_ = &type_tag<T>;
    return *p;
  }
  /// The value if it is a T, else nullptr.
  template <class T>
  T* get() noexcept {
    return type_ == &type_tag<T> ? static_cast<T*>(value_) : nullptr;
  }
  template <class T>
  const T* get() const noexcept {
    return type_ == &type_tag<T> ? static_cast<const T*>(value_) : nullptr;
  }
  bool has_value() const noexcept { return value_ != nullptr; }
  void reset() noexcept {
    if (value_) destroy_(value_);
    value_ = nullptr;
    type_ = nullptr;
  }

 private:
  template <class T>
  static constexpr bool in_place = sizeof(T) <= kInPlace && alignof(T) <= alignof(std::max_align_t);
  template <class T>
  static constexpr char type_tag = 0;  // its address names T

  alignas(std::max_align_t) unsigned char buffer_[kInPlace];
  void* value_ = nullptr;
  void (*destroy_)(void*) noexcept = nullptr;
  const char* type_ = nullptr;
};

}  // namespace tracehop::http
