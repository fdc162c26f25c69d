// OTLP/gRPC: TraceService/Export or MetricsService/Export with grpc++, a deadline of the export
// timeout, retries on the codes the specification calls retryable.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/grpcpp.h>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fstream>
#include <optional>
#include <sstream>

#include "common/text.hpp"
#include "accounting.hpp"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpc_exporter.hpp"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "proto.hpp"
#include "tracehop/otlp/encoding.hpp"

namespace tracehop::otlp::detail {

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
namespace pb = opentelemetry::proto;

// The request is already in protobuf's wire format (ProtobufEncoder), so the call is a generic
// one: bytes in, bytes out, no generated request message built and serialized again.
const char* export_method(Signal signal) noexcept {
  return signal == Signal::Metrics ? "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"
                                   : "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
}

// The wait a RetryInfo in the status details asks for, if there is one.
std::optional<std::chrono::milliseconds> retry_delay(const grpc::Status& s) {
  google::rpc::Status details;
  if (s.error_details().empty() || !details.ParseFromString(s.error_details())) return std::nullopt;
  for (const auto& any : details.details()) {
    google::rpc::RetryInfo info;
    if (any.Is<google::rpc::RetryInfo>() && any.UnpackTo(&info)) {
      const auto& d = info.retry_delay();
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::seconds(std::max<std::int64_t>(d.seconds(), 0)) +
                                                                   std::chrono::nanoseconds(std::max(d.nanos(), 0)));
    }
  }
  return std::nullopt;
}

// The OTLP/gRPC retryable codes; RESOURCE_EXHAUSTED only when the server says when (RetryInfo).
bool retryable(const grpc::Status& s, const std::optional<std::chrono::milliseconds>& delay) {
  switch (s.error_code()) {
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DATA_LOSS:
      return true;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return delay.has_value();
    default:
      return false;
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("OTLP certificate file '" + path + "' cannot be read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

struct GrpcExporter::Channel {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::GenericStub> stub;

  // Export, resumed on the pipeline when the answer arrives (grpc++ calls back on its own thread).
  asio::awaitable<grpc::Status> call(const char* method, grpc::ClientContext& context, const grpc::ByteBuffer& request,
                                     grpc::ByteBuffer& response) {
    return asio::async_initiate<decltype(asio::use_awaitable), void(grpc::Status)>(
        [&](auto handler) {
          // grpc++ wants a copyable callback; the coroutine's handler is move-only.
          auto resume = std::make_shared<decltype(handler)>(std::move(handler));
          stub->UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                          [resume](grpc::Status status) {
                            auto ex = asio::get_associated_executor(*resume);
                            asio::post(ex, [resume, status = std::move(status)]() mutable { (*resume)(std::move(status)); });
                          });
        },
        asio::use_awaitable);
  }
};

GrpcExporter::GrpcExporter(ExporterOptions options) : PipelinedExporter(options, options.resolved_endpoint()) {
  // http://host:port: plaintext; https://host:port: TLS; host:port: TLS unless `insecure`.
  std::string target = endpoint_;
  bool tls = !options_.insecure;
  if (target.starts_with("http://")) {
    target.erase(0, 7);
    tls = false;
  } else if (target.starts_with("https://")) {
    target.erase(0, 8);
    tls = true;
  }
  while (target.ends_with('/')) target.pop_back();
  if (target.empty() || target.find('/') != std::string::npos)
    throw std::invalid_argument("OTLP/gRPC endpoint '" + endpoint_ + "' is not host:port");
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (tls) {
    grpc::SslCredentialsOptions ssl;
    if (!options_.certificate.empty()) ssl.pem_root_certs = read_file(options_.certificate);
    credentials = grpc::SslCredentials(ssl);
  }
  for (const auto& [k, v] : options_.headers)  // gRPC metadata keys are lowercase
    metadata_.emplace_back(tracehop::detail::ascii_lower(k), v);
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);  // retries are ours, bounded by the export timeout
  // A collector that restarts is found again within a second (grpc's default backoff grows to
  // two minutes, long enough to drop every batch of a busy service meanwhile).
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  if (options_.compression == Compression::Gzip) args.SetCompressionAlgorithm(GRPC_COMPRESS_GZIP);
  channel_ = std::make_unique<Channel>();
  channel_->channel = grpc::CreateCustomChannel(target, credentials, args);
  channel_->stub = std::make_unique<grpc::GenericStub>(channel_->channel);
  // (Connecting here, GetState(true), was tried: it spared a busy service's first batch the wait
  // for the connection, but in a process with three exporters to one collector (the demo) the
  // first one's connection attempt was shut down, "tcp handshaker shutdown", and with no retry at
  // shutdown its spans were lost.)
}

GrpcExporter::~GrpcExporter() { stop(); }

asio::awaitable<trace::ExportResult> GrpcExporter::send(Payload payload) {
  const auto deadline = Clock::now() + options_.timeout;
  const std::uint64_t items = payload.items();
  const std::string metrics_request = payload.metrics ? to_otlp_protobuf(*payload.metrics) : std::string();
  const std::string_view encoded = payload.metrics ? std::string_view(metrics_request) : encoder_.encode(payload.spans);
  grpc::Slice slice(encoded.data(), encoded.size());  // copied: the encoder's buffer is reused
  const grpc::ByteBuffer request(&slice, 1);
  payload = {};  // every attempt sends the same bytes
  const char* method = export_method(options_.signal);
  for (int attempt = 1;; ++attempt) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::duration_cast<std::chrono::system_clock::duration>(deadline - Clock::now()));
    for (const auto& [k, v] : metadata_) context.AddMetadata(k, v);
    grpc::ByteBuffer answer;
    accounting_.request();
    grpc::Status status = co_await channel_->call(method, context, request, answer);
    std::uint64_t refused = 0;
    if (status.ok() && options_.signal == Signal::Metrics) {
      pb::collector::metrics::v1::ExportMetricsServiceResponse response;
      status = grpc::SerializationTraits<decltype(response)>::Deserialize(&answer, &response);
      if (status.ok() && response.has_partial_success())
        refused = rejected(response.partial_success().rejected_data_points(), response.partial_success().error_message());
    } else if (status.ok()) {
      pb::collector::trace::v1::ExportTraceServiceResponse response;
      status = grpc::SerializationTraits<decltype(response)>::Deserialize(&answer, &response);
      if (status.ok() && response.has_partial_success())
        refused = rejected(response.partial_success().rejected_spans(), response.partial_success().error_message());
    }
    if (status.ok()) {
      accounting_.exported(items - std::min<std::uint64_t>(refused, items));
      co_return trace::ExportResult::Success;
    }
    const std::string reason = "gRPC status " + std::to_string(static_cast<int>(status.error_code())) + " " +
                               status.error_message();
    const auto delay = retry_delay(status);
    if (!retryable(status, delay)) {
      accounting_.failed(items, reason);
      co_return trace::ExportResult::Failure;
    }
    const auto pause = accounting_.next_attempt(options_, attempt, delay, deadline, stopping(), items, reason);
    if (!pause) co_return trace::ExportResult::Failure;
    co_await sleep(*pause);
  }
}

}  // namespace tracehop::otlp::detail
