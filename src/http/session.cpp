#include "tracehop/http/session.hpp"

#include <boost/json/serialize.hpp>
#include <atomic>
#include <mutex>

#include "content_encoding.hpp"
#include "exchange.hpp"
#include "connector.hpp"
#include "signal_emitter.hpp"
#include "url_cache.hpp"
#include "tracehop/task.hpp"
#include "tracehop/log.hpp"

namespace asio = boost::asio;

namespace tracehop::http {

namespace {

std::string form_encode(const QueryParams& form) {
  Url u("http://x/");
  append_query(u, form);
  return std::string(u.encoded_query());
}

}  // namespace

struct ClientSession::Impl {
  Impl(asio::any_io_executor ex, SessionOptions o)
      : options(std::move(o)),
        connector(std::make_shared<detail::Connector>(tracehop::detail::plain_executor(ex), options.connector)) {
    if (!options.base_url.empty()) base = parse_url(options.base_url);
  }
  SessionOptions options;
  std::optional<Url> base;
  std::shared_ptr<detail::Connector> connector;
  detail::UrlCache urls;
  std::mutex configs_mu;  // serialises add_trace_config; requests only load
  std::atomic<std::shared_ptr<const std::vector<TraceConfigPtr>>> added_configs;
  std::atomic<std::uint64_t> added_version{0};  // counts add_trace_config calls, each after its store

  // The configs of this session's requests, merged once for as long as neither the session's
  // added configs nor the process-wide ones change (a request then allocates nothing for them),
  // which two version counters tell without loading either list.
  struct MergedConfigs {
    std::uint64_t global_version, added_version;
    detail::ConfigList merged;
  };
  std::atomic<std::shared_ptr<const MergedConfigs>> merged_configs;

  detail::ConfigList request_configs() {
    const std::uint64_t global_version = detail::global_config_version();
    const std::uint64_t added = added_version.load(std::memory_order_acquire);
    if (auto m = merged_configs.load(std::memory_order_acquire);
        m && m->global_version == global_version && m->added_version == added)
      return m->merged;
    // (Lists newer than the versions read above only make the next request merge again.)
    const auto added_list = added_configs.load(std::memory_order_acquire);
    std::vector<TraceConfigPtr> own = options.trace_configs;
    if (added_list) own.insert(own.end(), added_list->begin(), added_list->end());
    auto merged = detail::merge_configs(own, detail::global_config_list());
    merged_configs.store(std::make_shared<const MergedConfigs>(MergedConfigs{global_version, added, merged}),
                         std::memory_order_release);
    return merged;
  }

  detail::SharedUrl url_of(std::string_view text) {
    return urls.get(text, [&](std::string_view t) { return base ? resolve_url(*base, t) : parse_url(t); });
  }
};

ClientSession::ClientSession(asio::any_io_executor executor, SessionOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {}

ClientSession::ClientSession(asio::any_io_executor executor) : ClientSession(std::move(executor), SessionOptions()) {}

ClientSession::~ClientSession() {
  if (!impl_->connector->closed()) {
    const auto open = impl_->connector->stats().open;
    if (open > 0) {
      static std::atomic<bool> warned{false};
      if (!warned.exchange(true))
        log_warn("ClientSession destroyed without close() while " + std::to_string(open) +
                 " connections were open: call co_await session.close() when done");
    }
  }
  impl_->connector->close_all();
}

bool ClientSession::closed() const noexcept { return impl_->connector->closed(); }

ClientSession::PoolStats ClientSession::pool_stats() const noexcept { return impl_->connector->stats(); }

void ClientSession::add_trace_config(TraceConfigPtr config) {
  std::lock_guard lk(impl_->configs_mu);
  auto configs = std::make_shared<std::vector<TraceConfigPtr>>();
  if (auto old = impl_->added_configs.load()) *configs = *old;
  configs->push_back(std::move(config));
  impl_->added_configs.store(std::move(configs), std::memory_order_release);
  impl_->added_version.fetch_add(1, std::memory_order_release);
}

asio::awaitable<void> ClientSession::close() {
  impl_->connector->close_all();
  co_return;
}

namespace {

asio::awaitable<Response> rethrow(std::exception_ptr e) {
  std::rethrow_exception(e);
  co_return Response{};
}

}  // namespace

// Not a coroutine itself: what it prepares needs no I/O, and the request runs in with_retries()'s
// frame (each frame is an allocation). An error found here is thrown when the result is awaited,
// as a coroutine's would be.
asio::awaitable<Response> ClientSession::start(std::string_view method, std::string_view url_text, RequestOptions&& o) {
  try {
    return detail::with_retries(prepare(method, url_text, std::move(o)));
  } catch (...) {
    return rethrow(std::current_exception());
  }
}

detail::Exchange ClientSession::prepare(std::string_view method, std::string_view url_text, RequestOptions o) {
  const auto& opts = impl_->options;
  if (impl_->connector->closed()) throw ClientError(make_error_code(errc::session_closed), "the session is closed");

  detail::SharedUrl url = impl_->url_of(url_text);
  if (!o.params.empty()) {  // a URL of its own
    Url with_query = *url;
    append_query(with_query, o.params);
    url = std::make_shared<const Url>(std::move(with_query));
  }
  ClientTimeout timeout = o.timeout ? *o.timeout : opts.timeout;

  std::string body;
  std::string content_type;
  if (o.json) {
    body = boost::json::serialize(*o.json);
    content_type = "application/json";
  } else if (o.form) {
    body = form_encode(*o.form);
    content_type = "application/x-www-form-urlencoded";
  } else if (o.data) {
    body = std::move(*o.data);
  }

  if (o.compress) {
    if (*o.compress != "gzip")
      throw ClientError(make_error_code(errc::invalid_header), "compress: '" + *o.compress + "' is not supported (gzip is)");
    body = detail::gzip_compress(body);
  }

  // Headers: the session's defaults unless the request names them, then the request's own in
  // the caller's order.
  Headers headers;
  headers.reserve(4 + opts.headers.size() + o.headers.size());
  if (!o.headers.contains("User-Agent") && !opts.headers.contains("User-Agent")) headers.add("User-Agent", "tracehop/0.1");
  if (!o.headers.contains("Accept") && !opts.headers.contains("Accept")) headers.add("Accept", "*/*");
  if (!o.headers.contains("Accept-Encoding") && !opts.headers.contains("Accept-Encoding"))
    headers.add("Accept-Encoding", "gzip, deflate");
  for (const auto& [n, v] : opts.headers)
    if (!o.headers.contains(n)) headers.add(n, v);
  for (const auto& [n, v] : o.headers) headers.add(n, v);
  if (!content_type.empty() && !headers.contains("Content-Type")) headers.add("Content-Type", content_type);
  if (o.compress) headers.set("Content-Encoding", *o.compress);

  detail::RequestRules rules{std::move(o.retry), o.allow_redirects, o.max_redirects, o.raise_for_status, o.trace};
  return detail::Exchange(impl_, *impl_->connector, opts, std::move(rules), std::move(timeout), impl_->request_configs(),
                          {std::string(method), std::move(url), std::move(headers), std::move(body)});
}

}  // namespace tracehop::http
