#include <gtest/gtest.h>

#include <thread>

#include "test_util.hpp"

using namespace tracehop::trace;

TEST(Context, IsImmutable) {
  auto key = create_context_key<std::string>("k");
  Context a;
  Context b = a.with(key, std::string("v"));
  EXPECT_EQ(a.get(key), nullptr);
  ASSERT_NE(b.get(key), nullptr);
  EXPECT_EQ(*b.get(key), "v");
  Context c = b.with(key, std::string("w"));
  EXPECT_EQ(*b.get(key), "v");
  EXPECT_EQ(*c.get(key), "w");
}

TEST(Context, KeysWithTheSameNameAreDistinct) {
  auto k1 = create_context_key<int>("same");
  auto k2 = create_context_key<int>("same");
  auto ctx = Context{}.with(k1, 1);
  EXPECT_EQ(ctx.get(k2), nullptr);
  EXPECT_EQ(*ctx.get(k1), 1);
}

TEST(Context, AttachDetachRestoresPrevious) {
  auto key = create_context_key<int>("n");
  EXPECT_EQ(Context::current().get(key), nullptr);
  auto t1 = attach(Context::current().with(key, 1));
  EXPECT_EQ(*Context::current().get(key), 1);
  auto t2 = attach(Context::current().with(key, 2));
  EXPECT_EQ(*Context::current().get(key), 2);
  EXPECT_TRUE(detach(t2));
  EXPECT_EQ(*Context::current().get(key), 1);
  EXPECT_TRUE(detach(t1));
  EXPECT_EQ(Context::current().get(key), nullptr);
}

TEST(Context, OutOfOrderDetachIsReportedAndKeepsCurrent) {
  tracehop::test::LogCapture logs;
  auto key = create_context_key<int>("n");
  auto t1 = attach(Context{}.with(key, 1));
  auto t2 = attach(Context{}.with(key, 2));
  EXPECT_FALSE(detach(t1));  // out of order
  EXPECT_TRUE(logs.contains("out of order"));
  EXPECT_EQ(*Context::current().get(key), 2);  // the current context did not change
  EXPECT_TRUE(detach(t2));
  EXPECT_EQ(Context::current().get(key), nullptr);  // and nothing stale is left behind
  EXPECT_EQ(current_slot().depth(), 0u);
}

TEST(Context, DetachingTwiceIsReportedAndChangesNothing) {
  tracehop::test::LogCapture logs;
  auto key = create_context_key<int>("n");
  auto outer = attach(Context{}.with(key, 1));
  auto t = attach(Context{}.with(key, 2));
  EXPECT_TRUE(detach(t));
  EXPECT_FALSE(detach(t));
  EXPECT_TRUE(logs.contains("not attached"));
  EXPECT_EQ(*Context::current().get(key), 1);
  EXPECT_TRUE(detach(outer));
}

TEST(Context, ScopeIsRaii) {
  auto key = create_context_key<int>("n");
  {
    Scope s(Context{}.with(key, 7));
    EXPECT_EQ(*Context::current().get(key), 7);
  }
  EXPECT_EQ(Context::current().get(key), nullptr);
}

TEST(Context, ThreadLocalByDefault) {
  auto key = create_context_key<int>("n");
  Scope s(Context{}.with(key, 1));
  const int* seen = reinterpret_cast<const int*>(1);
  std::thread([&] { seen = Context::current().get(key); }).join();
  EXPECT_EQ(seen, nullptr);
  EXPECT_EQ(*Context::current().get(key), 1);
}

TEST(Context, SlotCanBeSwapped) {
  // What a task runtime does around each resumption: point the thread at the task's slot.
  auto key = create_context_key<int>("n");
  ContextSlot task_a(Context{}.with(key, 1)), task_b(Context{}.with(key, 2));
  Scope outer(Context{}.with(key, 0));

  ContextSlot* prev = exchange_current_slot(&task_a);
  EXPECT_EQ(prev, nullptr);
  EXPECT_EQ(*Context::current().get(key), 1);
  auto tok = attach(Context::current().with(key, 10));  // task A makes its own context current
  exchange_current_slot(&task_b);
  EXPECT_EQ(*Context::current().get(key), 2);  // task B is unaffected
  exchange_current_slot(&task_a);
  EXPECT_EQ(*Context::current().get(key), 10);
  EXPECT_TRUE(detach(tok));
  EXPECT_EQ(*Context::current().get(key), 1);
  exchange_current_slot(prev);
  EXPECT_EQ(*Context::current().get(key), 0);  // the thread's own slot is back
}

TEST(Context, CarriesSpanAndBaggage) {
  auto sc = *parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  auto ctx = Context{}.with_span(Span(sc)).with_baggage(Baggage{}.set("k", "v"));
  EXPECT_EQ(ctx.span().span_context(), sc);
  EXPECT_EQ(ctx.baggage().get("k"), "v");
  Scope s(ctx);
  EXPECT_EQ(current_span().span_context(), sc);
}
