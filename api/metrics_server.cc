// The Prometheus endpoint of NodeOptions::metrics_listen: cpp-httplib on one small thread of
// its own (two workers), GET /metrics answering to_prometheus(Node::metrics()) as
// text/plain; version=0.0.4. Nothing here touches the node's state: each scrape posts a
// command to the node's thread (collect_metrics) and waits for it, bounded.
#include <sys/socket.h>

#include <thread>

#include <httplib.h>

#include "api/internal/metrics_server.h"

namespace ztkit {

namespace {
constexpr auto scrape_timeout = std::chrono::seconds(2);
constexpr const char* exposition_type = "text/plain; version=0.0.4; charset=utf-8";
}  // namespace

struct Node::MetricsServer::Impl {
  httplib::Server server;
  std::thread thread;
  bool stopped = false;
};

Expected<std::unique_ptr<Node::MetricsServer>> Node::MetricsServer::start(
    const SocketAddress& at, std::shared_ptr<node_link> link) {
  if (at.ip.is_any())
    return Error(Errc::invalid_argument, "the metrics endpoint needs an IP address (e.g. 127.0.0.1:9464)");
  auto out = std::unique_ptr<MetricsServer>(new MetricsServer());
  out->impl_ = std::make_unique<Impl>();
  httplib::Server& svr = out->impl_->server;
  svr.new_task_queue = [] { return new httplib::ThreadPool(2); };
  // httplib's default sets SO_REUSEPORT, which would let two servers share a port silently.
  svr.set_socket_options([](socket_t s) {
    int yes = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  svr.Get("/metrics", [link](const httplib::Request&, httplib::Response& res) {
    auto m = collect_metrics(link, scrape_timeout);
    if (!m) {
      res.status = 503;
      res.set_content(m.error().message + "\n", "text/plain; charset=utf-8");
      return;
    }
    res.set_content(to_prometheus(*m), exposition_type);
  });
  svr.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ztkit node metrics: GET /metrics\n", "text/plain; charset=utf-8");
  });
  const std::string host = at.ip.to_string();
  const std::string where = at.to_string();
  int port = at.port;
  if (port == 0) {
    port = svr.bind_to_any_port(host);
    if (port <= 0) return Error(Errc::address_in_use, "cannot bind the metrics endpoint to " + where);
  } else if (!svr.bind_to_port(host, port)) {
    return Error(Errc::address_in_use,
                 "cannot bind the metrics endpoint to " + where + " (address in use?)");
  }
  out->endpoint_ = at;
  out->endpoint_.port = static_cast<std::uint16_t>(port);
  Impl* self = out->impl_.get();
  self->thread = std::thread([self] { self->server.listen_after_bind(); });
  // stop() before the loop runs would be lost: wait (bounded) until it does.
  for (int i = 0; i < 500 && !svr.is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (!svr.is_running()) {
    out->stop();
    return Error(Errc::io_error, "the metrics endpoint did not start on " + where);
  }
  return out;
}

Node::MetricsServer::~MetricsServer() { stop(); }

void Node::MetricsServer::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace ztkit
