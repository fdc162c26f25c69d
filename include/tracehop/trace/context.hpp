#pragma once
// Context: an immutable key/value store that carries the active span, the baggage and any
// cross-cutting value; and the current-context slot it is attached to.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tracehop/trace/baggage.hpp"
#include "tracehop/trace/span.hpp"

namespace tracehop::trace {

/// A typed key into Context. Each key made by create_key is distinct, even with the same name.
template <class T>
class ContextKey {
 public:
  const std::string& name() const noexcept { return name_; }
  std::uint64_t id() const noexcept { return id_; }

 private:
  template <class U>
  friend ContextKey<U> create_context_key(std::string name);
  ContextKey(std::string name, std::uint64_t id) : name_(std::move(name)), id_(id) {}
  std::string name_;
  std::uint64_t id_;
};

namespace detail {
std::uint64_t next_context_key_id() noexcept;

struct ContextNode {
  virtual ~ContextNode() = default;
  std::uint64_t key = 0;
  std::shared_ptr<const ContextNode> next;
};
template <class T>
struct TypedContextNode final : ContextNode {
  explicit TypedContextNode(T v) : value(std::move(v)) {}
  T value;
};
}  // namespace detail

template <class T>
ContextKey<T> create_context_key(std::string name) {
  return ContextKey<T>(std::move(name), detail::next_context_key_id());
}

/// Immutable: every `with_*` returns a new Context and leaves this one unchanged. The span and
/// the baggage have their own slots (the spec keeps their keys private); other values live in a
/// persistent list, so a copy costs a few reference-count increments.
class Context {
 public:
  Context() noexcept = default;

  /// The active span, or the invalid non-recording span.
  const Span& span() const noexcept { return span_; }
  Context with_span(Span span) const& {
    Context c = *this;
    c.span_ = std::move(span);
    return c;
  }
  Context with_span(Span span) && {  // a temporary's values move on
    span_ = std::move(span);
    return std::move(*this);
  }

  const Baggage& baggage() const noexcept { return baggage_; }
  Context with_baggage(Baggage baggage) const& {
    Context c = *this;
    c.baggage_ = std::move(baggage);
    return c;
  }
  Context with_baggage(Baggage baggage) && {
    baggage_ = std::move(baggage);
    return std::move(*this);
  }

  /// The value stored under `key`, or nullptr.
  template <class T>
  const T* get(const ContextKey<T>& key) const noexcept {
    for (auto* n = values_.get(); n; n = n->next.get())
      if (n->key == key.id()) return &static_cast<const detail::TypedContextNode<T>*>(n)->value;
    return nullptr;
  }
  template <class T>
  Context with(const ContextKey<T>& key, T value) const {
    auto node = std::make_shared<detail::TypedContextNode<T>>(std::move(value));
    node->key = key.id();
    node->next = values_;
    Context c = *this;
    c.values_ = std::move(node);
    return c;
  }

  /// A copy of the calling task's (or thread's) current context.
  static Context current();

 private:
  Span span_;
  Baggage baggage_;
  std::shared_ptr<const detail::ContextNode> values_;
};

/// Identifies one attach() so detach() can check it undoes the innermost one.
class Token {
 public:
  Token() noexcept = default;
  std::uint64_t id() const noexcept { return id_; }
  explicit operator bool() const noexcept { return id_ != 0; }

 private:
  friend class ContextSlot;
  Token(std::uint64_t id, std::uint64_t slot) noexcept : id_(id), slot_(slot) {}
  std::uint64_t id_ = 0;
  std::uint64_t slot_ = 0;  // the id of the slot it was attached to
};

/// Holds "the current context" of one thread or one task: a base context plus a stack of
/// attached ones. Not thread-safe: one slot serves one thread or one task at a time.
class ContextSlot {
 public:
  ContextSlot() noexcept;
  explicit ContextSlot(Context base) noexcept;

  const Context& get() const noexcept { return depth_ == 0 ? base_ : at(depth_ - 1).context; }
  [[nodiscard]] Token attach(Context&& context);
  [[nodiscard]] Token attach(const Context& context) { return attach(Context(context)); }
  /// Restores the context that was current before `token`'s attach. A token that is not the
  /// innermost one is reported (logged, returns false): it is removed without disturbing the
  /// contexts attached after it, so the current context stays what it was. A token detached
  /// twice is reported and changes nothing. A token from another slot changes nothing and is
  /// logged at debug level only: that is what happens when a suspended task's frame is
  /// destroyed outside the task (say by ~io_context), and that task's contexts die with it.
  bool detach(Token token) noexcept;
  std::size_t depth() const noexcept { return depth_; }

 private:
  struct Entry {
    std::uint64_t id = 0;
    Context context;
  };
  // The attached contexts, innermost last: the first kInPlace here (a task rarely nests deeper,
  // and attaching then allocates nothing), the rest in `more_`.
  static constexpr std::size_t kInPlace = 2;
  Entry& at(std::size_t i) noexcept { return i < kInPlace ? in_place_[i] : more_[i - kInPlace]; }
  const Entry& at(std::size_t i) const noexcept { return i < kInPlace ? in_place_[i] : more_[i - kInPlace]; }
  void pop() noexcept;

  std::uint64_t id_;
  Context base_;
  std::size_t depth_ = 0;
  Entry in_place_[kInPlace];
  std::vector<Entry> more_;
};

namespace detail {
// The current slot of this thread; nullptr until its default slot is first asked for.
extern constinit thread_local ContextSlot* current_slot_ptr;
ContextSlot& default_slot() noexcept;  // (and makes it current_slot_ptr)
}  // namespace detail

/// The slot current on this thread: a thread-local default slot, unless a task runtime has
/// swapped in the running task's slot (tracehop::http does this around every resumption).
inline ContextSlot& current_slot() noexcept {
  if (ContextSlot* slot = detail::current_slot_ptr) [[likely]]
    return *slot;
  return detail::default_slot();
}
/// Makes `slot` the current slot of this thread (nullptr: back to the thread's own default)
/// and returns the previous one (nullptr when that was the default). For task runtimes.
ContextSlot* exchange_current_slot(ContextSlot* slot) noexcept;

/// Attaches `context` to the current slot. Pair with detach(), or use Scope.
[[nodiscard]] Token attach(Context&& context);
[[nodiscard]] inline Token attach(const Context& context) { return attach(Context(context)); }
bool detach(Token token) noexcept;

/// RAII attach/detach of a context (the usual way to make a context current).
class [[nodiscard]] Scope {
 public:
  // (By reference, not by value: a context is six words, moved once into the slot, not thrice.)
  explicit Scope(Context&& context) : token_(attach(std::move(context))) {}
  explicit Scope(const Context& context) : token_(attach(context)) {}
  ~Scope() {
    if (token_) detach(token_);
  }
  Scope(Scope&& o) noexcept : token_(std::exchange(o.token_, Token{})) {}
  Scope& operator=(Scope&&) = delete;
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  Token token_;
};

/// The active span of the current context.
Span current_span();

/// Set (to true) in a context where instrumentations must record and inject nothing: what an
/// exporter sending spans over HTTP runs under, so that it never traces itself. (The key of
/// OpenTelemetry's suppress_instrumentation; tracehop::instrument::SuppressInstrumentation
/// sets it.)
const ContextKey<bool>& suppress_instrumentation_key();

}  // namespace tracehop::trace
