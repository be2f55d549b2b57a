// Node metrics inside the library: the snapshot taken on the node's thread (metrics.cc) and
// the optional Prometheus endpoint, GET /metrics on its own small HTTP thread
// (metrics_server.cc, cpp-httplib).
#pragma once

#include <chrono>
#include <memory>

#include "api/internal/node_impl.h"
#include "ztkit/metrics.h"
#include "ztkit/node.h"

namespace ztkit {

// Posts the gathering to the runner thread and waits for it at most `timeout`: stopped if the
// node is stopped (or stops meanwhile), timed_out if its thread did not get to it in time.
Expected<Metrics> collect_metrics(const std::shared_ptr<node_link>& link,
                                  std::chrono::milliseconds timeout);

struct Node::MetricsServer {
  // Binds `at` (TCP; port 0: the kernel picks) and starts serving. An address in use is an
  // error here (SO_REUSEADDR only, not httplib's SO_REUSEPORT, which would share the port).
  static Expected<std::unique_ptr<MetricsServer>> start(const SocketAddress& at,
                                                        std::shared_ptr<node_link> link);
  ~MetricsServer();
  void stop();  // idempotent
  SocketAddress endpoint() const { return endpoint_; }

  struct Impl;
  std::unique_ptr<Impl> impl_;
  SocketAddress endpoint_;
};

}  // namespace ztkit
