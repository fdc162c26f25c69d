#pragma once
// Tasks that carry the tracing context: the current tracehop::trace::Context follows each task
// across every co_await, as Python's contextvars follow an asyncio task.
//
// How: each task owns a ContextSlot; the thread-local "current slot" points at the running
// task's slot, swapped in around every resumption by ContextExecutor, an executor wrapper that
// every completion of the task passes through. spawn() gives each new task a fresh slot copied
// from the spawner's current context, so a child's scopes never leak into its parent.

#include "tracehop/asio_config.hpp"  // first: it checks how Asio is configured

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "tracehop/trace/context.hpp"

namespace tracehop {

/// An executor that runs every function submitted to it with `slot` as the thread's current
/// context slot, and otherwise behaves exactly like `Inner` (properties are forwarded).
template <class Inner>
class ContextExecutor {
 public:
  using inner_executor_type = Inner;

  ContextExecutor(Inner inner, std::shared_ptr<trace::ContextSlot> slot) noexcept
      : inner_(std::move(inner)), slot_(std::move(slot)) {}

  const Inner& inner_executor() const noexcept { return inner_; }
  const std::shared_ptr<trace::ContextSlot>& slot() const noexcept { return slot_; }

  template <class Property>
  auto query(const Property& p) const
      noexcept(noexcept(boost::asio::query(std::declval<const Inner&>(), p)))
          -> decltype(boost::asio::query(std::declval<const Inner&>(), p)) {
    return boost::asio::query(inner_, p);
  }

  template <class Property>
  auto require(const Property& p) const
      -> ContextExecutor<std::decay_t<decltype(boost::asio::require(std::declval<const Inner&>(), p))>> {
    return {boost::asio::require(inner_, p), slot_};
  }

  template <class Property>
  auto prefer(const Property& p) const
      -> ContextExecutor<std::decay_t<decltype(boost::asio::prefer(std::declval<const Inner&>(), p))>> {
    return {boost::asio::prefer(inner_, p), slot_};
  }

  template <class F>
  void execute(F&& f) const {
    boost::asio::execution::execute(inner_, Bound<std::decay_t<F>>{slot_.get(), std::forward<F>(f)});
  }

  friend bool operator==(const ContextExecutor& a, const ContextExecutor& b) noexcept {
    return a.inner_ == b.inner_ && a.slot_ == b.slot_;
  }
  friend bool operator!=(const ContextExecutor& a, const ContextExecutor& b) noexcept {
    return !(a == b);
  }

 private:
  // The function with its task's slot made current while it runs. The slot is held by raw
  // pointer: the function is a continuation of the task, and the task (which owns the
  // executor, which owns the slot) is alive for as long as one of its continuations is pending.
  template <class F>
  struct Bound {
    trace::ContextSlot* slot;
    F f;
    void operator()() {
      trace::ContextSlot* const previous = trace::exchange_current_slot(slot);
      struct Restore {
        trace::ContextSlot* previous;
        ~Restore() { trace::exchange_current_slot(previous); }
      } restore{previous};
      f();
    }
  };

  Inner inner_;
  std::shared_ptr<trace::ContextSlot> slot_;
};

namespace detail {

/// The executor underneath any tracehop wrapper, so a new task never inherits another task's slot.
inline boost::asio::any_io_executor plain_executor(const boost::asio::any_io_executor& ex) {
  if (auto* w = ex.target<ContextExecutor<boost::asio::io_context::executor_type>>()) return w->inner_executor();
  // What asio stores after require(blocking.never) and friends on the wrapper above.
  if (auto* w = ex.target<ContextExecutor<std::decay_t<decltype(boost::asio::require(
          std::declval<boost::asio::io_context::executor_type>(), boost::asio::execution::blocking.never))>>>())
    return boost::asio::any_io_executor(w->inner_executor());
  if (auto* w = ex.target<ContextExecutor<boost::asio::any_io_executor>>()) return w->inner_executor();
  return ex;
}
template <class Inner>
boost::asio::any_io_executor plain_executor(const ContextExecutor<Inner>& ex) {
  return ex.inner_executor();
}
inline boost::asio::any_io_executor plain_executor(const boost::asio::io_context::executor_type& ex) { return ex; }
inline boost::asio::any_io_executor plain_executor(boost::asio::io_context& io) { return io.get_executor(); }

using IoExecutor = boost::asio::io_context::executor_type;

/// A context-carrying executor for a new task whose context starts as `context`.
inline ContextExecutor<boost::asio::any_io_executor> task_executor(boost::asio::any_io_executor plain,
                                                            trace::Context context) {
  return {std::move(plain), std::make_shared<trace::ContextSlot>(std::move(context))};
}

/// Calls `f` with a context-carrying executor for a new task: wrapping the io_context's own
/// executor type when that is what `plain` holds (a resumption then costs a few nanoseconds
/// more than a plain co_spawn's, against ~80 ns through a second layer of type erasure).
template <class F>
decltype(auto) with_task_executor(const boost::asio::any_io_executor& plain, trace::Context context, F&& f) {
  auto slot = std::make_shared<trace::ContextSlot>(std::move(context));
  if (const auto* io = plain.target<IoExecutor>()) return f(ContextExecutor<IoExecutor>(*io, std::move(slot)));
  return f(ContextExecutor<boost::asio::any_io_executor>(plain, std::move(slot)));
}

template <class T>
using gathered_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class T>
boost::asio::awaitable<gathered_t<T>> as_value(boost::asio::awaitable<T> a) {
  if constexpr (std::is_void_v<T>) {
    co_await std::move(a);
    co_return std::monostate{};
  } else {
    co_return co_await std::move(a);
  }
}

// Calls `f` and awaits its result; `f` is a parameter, so it lives in this coroutine's frame for
// as long as the awaitable it returned runs (a lambda's captures would otherwise dangle once
// the temporary lambda is gone).
template <class F>
auto invoke_owned(F f) -> std::invoke_result_t<F&> {
  co_return co_await std::invoke(f);
}

// parallel_group's result: (completion order, exception_0, value_0, exception_1, value_1, ...).
template <class... R, class Results, std::size_t... I>
std::tuple<R...> unpack_gathered(Results& results, std::index_sequence<I...>) {
  for (const std::exception_ptr& e : {std::get<1 + 2 * I>(results)...})
    if (e) std::rethrow_exception(e);
  return std::tuple<R...>(std::move(std::get<2 + 2 * I>(results))...);
}

}  // namespace detail

/// An executor for plain co_spawn whose tasks carry the current context (copied now): use it
/// where a library spawns coroutines itself.
template <class ExecutorOrContext>
ContextExecutor<boost::asio::any_io_executor> context_executor(ExecutorOrContext&& ex,
                                                        trace::Context context = trace::Context::current()) {
  return detail::task_executor(detail::plain_executor(ex), std::move(context));
}

/// Spawns `task` on `ex` (an executor or an io_context) as a new task that starts with the
/// spawner's current context and keeps its own from then on. `token` as for co_spawn
/// (default: detached, exceptions are rethrown from io_context::run).
template <class ExecutorOrContext, class T, class CompletionToken = boost::asio::detached_t>
auto spawn(ExecutorOrContext&& ex, boost::asio::awaitable<T> task, CompletionToken&& token = {}) {
  auto plain = detail::plain_executor(ex);
  if constexpr (std::is_same_v<std::decay_t<CompletionToken>, boost::asio::detached_t>) {
    detail::with_task_executor(plain, trace::Context::current(), [&](auto exec) {
      boost::asio::co_spawn(std::move(exec), std::move(task), [](std::exception_ptr e, auto&&...) {
        if (e) std::rethrow_exception(e);
      });
    });
  } else if constexpr (std::is_same_v<decltype(boost::asio::co_spawn(
                                          std::declval<ContextExecutor<detail::IoExecutor>>(), std::move(task),
                                          std::forward<CompletionToken>(token))),
                                      decltype(boost::asio::co_spawn(
                                          std::declval<ContextExecutor<boost::asio::any_io_executor>>(),
                                          std::move(task), std::forward<CompletionToken>(token)))>) {
    // use_awaitable and most tokens: the result does not depend on the executor, so the task
    // gets the small wrapper (stored in any_io_executor without a heap allocation per copy).
    return detail::with_task_executor(plain, trace::Context::current(), [&](auto exec) {
      return boost::asio::co_spawn(std::move(exec), std::move(task), std::forward<CompletionToken>(token));
    });
  } else {
    // A token whose result type depends on the executor (deferred) needs one executor type.
    return boost::asio::co_spawn(detail::task_executor(std::move(plain), trace::Context::current()),
                          std::move(task), std::forward<CompletionToken>(token));
  }
}

/// Spawns a coroutine function (`f()` returns an awaitable) the same way. The function object
/// is kept alive until the task ends, so a lambda coroutine may use its captures.
template <class ExecutorOrContext, class F, class CompletionToken = boost::asio::detached_t>
  requires std::is_invocable_v<F>
auto spawn(ExecutorOrContext&& ex, F&& f, CompletionToken&& token = {}) {
  return spawn(std::forward<ExecutorOrContext>(ex), detail::invoke_owned(std::forward<F>(f)),
               std::forward<CompletionToken>(token));
}

/// Runs the awaitables concurrently, each as its own task starting with the caller's current
/// context, and returns all their results (std::monostate for void) once all are done. If any
/// throws, the first exception (in argument order) is rethrown after all have finished.
template <class... T>
boost::asio::awaitable<std::tuple<detail::gathered_t<T>...>> gather(boost::asio::awaitable<T>... tasks) {
  const auto plain = detail::plain_executor(co_await boost::asio::this_coro::executor);
  const trace::Context context = trace::Context::current();
  auto run = [&](auto ex) -> boost::asio::awaitable<std::tuple<detail::gathered_t<T>...>> {
    using Ex = decltype(ex);
    auto results = co_await boost::asio::experimental::make_parallel_group(
                       boost::asio::co_spawn(Ex(ex.inner_executor(), std::make_shared<trace::ContextSlot>(context)),
                                      detail::as_value(std::move(tasks)), boost::asio::deferred)...)
                       .async_wait(boost::asio::experimental::wait_for_all(), boost::asio::use_awaitable);
    co_return detail::unpack_gathered<detail::gathered_t<T>...>(results, std::index_sequence_for<T...>{});
  };
  co_return co_await detail::with_task_executor(plain, context, run);
}

/// gather over a range: runs every awaitable of `tasks` concurrently, each as its own task
/// starting with the caller's current context, and returns their results in the order given
/// once all are done (std::monostate for void). If any throws, the first exception (in the
/// order given) is rethrown after all have finished.
template <class T>
boost::asio::awaitable<std::vector<detail::gathered_t<T>>> gather(std::vector<boost::asio::awaitable<T>> tasks) {
  if (tasks.empty()) co_return std::vector<detail::gathered_t<T>>{};
  const auto plain = detail::plain_executor(co_await boost::asio::this_coro::executor);
  const trace::Context context = trace::Context::current();
  auto run = [&](auto ex) -> boost::asio::awaitable<std::vector<detail::gathered_t<T>>> {
    using Ex = decltype(ex);
    auto spawn_one = [&](boost::asio::awaitable<T>& task) {
      return boost::asio::co_spawn(Ex(ex.inner_executor(), std::make_shared<trace::ContextSlot>(context)),
                                   detail::as_value(std::move(task)), boost::asio::deferred);
    };
    std::vector<decltype(spawn_one(std::declval<boost::asio::awaitable<T>&>()))> ops;
    ops.reserve(tasks.size());
    for (auto& task : tasks) ops.push_back(spawn_one(task));
    auto [order, exceptions, values] =
        co_await boost::asio::experimental::make_parallel_group(std::move(ops))
            .async_wait(boost::asio::experimental::wait_for_all(), boost::asio::use_awaitable);
    for (const std::exception_ptr& e : exceptions)
      if (e) std::rethrow_exception(e);
    co_return std::move(values);
  };
  co_return co_await detail::with_task_executor(plain, context, run);
}

}  // namespace tracehop
