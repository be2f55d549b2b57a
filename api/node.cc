// ztkit::Node over ctrl::node_runner: options -> runner config, runner events -> API events and
// network snapshots, controller calls posted to the runner thread.
#include <algorithm>
#include <chrono>
#include <future>
#include <thread>

#include <fmt/format.h>

#include "api/internal/metrics_server.h"
#include "api/internal/node_impl.h"
#include "api/internal/ready_fd.h"
#include "ctrl/node/peer.h"
#include "ctrl/runtime/root_planet.h"

namespace ztkit {

namespace {

NetworkStatus to_api(ctrl::network_status s) {
  switch (s) {
    case ctrl::network_status::requesting_configuration: return NetworkStatus::requesting_configuration;
    case ctrl::network_status::ok: return NetworkStatus::ok;
    case ctrl::network_status::access_denied: return NetworkStatus::access_denied;
    case ctrl::network_status::not_found: return NetworkStatus::not_found;
    case ctrl::network_status::port_error: return NetworkStatus::port_error;
    case ctrl::network_status::client_too_old: return NetworkStatus::client_too_old;
    case ctrl::network_status::authentication_required: return NetworkStatus::authentication_required;
  }
  return NetworkStatus::requesting_configuration;
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}


constexpr std::size_t max_events = 4096;

}  // namespace

Error stopped_error() { return Error(Errc::stopped, "the node is stopped"); }

Expected<ctrl::network_stack*> stack_of(ctrl::node_runner& r, std::uint64_t nwid) {
  ctrl::network_stack* st = r.host().stack(nwid);
  if (st != nullptr && st->iface() != nullptr) return st;
  if (r.member(nwid) != nullptr)
    return Error(Errc::network_not_ready, fmt::format("network {:016x} has no config yet", nwid));
  return Error(Errc::not_joined, fmt::format("network {:016x} is not joined", nwid));
}

bool is_local(const netstack::interface& ifc, const IpAddress& ip) {
  if (ip.is_any()) return true;
  if (ip.family == IpAddress::Family::v4)
    return ifc.is_our_ipv4(netstack::wire::ipv4_address::from_bytes(ip.bytes.data()));
  return ifc.is_our_ipv6(netstack::wire::ipv6_address::from_bytes(ip.bytes.data()));
}

IpPrefix to_prefix(const wire::inet_address& a) {
  IpPrefix p;
  p.ip = to_socket_address(a).ip;
  p.prefix_len = static_cast<std::uint8_t>(a.port);
  return p;
}

SocketAddress to_socket_address(const wire::inet_address& a) {
  SocketAddress s;
  if (a.fam == wire::inet_address::family::ipv4) s.ip.family = IpAddress::Family::v4;
  if (a.fam == wire::inet_address::family::ipv6) s.ip.family = IpAddress::Family::v6;
  s.ip.bytes = a.ip;
  s.port = a.port;
  return s;
}

wire::inet_address to_inet(const SocketAddress& a) {
  wire::inet_address w;
  if (a.ip.family == IpAddress::Family::v4) w.fam = wire::inet_address::family::ipv4;
  if (a.ip.family == IpAddress::Family::v6) w.fam = wire::inet_address::family::ipv6;
  w.ip = a.ip.bytes;
  if (w.fam == wire::inet_address::family::ipv4) std::fill(w.ip.begin() + 4, w.ip.end(), 0);
  w.port = a.port;
  return w;
}

namespace {
// Waits for a command posted to one of the node's threads. Commands run only inside the
// threads' loops; once the node has left them (running() false) ours either ran or never will.
bool wait_ran(ctrl::node_runner& r, std::future<void>& f) {
  while (f.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready)
    if (!r.running()) return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  return true;
}
}  // namespace

bool node_link::call(std::function<void(ctrl::node_runner&, std::int64_t)> fn) {
  auto r = get();
  if (!r || !r->running()) return false;
  auto done = std::make_shared<std::promise<void>>();
  auto f = done->get_future();
  ctrl::node_runner* raw = r.get();
  r->post_shard([raw, &fn, done](std::int64_t now) {
    fn(*raw, now);
    done->set_value();
  });
  return wait_ran(*r, f);
}

bool node_link::call_on(unsigned shard, std::function<void(ctrl::node_runner&, std::int64_t)> fn) {
  if (shard == 0) return call(std::move(fn));
  auto r = get();
  if (!r || !r->running()) return false;
  ctrl::lane_shard* sh = r->shard_at(shard);
  if (sh == nullptr) return false;
  // The shard may outlive shard 0's loop (it stops after it): a waiter that gave up marks the
  // call abandoned, and the shard then never runs fn (whose captures are the waiter's locals).
  struct pending {
    std::mutex mu;
    bool abandoned = false;
    std::promise<void> done;
  };
  auto p = std::make_shared<pending>();
  auto f = p->done.get_future();
  ctrl::node_runner* raw = r.get();
  sh->post([raw, &fn, p](std::int64_t now) {
    std::lock_guard lock(p->mu);
    if (p->abandoned) return;
    fn(*raw, now);
    p->done.set_value();
  });
  if (wait_ran(*r, f)) return true;
  std::lock_guard lock(p->mu);
  if (f.wait_for(std::chrono::seconds(0)) == std::future_status::ready) return true;
  p->abandoned = true;
  return false;
}

bool node_link::call_core(std::function<void(ctrl::node_core&, std::int64_t)> fn) {
  auto r = get();
  if (!r || !r->running()) return false;
  auto done = std::make_shared<std::promise<void>>();
  auto f = done->get_future();
  r->post([&fn, done](ctrl::node_core& core, std::int64_t now) {
    fn(core, now);
    done->set_value();
  });
  return wait_ran(*r, f);
}

const char* to_string(NetworkStatus s) {
  switch (s) {
    case NetworkStatus::requesting_configuration: return "REQUESTING_CONFIGURATION";
    case NetworkStatus::ok: return "OK";
    case NetworkStatus::access_denied: return "ACCESS_DENIED";
    case NetworkStatus::not_found: return "NOT_FOUND";
    case NetworkStatus::port_error: return "PORT_ERROR";
    case NetworkStatus::client_too_old: return "CLIENT_TOO_OLD";
    case NetworkStatus::authentication_required: return "AUTHENTICATION_REQUIRED";
  }
  return "?";
}

std::string to_string(const Event& e) {
  switch (e.kind) {
    case Event::Kind::online: return e.online ? "online" : "offline";
    case Event::Kind::network_status:
      return fmt::format("network {:016x} status {}", e.network_id, to_string(e.status));
    case Event::Kind::network_config: {
      std::string s = fmt::format("network {:016x} config", e.network_id);
      for (const auto& a : e.addresses) s += " " + a.to_string();
      return s;
    }
    case Event::Kind::peer_online: return "peer-online " + e.peer;
    case Event::Kind::peer_offline: return "peer-offline " + e.peer;
    case Event::Kind::path_learned: return "path-learned " + e.peer + " " + e.path.to_string();
    case Event::Kind::path_lost: return "path-lost " + e.peer + " " + e.path.to_string();
    case Event::Kind::user_message:
      return fmt::format("user-message from {} type {} ({} bytes)", e.peer, e.message_type,
                         e.data.size());
    case Event::Kind::problem: return "problem: " + e.text;
  }
  return "?";
}

void Node::Impl::push(Event e) {
  if (on_event) on_event(e);
  std::lock_guard lock(mu);
  if (events.size() >= max_events) events.pop_front();
  events.push_back(std::move(e));
  cv.notify_all();
}

void Node::Impl::on_runner_event(const ctrl::runner_event& re) {
  using k = ctrl::runner_event::kind;
  Event e;
  e.peer = re.peer.to_string();
  e.network_id = re.network_id;
  switch (re.what) {
    case k::online: {
      e.kind = Event::Kind::online;
      e.online = re.flag;
      std::lock_guard lock(mu);
      online = re.flag;
      break;
    }
    case k::peer_online: e.kind = Event::Kind::peer_online; break;
    case k::peer_offline: e.kind = Event::Kind::peer_offline; break;
    case k::path_learned:
      e.kind = Event::Kind::path_learned;
      e.path = to_socket_address(re.address);
      break;
    case k::path_lost:
      e.kind = Event::Kind::path_lost;
      e.path = to_socket_address(re.address);
      break;
    case k::user_message:
      e.kind = Event::Kind::user_message;
      e.message_type = re.type;
      e.data.assign(re.data.begin(), re.data.end());
      break;
    case k::network_status: {
      e.kind = Event::Kind::network_status;
      e.status = to_api(re.status);
      std::lock_guard lock(mu);
      if (auto it = networks.find(re.network_id); it != networks.end()) it->second.status = e.status;
      break;
    }
    case k::network_config: {
      e.kind = Event::Kind::network_config;
      for (const auto& ip : re.ips) e.addresses.push_back(to_prefix(ip));
      std::lock_guard lock(mu);
      if (auto it = networks.find(re.network_id); it != networks.end()) {
        it->second.addresses = e.addresses;
        it->second.from_cache = re.flag;
        if (const auto* m = runner ? runner->member(re.network_id) : nullptr)
          if (auto c = m->config()) {
            it->second.name = c->name;
            it->second.mtu = c->mtu;
            it->second.is_private = c->is_private();
          }
      }
      break;
    }
    case k::network_problem:
      e.kind = Event::Kind::problem;
      e.text = fmt::format("network {:016x}: {}", re.network_id,
                           std::string(re.data.begin(), re.data.end()));
      break;
    case k::fatal_identity_collision:
      e.kind = Event::Kind::problem;
      e.text = "fatal identity collision reported by " + e.peer + ": the node stopped";
      break;
    default:
      return;  // echo replies, external addresses, errors: not part of the API's events
  }
  push(std::move(e));
}

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Node::~Node() { stop(); }

Expected<std::unique_ptr<Node>> Node::start(NodeOptions o) {
  if (o.state_dir.empty()) return Error(Errc::invalid_argument, "NodeOptions::state_dir is empty");
  auto listen = SocketAddress::parse(o.listen);
  if (!listen) return Error(Errc::invalid_argument, "NodeOptions::listen is not ADDR:PORT: " + o.listen);
  std::optional<SocketAddress> metrics_at;
  if (!o.metrics_listen.empty()) {
    metrics_at = SocketAddress::parse(o.metrics_listen);
    if (!metrics_at)
      return Error(Errc::invalid_argument,
                   "NodeOptions::metrics_listen is not ADDR:PORT: " + o.metrics_listen);
  }
  if (o.shards < 1 || o.shards > 64)
    return Error(Errc::invalid_argument,
                 "NodeOptions::shards must be 1..64, not " + std::to_string(o.shards));
  auto impl = std::make_unique<Impl>();
  auto sd = ctrl::state_dir::open(o.state_dir);
  if (!sd.ok()) return Error(Errc::io_error, sd.message());
  impl->state.emplace(std::move(*sd));
  auto id = impl->state->load_or_create_identity();
  if (!id.ok()) return Error(Errc::io_error, id.message());

  ctrl::node_runner_config cfg;
  cfg.socket.bind = to_inet(*listen);
  if (listen->ip.is_any()) cfg.socket.bind.fam = wire::inet_address::family::ipv4;  // 0.0.0.0
  cfg.backend = o.backend == NodeOptions::Backend::io_uring ? io::backend_kind::io_uring
                : o.backend == NodeOptions::Backend::epoll  ? io::backend_kind::epoll
                                                            : io::backend_kind::automatic;
  cfg.node.paths.allow_loopback = o.allow_loopback;
  cfg.udp_offload = o.udp_offload;
  cfg.max_tcp_connections = o.max_tcp_connections;
  cfg.shards = o.shards;
  cfg.node.balanced_fragments = o.udp_offload;
  cfg.state = &*impl->state;
  cfg.controller = o.controller;
  if (o.root_endpoint) {
    auto planet = ctrl::make_root_planet(*impl->state, *id, {to_inet(*o.root_endpoint)},
                                         static_cast<std::uint64_t>(wall_ms()));
    if (!planet.ok()) return Error(Errc::io_error, planet.message());
    cfg.planet = std::move(*planet);
    impl->planet_path = impl->state->planet_path().string();
  } else if (!o.planet_file.empty()) {
    auto planet = ctrl::read_planet_file(o.planet_file);
    if (!planet.ok()) return Error(Errc::invalid_argument, planet.message());
    cfg.planet = std::move(*planet);
    impl->planet_path = o.planet_file;
  } else {
    auto choice = impl->state->load_planet();
    if (!choice.file_problem.empty())
      return Error(Errc::io_error, "planet: " + choice.file_problem);
    cfg.planet = std::move(choice.planet);
    if (choice.from == ctrl::planet_choice::source::file)
      impl->planet_path = impl->state->planet_path().string();
  }
  // Before the node's socket: a metrics port in use fails start() with nothing else begun.
  std::unique_ptr<MetricsServer> metrics_server;
  if (metrics_at) {
    auto s = MetricsServer::start(*metrics_at, impl->link);
    if (!s) return s.error();
    metrics_server = std::move(*s);
  }
  impl->on_event = std::move(o.on_event);
  Impl* raw = impl.get();
  cfg.on_event = [raw](const ctrl::runner_event& e) { raw->on_runner_event(e); };
  auto r = ctrl::node_runner::start(*id, std::move(cfg));
  if (!r.ok()) return Error(Errc::io_error, r.message());
  impl->runner = std::shared_ptr<ctrl::node_runner>(std::move(*r));
  {
    std::lock_guard lock(impl->link->mu);
    impl->link->runner = impl->runner;
    impl->link->waker = impl->runner->waker();
  }
  if (o.rejoin)
    for (std::uint64_t nwid : impl->state->list_networks()) {
      {
        std::lock_guard lock(impl->mu);
        NetworkInfo info;
        info.id = nwid;
        impl->networks.emplace(nwid, info);
      }
      impl->runner->join(nwid);
    }
  std::unique_ptr<Node> node(new Node(std::move(impl)));
  node->metrics_server_ = std::move(metrics_server);
  return node;
}

void Node::stop() {
  if (metrics_server_) metrics_server_->stop();
  if (!impl_ || !impl_->runner) return;
  // Linger (like SO_LINGER on process exit, but bounded to 2 s): what the application wrote to
  // streams and datagram sockets before stopping is still delivered, FINs included.
  for (int i = 0; i < 200; ++i) {
    bool busy = false;
    if (!impl_->link->call([&](ctrl::node_runner& r, std::int64_t) { busy = r.host().delivering(); }) || !busy)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  {
    std::lock_guard lock(impl_->link->mu);
    impl_->link->runner = nullptr;
  }
  impl_->runner->stop();
  std::lock_guard lock(impl_->mu);
  impl_->online = false;
  impl_->cv.notify_all();
}

std::string Node::address() const { return impl_->runner->address().to_string(); }
std::uint64_t Node::address_value() const { return impl_->runner->address().value(); }
SocketAddress Node::local_endpoint() const { return to_socket_address(impl_->runner->local_address()); }
std::string Node::planet_file() const { return impl_->planet_path; }

bool Node::online() const {
  std::lock_guard lock(impl_->mu);
  return impl_->online;
}

bool Node::wait_online(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->online; });
}

Expected<void> Node::join(std::uint64_t nwid) {
  if (!impl_->runner->running()) return stopped_error();
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->networks.count(nwid)) return {};
    NetworkInfo info;
    info.id = nwid;
    impl_->networks.emplace(nwid, info);
  }
  impl_->runner->join(nwid);
  return {};
}

Expected<void> Node::leave(std::uint64_t nwid) {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->networks.erase(nwid) == 0)
      return Error(Errc::not_joined, fmt::format("network {:016x} is not joined", nwid));
  }
  // Synchronously: the network is forgotten (networks.d) when this returns, even if the node
  // stops right after.
  if (!impl_->link->call([nwid](ctrl::node_runner& r, std::int64_t) { r.host().leave(nwid); }))
    return stopped_error();
  return {};
}

Expected<NetworkInfo> Node::network(std::uint64_t nwid) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->networks.find(nwid);
  if (it == impl_->networks.end())
    return Error(Errc::not_joined, fmt::format("network {:016x} is not joined", nwid));
  return it->second;
}

std::vector<NetworkInfo> Node::networks() const {
  std::lock_guard lock(impl_->mu);
  std::vector<NetworkInfo> out;
  for (const auto& [id, n] : impl_->networks) out.push_back(n);
  return out;
}

Expected<NetworkInfo> Node::wait_network_ready(std::uint64_t nwid,
                                               std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  const auto ready = [&] {
    auto it = impl_->networks.find(nwid);
    return it == impl_->networks.end() ||
           (it->second.status == NetworkStatus::ok && !it->second.addresses.empty() &&
            !it->second.from_cache);
  };
  const bool done = impl_->cv.wait_for(lock, timeout, ready);
  auto it = impl_->networks.find(nwid);
  if (it == impl_->networks.end())
    return Error(Errc::not_joined, fmt::format("network {:016x} is not joined", nwid));
  if (!done)
    return Error(Errc::timed_out, fmt::format("network {:016x} not ready after {} ms (status {})",
                                              nwid, timeout.count(), to_string(it->second.status)));
  return it->second;
}

std::vector<PeerInfo> Node::peers() const {
  std::vector<PeerInfo> out;
  impl_->link->call_core([&](ctrl::node_core& core, std::int64_t now) {
    core.topo().for_each_peer([&](const ctrl::peer& p) {
      PeerInfo i;
      i.address = p.address().to_string();
      auto& t = core.topo();
      i.role = t.is_planet_root(p.address()) ? "PLANET" : t.is_upstream(p.address()) ? "MOON" : "LEAF";
      if (p.latency != ctrl::path::latency_unknown) i.latency_ms = static_cast<int>(p.latency);
      i.version = p.protocol_version == 0 ? "-"
                                          : fmt::format("{}.{}.{}", p.major, p.minor, p.revision);
      if (const ctrl::path* best = p.best_path(now)) i.paths.push_back(to_socket_address(best->remote));
      for (const auto& ph : p.paths())
        if (!ph.expired(now) && (i.paths.empty() || to_socket_address(ph.remote) != i.paths.front()))
          i.paths.push_back(to_socket_address(ph.remote));
      out.push_back(std::move(i));
    });
  });
  std::sort(out.begin(), out.end(), [](const PeerInfo& a, const PeerInfo& b) { return a.address < b.address; });
  return out;
}

std::optional<Event> Node::next_event(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu);
  if (!impl_->cv.wait_for(lock, timeout, [&] { return !impl_->events.empty(); })) return std::nullopt;
  Event e = std::move(impl_->events.front());
  impl_->events.pop_front();
  return e;
}

Expected<void> Node::send_user_message(const std::string& to, std::uint64_t type, std::string data) {
  auto a = zt_address::parse(to);
  if (!a || a->reserved()) return Error(Errc::invalid_argument, "not a ZeroTier address: " + to);
  if (!impl_->runner->running()) return stopped_error();
  impl_->runner->send_user_message(*a, type, std::vector<std::uint8_t>(data.begin(), data.end()));
  return {};
}

Expected<std::uint64_t> Node::create_network(const ControllerNetwork& s) {
  if (s.suffix > 0xffffff) return Error(Errc::invalid_argument, "network suffix is 24 bits");
  ctrl::controller_network_settings settings;
  settings.name = s.name;
  settings.is_private = s.is_private;
  settings.enable_broadcast = s.enable_broadcast;
  settings.mtu = s.mtu;
  settings.multicast_limit = s.multicast_limit;
  settings.v6_rfc4193 = s.v6_rfc4193;
  settings.v6_6plane = s.v6_6plane;
  if (s.pool_first || s.pool_last) {
    if (!s.pool_first || !s.pool_last || s.pool_first->family != IpAddress::Family::v4 ||
        s.pool_last->family != IpAddress::Family::v4 || *s.pool_last < *s.pool_first)
      return Error(Errc::invalid_argument, "the address pool needs two IPv4 ends, first <= last");
    ctrl::ipv4_pool pool;
    std::copy_n(s.pool_first->bytes.begin(), 4, pool.first.begin());
    std::copy_n(s.pool_last->bytes.begin(), 4, pool.last.begin());
    pool.prefix_bits = s.pool_prefix_len;
    settings.v4_pool = pool;
  }
  Expected<std::uint64_t> out = Error(Errc::not_found, "this node has no embedded controller");
  const bool ok = impl_->link->call([&](ctrl::node_runner& r, std::int64_t) {
    if (ctrl::controller* c = r.embedded_controller()) {
      auto nwid = c->create_network(s.suffix, settings);
      if (nwid.ok()) out = *nwid;
      else out = Error(Errc::invalid_argument, nwid.message());
    }
  });
  if (!ok) return stopped_error();
  return out;
}

namespace {

// Runs fn on the controller (on the runner thread) and returns what it reports.
Expected<void> controller_call(node_link& link,
                               std::function<ztkit::status(ctrl::controller&, std::int64_t)> fn) {
  Expected<void> out = Error(Errc::not_found, "this node has no embedded controller");
  const bool ok = link.call([&](ctrl::node_runner& r, std::int64_t now) {
    if (ctrl::controller* c = r.embedded_controller()) {
      ztkit::status st = fn(*c, now);
      if (st.ok()) out = Expected<void>();
      else out = Error(Errc::invalid_argument, st.message());
    }
  });
  if (!ok) return stopped_error();
  return out;
}

}  // namespace

Expected<void> Node::authorize(std::uint64_t nwid, const std::string& member, bool authorized) {
  auto a = zt_address::parse(member);
  if (!a || a->reserved()) return Error(Errc::invalid_argument, "not a ZeroTier address: " + member);
  return controller_call(*impl_->link, [=](ctrl::controller& c, std::int64_t now) {
    return c.authorize(now, nwid, *a, authorized);
  });
}

Expected<void> Node::assign_addresses(std::uint64_t nwid, const std::string& member,
                                      std::vector<IpPrefix> addresses) {
  auto a = zt_address::parse(member);
  if (!a || a->reserved()) return Error(Errc::invalid_argument, "not a ZeroTier address: " + member);
  std::vector<wire::inet_address> ips;
  for (const auto& p : addresses) {
    if (p.ip.is_any()) return Error(Errc::invalid_argument, "an address without a family");
    wire::inet_address w = to_inet({p.ip, p.prefix_len});
    ips.push_back(w);
  }
  return controller_call(*impl_->link, [=](ctrl::controller& c, std::int64_t now) {
    return c.set_ip_assignments(now, nwid, *a, ips);
  });
}

}  // namespace ztkit

namespace ztkit {

namespace {

// Waits for one echo reply on the node's thread: a stack client that looks at the interface's
// echo replies when frames arrive and signals the application.
struct ping_waiter final : ctrl::stack_client {
  std::uint16_t ident = 0, seq = 0;
  std::atomic<bool> done{false}, give_up{false};
  std::atomic<std::int64_t> reply_ns{0};
  ready_fd ready;
  void on_input(ctrl::stack_lane& st, std::int64_t) override {
    if (done.load()) return;
    while (auto r = st.iface()->take_echo_reply()) {
      if (r->ident != ident || r->seq != seq) continue;
      reply_ns.store(std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::steady_clock::now().time_since_epoch())
                         .count());
      done.store(true, std::memory_order_release);
      ready.set();
    }
  }
  bool on_poll(ctrl::stack_lane&, std::int64_t) override {
    return !done.load() && !give_up.load();
  }
};

std::atomic<std::uint16_t> next_ping_seq{1};

}  // namespace

Expected<std::chrono::microseconds> Node::ping(std::uint64_t nwid, const IpAddress& dst,
                                               std::chrono::milliseconds timeout,
                                               std::size_t payload_bytes) {
  if (dst.is_any()) return Error(Errc::invalid_argument, "ping needs an IP address");
  if (payload_bytes > 1400) return Error(Errc::invalid_argument, "ping payload is at most 1400 bytes");
  auto w = std::make_shared<ping_waiter>();
  w->ident = 0x7a6b;
  w->seq = next_ping_seq.fetch_add(1);
  Expected<void> result;
  std::int64_t sent_ns = 0;
  const bool ran = impl_->link->call([&](ctrl::node_runner& r, std::int64_t now) {
    auto found = stack_of(r, nwid);
    if (!found) {
      result = found.error();
      return;
    }
    ctrl::network_stack* st = *found;
    const wire::inet_address to = to_inet({dst, 0});
    if (!st->iface()->source_for(to)) {
      result = Error(Errc::no_route, fmt::format("no route to {} on network {:016x}", dst.to_string(), nwid));
      return;
    }
    st->attach(w);
    std::vector<std::uint8_t> data(payload_bytes, 0x5a);
    sent_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::steady_clock::now().time_since_epoch())
                  .count();
    st->send_ping(now, to, w->ident, w->seq, data);
    result = Expected<void>();
  });
  if (!ran) return stopped_error();
  if (!result) return result.error();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!w->done.load(std::memory_order_acquire)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      w->give_up.store(true);
      return Error(Errc::timed_out, "no echo reply from " + dst.to_string());
    }
    w->ready.clear();
    if (w->done.load()) break;
    w->ready.wait(static_cast<int>(std::min<std::int64_t>(left.count() + 1, 1000)));
    if (!impl_->link->get()) return stopped_error();
  }
  return std::chrono::microseconds((w->reply_ns.load() - sent_ns) / 1000);
}

}  // namespace ztkit
