#include <gtest/gtest.h>

#include <sstream>

#include "test_util.hpp"
#include "waterfall.hpp"

using namespace tracehop::trace;

TEST(Waterfall, IndentsChildrenUnderParentsPerTrace) {
  tracehop::test::MemoryProvider p;
  {
    auto root = p.tracer->start_as_current_span("root");
    auto child = p.tracer->start_as_current_span("child", {.kind = SpanKind::Client});
    child->set_attribute("http.response.status_code", 503);
    child->set_status(StatusCode::Error, "upstream");
  }
  p.tracer->start_span("other-trace", {.parent = Context{}}).end();
  std::ostringstream out;
  tracehop::cli::print_waterfall(out, p.spans());
  const auto text = out.str();
  EXPECT_NE(text.find("(2 spans,"), std::string::npos) << text;
  EXPECT_NE(text.find("(1 span,"), std::string::npos) << text;
  EXPECT_NE(text.find("\n  root "), std::string::npos) << text;
  EXPECT_NE(text.find("\n    child "), std::string::npos) << text;  // indented under root
  EXPECT_NE(text.find("CLIENT"), std::string::npos);
  EXPECT_NE(text.find("503  ERROR: upstream"), std::string::npos) << text;
  EXPECT_LT(text.find("root"), text.find("other-trace"));  // traces in start order
}
