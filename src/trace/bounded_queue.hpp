#pragma once
// A bounded multi-producer multi-consumer queue (D. Vyukov's algorithm). Each cell's sequence
// number says whether it is free for the producer at position `pos` (seq == pos) or holds a
// value for the consumer at `pos` (seq == pos + 1). Neither side ever waits: a full or empty
// queue is reported at once. Any capacity works (positions are taken modulo it).

#include <atomic>
#include <cstdint>
#include <memory>

namespace tracehop::trace::detail {

template <class T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity)
      : capacity_(capacity ? capacity : 1), cells_(std::make_unique<Cell[]>(capacity_)) {
    for (std::size_t i = 0; i < capacity_; ++i) cells_[i].seq.store(i, std::memory_order_relaxed);
  }

  /// Moves `value` in and returns true, or returns false (value untouched) when full.
  bool try_push(T& value) noexcept {
    std::uint64_t pos = head_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[pos % capacity_];
      const auto diff = static_cast<std::int64_t>(cell.seq.load(std::memory_order_acquire) - pos);
      if (diff == 0) {
        if (head_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          cell.value = std::move(value);
          cell.seq.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;
      } else {
        pos = head_.load(std::memory_order_relaxed);
      }
    }
  }

  /// Moves the oldest value out into `out` and returns true, or returns false when empty.
  bool try_pop(T& out) noexcept {
    std::uint64_t pos = tail_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[pos % capacity_];
      const auto diff = static_cast<std::int64_t>(cell.seq.load(std::memory_order_acquire) - (pos + 1));
      if (diff == 0) {
        if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          out = std::move(cell.value);
          cell.seq.store(pos + capacity_, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;
      } else {
        pos = tail_.load(std::memory_order_relaxed);
      }
    }
  }

  /// Values queued now (a snapshot; exact when no push or pop is under way).
  std::size_t size() const noexcept {
    const auto h = head_.load(std::memory_order_relaxed), t = tail_.load(std::memory_order_relaxed);
    return h > t ? static_cast<std::size_t>(h - t) : 0;
  }
  /// How many pushes have succeeded since construction.
  std::uint64_t pushed() const noexcept { return head_.load(std::memory_order_relaxed); }
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  struct Cell {
    std::atomic<std::uint64_t> seq;
    T value;
  };
  const std::size_t capacity_;
  std::unique_ptr<Cell[]> cells_;
  alignas(64) std::atomic<std::uint64_t> head_{0};
  alignas(64) std::atomic<std::uint64_t> tail_{0};
};

}  // namespace tracehop::trace::detail
