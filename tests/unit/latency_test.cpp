#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "latency.hpp"

using tracehop::cli::LatencyHistogram;
using std::chrono::nanoseconds;

TEST(LatencyHistogram, EveryValueHasABucketWhoseMiddleIsWithinOnePart256) {
  std::vector<std::uint64_t> values;
  for (std::uint64_t v = 0; v < 70'000; ++v) values.push_back(v);
  std::mt19937_64 random(7);
  for (int i = 0; i < 200'000; ++i) values.push_back(random() >> (random() % 64));
  for (int b = 0; b < 64; ++b) {
    const std::uint64_t p = std::uint64_t{1} << b;
    values.insert(values.end(), {p - 1, p, p + 1});
  }
  values.push_back(UINT64_MAX);
  std::sort(values.begin(), values.end());
  std::size_t last = 0;
  for (const auto v : values) {
    const std::size_t i = LatencyHistogram::index(v);
    ASSERT_LT(i, LatencyHistogram::kBuckets) << v;
    ASSERT_GE(i, last) << v;  // buckets follow the values' order
    last = i;
    const auto m = LatencyHistogram::middle(i);
    const auto error = m > v ? m - v : v - m;
    if (v < LatencyHistogram::kExact)
      ASSERT_EQ(m, v);
    else
      ASSERT_LE(static_cast<double>(error), static_cast<double>(v) / 256.0) << v;
  }
}

TEST(LatencyHistogram, PercentilesAreThoseOfTheSortedValues) {
  std::mt19937_64 random(11);
  std::lognormal_distribution<double> ms(0.0, 1.0);  // a long tail, as latencies have
  LatencyHistogram h;
  std::vector<std::int64_t> sorted;
  for (int i = 0; i < 100'000; ++i) {
    const auto v = static_cast<std::int64_t>(ms(random) * 1e6);
    sorted.push_back(v);
    h.record(nanoseconds(v));
  }
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(h.count(), sorted.size());
  EXPECT_EQ(h.max(), nanoseconds(sorted.back()));
  for (const double q : {0.0, 0.001, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    const auto rank = std::clamp<std::size_t>(static_cast<std::size_t>(std::ceil(q * sorted.size())), 1, sorted.size());
    const double exact = static_cast<double>(sorted[rank - 1]);
    EXPECT_NEAR(static_cast<double>(h.percentile(q).count()), exact, exact / 256.0 + 1) << q;
  }
  EXPECT_EQ(h.percentile(1.0), h.max());  // never above the largest value recorded

  double sum = 0, squares = 0;  // the mean and sample standard deviation, computed directly
  for (const auto v : sorted) sum += static_cast<double>(v);
  const double mean = sum / static_cast<double>(sorted.size());
  for (const auto v : sorted) squares += (static_cast<double>(v) - mean) * (static_cast<double>(v) - mean);
  EXPECT_NEAR(h.mean(), mean, mean * 1e-9);
  const double stdev = std::sqrt(squares / static_cast<double>(sorted.size() - 1));
  EXPECT_NEAR(h.stdev(), stdev, stdev * 1e-9);
}

TEST(LatencyHistogram, EmptyAndNegative) {
  LatencyHistogram h;
  EXPECT_EQ(h.percentile(0.5), nanoseconds(0));
  EXPECT_EQ(h.max(), nanoseconds(0));
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.stdev(), 0.0);
  h.record(nanoseconds(-5));  // a clock that went back counts as zero
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.percentile(0.99), nanoseconds(0));
}
