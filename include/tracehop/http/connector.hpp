#pragma once
// The connector's settings and figures: how many connections a session keeps open (in all and
// per scheme://host:port), how long idle ones stay, TLS verification, DNS caching.

#include <chrono>
#include <cstddef>
#include <string>

namespace tracehop::http {

struct ConnectorOptions {
  /// The most connections open at once, idle ones included (0: no limit).
  std::size_t limit = 100;
  /// The most connections open at once to one scheme://host:port (0: no limit).
  std::size_t limit_per_host = 0;
  /// How long an idle connection stays in the pool.
  std::chrono::milliseconds keepalive_timeout = std::chrono::seconds(15);
  /// Never reuse a connection: `Connection: close` on every request.
  bool force_close = false;
  /// How long a DNS answer is reused.
  std::chrono::milliseconds dns_ttl = std::chrono::seconds(10);
  /// https: verify the server's certificate chain and host name (against the system's CA
  /// store, or `ca_file`). false skips both, and says so in the log: for tests only.
  bool verify_ssl = true;
  /// A PEM file of CA certificates to trust instead of the system store.
  std::string ca_file;
};

struct ConnectorStats {
  std::size_t open = 0;       // connections open now (in use + idle)
  std::size_t idle = 0;
  std::size_t peak_open = 0;
  std::size_t created = 0;    // connections made
  std::size_t reused = 0;     // requests sent on a pooled connection
  std::size_t waiting = 0;    // requests waiting for a connection now
};

}  // namespace tracehop::http
