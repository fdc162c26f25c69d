#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tracehop/trace/ids.hpp"

using namespace tracehop::trace;

TEST(Ids, DefaultIdsAreInvalid) {
  EXPECT_FALSE(TraceId{}.valid());
  EXPECT_FALSE(SpanId{}.valid());
}

TEST(Ids, HexRoundTrip) {
  auto t = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->valid());
  EXPECT_EQ(t->to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  auto s = SpanId::from_hex("00f067aa0ba902b7");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->to_hex(), "00f067aa0ba902b7");
  EXPECT_EQ(s->bytes()[1], 0xf0);
}

TEST(Ids, HexOfEveryByteValueAtEveryLengthAndOffset) {
  // write_hex takes eight bytes a step and the rest one at a time: every byte value, in every
  // position of a step, for lengths around the step, against a plain reference.
  std::vector<std::uint8_t> bytes(256 + 40);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 7 + i / 256);
  for (std::size_t offset = 0; offset < 8; ++offset)
    for (std::size_t n : {0u, 1u, 7u, 8u, 9u, 15u, 16u, 17u, 24u, 32u, 256u}) {
      std::string expected;
      for (std::size_t i = 0; i < n; ++i) {
        expected += "0123456789abcdef"[bytes[offset + i] >> 4];
        expected += "0123456789abcdef"[bytes[offset + i] & 0xf];
      }
      std::string out(2 * n + 1, '#');
      detail::write_hex(bytes.data() + offset, n, out.data());
      EXPECT_EQ(out, expected + "#") << "offset " << offset << " n " << n;  // nothing written past the end
    }
}

TEST(Ids, FromHexRejectsUppercaseWrongLengthAndNonHex) {
  EXPECT_FALSE(TraceId::from_hex("4BF92F3577B34DA6A3CE929D0E0E4736"));
  EXPECT_FALSE(TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e473"));
  EXPECT_FALSE(TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e47366"));
  EXPECT_FALSE(SpanId::from_hex("00f067aa0ba902bg"));
  EXPECT_FALSE(SpanId::from_hex(""));
}

TEST(Ids, AllZeroParsesButIsInvalid) {
  auto t = TraceId::from_hex("00000000000000000000000000000000");
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->valid());
}

TEST(Ids, RandomGeneratorMakesValidDistinctIds) {
  RandomIdGenerator gen;
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    auto t = gen.new_trace_id();
    auto s = gen.new_span_id();
    ASSERT_TRUE(t.valid());
    ASSERT_TRUE(s.valid());
    seen.insert(t.to_hex());
  }
  EXPECT_EQ(seen.size(), 10000u);
  EXPECT_TRUE(gen.trace_ids_are_random());
}

TEST(Ids, ThreadsDrawDifferentSequences) {
  RandomIdGenerator gen;
  std::vector<std::string> a, b;
  std::thread t1([&] { for (int i = 0; i < 100; ++i) a.push_back(gen.new_trace_id().to_hex()); });
  std::thread t2([&] { for (int i = 0; i < 100; ++i) b.push_back(gen.new_trace_id().to_hex()); });
  t1.join();
  t2.join();
  std::set<std::string> all(a.begin(), a.end());
  all.insert(b.begin(), b.end());
  EXPECT_EQ(all.size(), 200u);
}

TEST(Ids, RandomBitsAreRoughlyBalanced) {
  // Each of the 128 bit positions should be set about half the time over 4096 ids.
  RandomIdGenerator gen;
  int counts[128] = {};
  for (int i = 0; i < 4096; ++i) {
    auto b = gen.new_trace_id().bytes();
    for (int bit = 0; bit < 128; ++bit) counts[bit] += (b[bit / 8] >> (bit % 8)) & 1;
  }
  for (int bit = 0; bit < 128; ++bit) {
    EXPECT_GT(counts[bit], 1700) << bit;
    EXPECT_LT(counts[bit], 2400) << bit;
  }
}

TEST(TraceFlags, SampledAndRandomBits) {
  TraceFlags f;
  EXPECT_FALSE(f.sampled());
  f = f.with_sampled(true).with_random(true);
  EXPECT_TRUE(f.sampled());
  EXPECT_TRUE(f.random());
  EXPECT_EQ(f.bits(), 0x03);
  EXPECT_EQ(f.with_sampled(false).bits(), 0x02);
}

TEST(Ids, AForkedChildDrawsOtherIdsThanItsParent) {
  // At fork the child holds a copy of the parent thread's generator; it must reseed, or both
  // processes would make the same ids from then on.
  RandomIdGenerator gen;
  gen.new_span_id();  // the generator is seeded before the fork
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string id = gen.new_trace_id().to_hex();
    const bool written = ::write(fds[1], id.data(), id.size()) == static_cast<ssize_t>(id.size());
    ::_exit(written ? 0 : 1);
  }
  const std::string mine = gen.new_trace_id().to_hex();
  char theirs[32];
  ASSERT_EQ(::read(fds[0], theirs, sizeof theirs), static_cast<ssize_t>(sizeof theirs));
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_NE(mine, std::string(theirs, sizeof theirs));
}
