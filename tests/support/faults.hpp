#pragma once
// What the fault tests share: the client instrumented for the length of a test (stable
// semantic conventions: error.type is a stable attribute), a peer that answers "ok" and closes
// (the good request after every fault), and what they ask of the CLIENT span of a request that
// raised: an ERROR whose `error.type` is the raised error's type, with its exception event.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "raw_server.hpp"
#include "test_util.hpp"
#include "tracehop/instrument/client.hpp"
#include "tracehop/trace/exporter.hpp"
#include "tracehop/trace/span.hpp"

namespace tracehop::test {

/// The client instrumented into an in-memory provider (the global one) while it lives.
struct InstrumentedClient {
  InstrumentedClient() {
    trace::set_tracer_provider(memory.provider);
    instrument::ClientOptions stable;
    stable.semconv = instrument::SemconvMode::Stable;
    instrument::HttpClientInstrumentor{}.instrument(stable);
  }
  ~InstrumentedClient() {
    instrument::HttpClientInstrumentor{}.uninstrument();
    trace::set_tracer_provider(nullptr);
  }
  InstrumentedClient(const InstrumentedClient&) = delete;
  InstrumentedClient& operator=(const InstrumentedClient&) = delete;

  MemoryProvider memory;
};

/// A peer's script: reads the request, answers 200 "ok" and closes.
inline RawServer::Script answers_ok() {
  return [](boost::asio::ip::tcp::socket& s, int) {
    if (!RawServer::read_request(s).empty())
      RawServer::write(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
  };
}

/// `spans` (one request's) are its one CLIENT span, an ERROR of type `raised`.
inline void expect_error_span(const std::vector<trace::SpanDataPtr>& spans, const std::string& raised, const char* fault) {
  ASSERT_EQ(spans.size(), 1u) << fault;
  const auto& span = *spans.back();
  EXPECT_EQ(span.kind, trace::SpanKind::Client) << fault;
  EXPECT_EQ(span.status.code, trace::StatusCode::Error) << fault;
  const auto* type = trace::find_attribute(span.attributes, "error.type");
  ASSERT_TRUE(type && type->get_if<std::string>()) << fault;
  EXPECT_EQ(*type->get_if<std::string>(), raised) << fault;
  ASSERT_FALSE(span.events.empty()) << fault;
  EXPECT_EQ(span.events.back().name, "exception") << fault;
}

}  // namespace tracehop::test
