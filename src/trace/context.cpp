#include "tracehop/trace/context.hpp"

#include <string>

#include "tracehop/log.hpp"

namespace tracehop::trace {

namespace {
thread_local ContextSlot tls_default_slot;
std::atomic<std::uint64_t> next_token{1};
std::atomic<std::uint64_t> next_slot_id{1};
}  // namespace

namespace detail {
std::uint64_t next_context_key_id() noexcept {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace detail

ContextSlot::ContextSlot() noexcept : id_(next_slot_id.fetch_add(1, std::memory_order_relaxed)) {}
ContextSlot::ContextSlot(Context base) noexcept
    : id_(next_slot_id.fetch_add(1, std::memory_order_relaxed)), base_(std::move(base)) {}

Token ContextSlot::attach(Context&& context) {
  const auto id = next_token.fetch_add(1, std::memory_order_relaxed);
  if (depth_ < kInPlace) {
    auto& e = in_place_[depth_];
    e.id = id;
    e.context = std::move(context);
  } else {
    more_.push_back(Entry{id, std::move(context)});
  }
  ++depth_;
  return Token(id, id_);
}

void ContextSlot::pop() noexcept {
  if (depth_ > kInPlace)
    more_.pop_back();
  else
    in_place_[depth_ - 1] = Entry{};  // lets go of its span and values now
  --depth_;
}

bool ContextSlot::detach(Token token) noexcept {
  if (depth_ > 0 && at(depth_ - 1).id == token.id()) {
    pop();
    return true;
  }
  std::size_t i = 0;
  while (i < depth_ && at(i).id != token.id()) ++i;
  if (i == depth_) {
    if (token.slot_ != id_) {
      log_debug("context detach for another task's slot ignored (a task unwound outside its "
                "executor, e.g. destroyed with its io_context)");
      return false;
    }
    log_error("context detach with a token that is not attached to the current context "
              "(detached twice, or on another task or thread); nothing changed");
    return false;
  }
  log_error("context detached out of order: a context attached later is still current. Tasks that "
            "share one context do this: coroutines started with plain asio::co_spawn all use the "
            "thread's, so their spans nest across tasks; start each with tracehop::spawn (or co_spawn "
            "on tracehop::context_executor(ex)) to give it its own. Removed the detached context and "
            "kept the current one");
  for (; i + 1 < depth_; ++i) at(i) = std::move(at(i + 1));
  pop();
  return false;
}

constinit thread_local ContextSlot* detail::current_slot_ptr = nullptr;
namespace {
// The default slot's address once it is made current: compared without tls_default_slot's
// initialisation check.
constinit thread_local ContextSlot* tls_default_ptr = nullptr;
}  // namespace

ContextSlot& detail::default_slot() noexcept {
  tls_default_ptr = &tls_default_slot;
  return *(current_slot_ptr = tls_default_ptr);
}

ContextSlot* exchange_current_slot(ContextSlot* slot) noexcept {
  ContextSlot* previous = std::exchange(detail::current_slot_ptr, slot);
  return previous == tls_default_ptr ? nullptr : previous;
}

Context Context::current() { return current_slot().get(); }

Token attach(Context&& context) { return current_slot().attach(std::move(context)); }
bool detach(Token token) noexcept { return current_slot().detach(token); }

Span current_span() { return current_slot().get().span(); }

const ContextKey<bool>& suppress_instrumentation_key() {
  static const auto key = create_context_key<bool>("suppress_instrumentation");
  return key;
}

}  // namespace tracehop::trace
