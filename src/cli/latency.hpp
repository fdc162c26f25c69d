#pragma once
// LatencyHistogram: the latencies of a load run in a fixed-size log-bucketed histogram (as wrk's
// HdrHistogram), so the load tool's memory does not grow with the requests it makes. Values are
// nanoseconds; below 256 each has its own bucket, above it every power of two is split into 128
// buckets, so a percentile is within 1/256 of the value it stands for (the bucket's middle is
// reported). The maximum, mean and standard deviation are kept exactly (Welford's running sums).

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>

namespace tracehop::cli {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 7;                              // 128 buckets a power of two
  static constexpr std::uint64_t kExact = std::uint64_t{2} << kSubBits;  // values below: one bucket each
  static constexpr std::size_t kBuckets = kExact + (64 - kSubBits - 1) * (std::size_t{1} << kSubBits);

  void record(std::chrono::nanoseconds latency) noexcept {
    const auto v = static_cast<std::uint64_t>(std::max<std::int64_t>(latency.count(), 0));
    ++counts_[index(v)];
    ++count_;
    max_ = std::max(max_, v);
    const double x = static_cast<double>(v), d = x - mean_;
    mean_ += d / static_cast<double>(count_);
    m2_ += d * (x - mean_);
  }

  std::uint64_t count() const noexcept { return count_; }
  std::chrono::nanoseconds max() const noexcept { return std::chrono::nanoseconds(max_); }
  /// The mean and the sample standard deviation, in nanoseconds (0 for fewer than 1 / 2 values).
  double mean() const noexcept { return mean_; }
  double stdev() const noexcept { return count_ > 1 ? std::sqrt(m2_ / static_cast<double>(count_ - 1)) : 0.0; }

  /// The latency at quantile `q` in [0, 1] (the value at rank ceil(q * count), as a sorted list
  /// gives it), within the precision above; zero when nothing was recorded.
  std::chrono::nanoseconds percentile(double q) const noexcept {
    if (count_ == 0) return {};
    const auto rank = std::clamp<std::uint64_t>(
        static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))), 1, count_);
    if (rank == count_) return std::chrono::nanoseconds(max_);  // the largest is kept exactly
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::chrono::nanoseconds(std::min(middle(i), max_));
    }
    return std::chrono::nanoseconds(max_);
  }

  /// The bucket of a value, and the middle of a bucket (exposed for tests).
  static std::size_t index(std::uint64_t v) noexcept {
    if (v < kExact) return static_cast<std::size_t>(v);
    const int shift = std::bit_width(v) - 1 - kSubBits;  // >= 1
    const auto octave = static_cast<std::size_t>(shift - 1);
    return static_cast<std::size_t>(kExact + (octave << kSubBits) + ((v >> shift) - (std::uint64_t{1} << kSubBits)));
  }
  static std::uint64_t middle(std::size_t i) noexcept {
    if (i < kExact) return i;
    const std::size_t octave = (i - kExact) >> kSubBits;
    const int shift = static_cast<int>(octave) + 1;
    const std::uint64_t low = ((std::uint64_t{1} << kSubBits) + ((i - kExact) & ((std::size_t{1} << kSubBits) - 1))) << shift;
    return low + (std::uint64_t{1} << (shift - 1));
  }

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
  double mean_ = 0, m2_ = 0;
};

}  // namespace tracehop::cli
