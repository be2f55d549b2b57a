#include "ctrl/runtime/node_runner.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <optional>
#include <random>

#include "ctrl/node/peer.h"
#include "engine/wire/bytes.h"

namespace ztkit::ctrl {

namespace {

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr std::size_t rx_batch = 64;
constexpr std::int64_t echo_memory_ms = 120'000;  // forget unanswered ECHOs after 2 minutes
constexpr std::size_t gso_slab_bytes = 66 * 1024;
// A UDP GSO send: at most 64 segments (UDP_MAX_SEGMENTS of older kernels) and one IP packet's
// worth of payload in all.
constexpr std::uint16_t gso_max_segments = 64;
constexpr std::size_t gso_max_bytes = 65000;

}  // namespace

// The node_sink (control thread): what the core sends, the network packets it routes and the
// events it raises are kept in core_out_ and handed to the shard at the end of the pass.
class node_runner::sink final : public node_sink {
 public:
  explicit sink(node_runner& r) : r_(r) {}

  void send(socket_id, const wire::inet_address& to, std::span<const std::uint8_t> bytes,
            unsigned ttl) override {
    r_.core_out_.datagrams.push_back({to, {bytes.begin(), bytes.end()}, ttl != 0});
  }

  void on_peer_online(zt_address a) override {
    r_.note_peer_changed(a);
    emit(runner_event::kind::peer_online, a);
  }
  void on_peer_offline(zt_address a) override { emit(runner_event::kind::peer_offline, a); }
  void on_path_learned(zt_address a, socket_id, const wire::inet_address& at) override {
    r_.note_peer_changed(a);
    runner_event e = make(runner_event::kind::path_learned, a);
    e.address = at;
    r_.emit_from_core(std::move(e));
  }
  void on_path_lost(zt_address a, socket_id, const wire::inet_address& at) override {
    runner_event e = make(runner_event::kind::path_lost, a);
    e.address = at;
    r_.emit_from_core(std::move(e));
  }
  void on_online(bool on) override {
    r_.core_out_.host_calls.push_back([&r = r_, on](std::int64_t) { r.host_->set_online(on); });
    runner_event e = make(runner_event::kind::online, zt_address());
    e.flag = on;
    r_.emit_from_core(std::move(e));
  }
  void on_user_message(zt_address from, std::uint64_t type,
                       std::span<const std::uint8_t> data) override {
    runner_event e = make(runner_event::kind::user_message, from);
    e.type = type;
    e.data.assign(data.begin(), data.end());
    r_.emit_from_core(std::move(e));
  }
  void on_echo_reply(zt_address from, std::int64_t rtt_ms) override {
    runner_event e = make(runner_event::kind::echo_reply, from);
    e.rtt_ms = rtt_ms;
    // The ECHO carried our clock: now - rtt is when it was sent.
    auto it = r_.echo_sent_.find(now - rtt_ms);
    if (it != r_.echo_sent_.end()) {
      e.direct = it->second;
      r_.echo_sent_.erase(it);
    }
    r_.emit_from_core(std::move(e));
  }
  void on_external_address(zt_address reporter, const wire::inet_address& address,
                           bool trusted) override {
    runner_event e = make(runner_event::kind::external_address, reporter);
    e.address = address;
    e.flag = trusted;
    r_.emit_from_core(std::move(e));
  }
  void on_identity_collision(zt_address a) override {
    emit(runner_event::kind::identity_collision, a);
  }
  void on_fatal_identity_collision(zt_address upstream) override {
    emit(runner_event::kind::fatal_identity_collision, upstream);
    r_.request_stop();
  }
  void on_error_received(zt_address from, const wire::error_payload& err) override {
    runner_event e = make(runner_event::kind::error_received, from);
    e.type = static_cast<std::uint64_t>(err.code);
    r_.emit_from_core(std::move(e));
    r_.core_out_.host_calls.push_back(
        [&r = r_, from, err](std::int64_t t) { r.host_->on_error(t, from, err); });
  }
  void on_world_updated(const wire::world& w) override {
    // The moons.d copy; its failure is in the state_dir's own reports (a moon we hold is kept).
    if (r_.cfg_.state != nullptr && r_.cfg_.persist_moons && w.kind == wire::world::type::moon)
      (void)r_.cfg_.state->save_moon(w);
  }
  void on_network_packet(peer& from, wire::const_packet_view p, socket_id,
                         const wire::inet_address&) override {
    r_.core_out_.packets.push_back({from.address(), from.shared_identity(), {p.bytes().begin(), p.bytes().end()}});
  }

  std::int64_t now = 0;  // the time of the call into the core in progress

 private:
  static runner_event make(runner_event::kind k, zt_address a) {
    runner_event e;
    e.what = k;
    e.peer = a;
    return e;
  }
  void emit(runner_event::kind k, zt_address a) {
    runner_event e = make(k, a);
    r_.emit_from_core(std::move(e));
  }
  node_runner& r_;
};

// The data path's sink: FRAME/EXT_FRAME to the networks, datagrams to the socket.
class node_runner::data_sink final : public data_path_sink {
 public:
  explicit data_sink(node_runner& r) : r_(r) {}
  void on_data_packet(std::int64_t now, zt_address from, wire::const_packet_view p) override {
    r_.host_->on_data_packet(now, from, p);
  }
  void send(socket_id, const wire::inet_address& to, std::span<const std::uint8_t> d) override {
    r_.send_datagram(to, d);
  }

 private:
  node_runner& r_;
};

// The networks' view of the node (shard thread): FRAME/EXT_FRAME go out by the data path when
// it has a route; everything else (and frames to peers it has no route to: WHOIS, relaying)
// is handed to the core. Identities come from the directory.
class node_runner::host_io final : public network_io {
 public:
  explicit host_io(node_runner& r) : r_(r) {}
  bool send_verb(std::int64_t now, zt_address to, wire::verb v,
                 std::span<const std::uint8_t> payload, bool compress) override {
    if ((v == wire::verb::frame || v == wire::verb::ext_frame) &&
        r_.dp_->send(now, to, v, payload, compress, *r_.dsink_))
      return true;
    r_.post([to, v, compress, bytes = std::vector<std::uint8_t>(payload.begin(), payload.end())](
                node_core& core, std::int64_t t) { core.send_verb(t, to, v, bytes, compress); });
    return true;
  }
  const crypto::identity* identity_of(zt_address a) override {
    if (a == r_.address_) return &r_.self_public_;
    const peer_directory* d = r_.dp_->directory();
    const peer_route* route = d != nullptr ? d->find(a) : nullptr;
    return route != nullptr ? route->identity.get() : nullptr;
  }
  void resolve(std::int64_t now, zt_address a) override {
    r_.post([a](node_core& core, std::int64_t t) { core.resolve(t, a); });
  }

 private:
  node_runner& r_;
};

node_runner::node_runner(node_runner_config cfg)
    : cfg_(std::move(cfg)),
      // With offload, receive slabs hold a whole GRO run (the backends need 64 KiB + room);
      // 64 of them: the io_uring backend lends 2 MB (31) to the kernel at a time.
      pool_(cfg_.udp_offload ? buf::buffer_pool::config{.slab_size = gso_slab_bytes, .count = 64}
                             : buf::buffer_pool::config{.slab_size = 2048, .count = 2048}),
      tx_pool_(buf::buffer_pool::config{.slab_size = 2048, .count = 2048}) {
  if (cfg_.udp_offload)
    gso_pool_ = std::make_unique<buf::buffer_pool>(
        buf::buffer_pool::config{.slab_size = gso_slab_bytes, .count = 32});
  cfg_.tick_interval_ms = std::clamp<std::int64_t>(cfg_.tick_interval_ms, 10, 500);
  wall_base_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  steady_base_ns_ = steady_ns();
}

std::int64_t node_runner::now_ms() const {
  return wall_base_ms_ + (steady_ns() - steady_base_ns_) / 1'000'000;
}

result<std::unique_ptr<node_runner>> node_runner::start(crypto::identity self,
                                                        node_runner_config cfg) {
  if (!self.has_private())
    return error{errc::invalid_argument, "node_runner: the identity has no private key"};
  if (cfg.shards < 1 || cfg.shards > 64)
    return error{errc::invalid_argument, "node_runner: shards must be 1..64"};
  std::unique_ptr<node_runner> r(new node_runner(std::move(cfg)));
  auto be = io::make_backend(r->cfg_.backend, r->pool_);
  if (!be.ok()) return error{be.code(), be.message()};
  r->backend_ = std::move(*be);
  // One socket, no GRO/GSO: the core sees one datagram at a time and sends one at a time.
  io::socket_options so = r->cfg_.socket;
  so.gro = r->cfg_.udp_offload;
  so.gso = r->cfg_.udp_offload;
  if (status s = r->backend_->open(so); !s.ok()) return error{s.code(), s.message()};
  r->local_ = r->backend_->local_address();
  r->wake_ = std::make_shared<runner_wake>(r->backend_->wake_fd());
  r->address_ = self.address();
  r->sink_ = std::make_unique<sink>(*r);
  // moons.d and peers.d (read here, before the thread starts; corrupt files are reported by
  // the state_dir and skipped).
  std::vector<cached_peer> cached;
  if (state_dir* sd = r->cfg_.state) {
    if (r->cfg_.persist_moons)
      for (auto& m : sd->load_moons()) r->cfg_.node.moons.push_back(std::move(m));
    if (r->cfg_.persist_peers) {
      (void)sd->expire_peers(r->now_ms());
      for (zt_address a : sd->list_peers()) {
        auto e = sd->load_peer(a);
        if (!e.ok()) continue;
        cached_peer c;
        c.identity = e->identity;
        c.protocol_version = static_cast<std::uint8_t>(std::min<std::uint16_t>(e->proto, 255));
        c.major = static_cast<std::uint8_t>(std::min<std::uint16_t>(e->major, 255));
        c.minor = static_cast<std::uint8_t>(std::min<std::uint16_t>(e->minor, 255));
        c.revision = e->revision;
        c.paths = e->paths;
        cached.push_back(std::move(c));
      }
    }
  }
  std::optional<crypto::identity> ctl_id;
  if (r->cfg_.controller) ctl_id = self;
  r->self_public_ = crypto::identity::from_string(self.to_string(false)).value();
  r->core_ = std::make_unique<node_core>(std::move(self), *r->sink_, r->cfg_.node, r->cfg_.planet);
  r->dp_ = std::make_unique<data_path>(data_path_config{.mtu = r->cfg_.node.mtu,
                                                         .balanced_fragments = r->cfg_.node.balanced_fragments,
                                                         .random_seed = r->cfg_.node.random_seed});
  r->dsink_ = std::make_unique<data_sink>(*r);
  r->hio_ = std::make_unique<host_io>(*r);
  network_host_options host_options;
  host_options.state = r->cfg_.state;
  host_options.max_tcp_sockets = r->cfg_.max_tcp_connections;
  for (unsigned k = 1; k < r->cfg_.shards; ++k) {
    auto sh = std::make_unique<lane_shard>(k, [p = r.get()] { return p->now_ms(); }, r->wake_);
    if (!sh->valid()) return error{errc::io_error, "node_runner: no eventfd for shard " + std::to_string(k)};
    host_options.lane_shards.push_back(sh.get());
    r->lane_shards_.push_back(std::move(sh));
  }
  r->host_ = std::make_unique<network_host>(r->address_, *r->hio_, r->host_events(), host_options);
  if (ctl_id) r->host_->enable_controller(std::move(*ctl_id), std::random_device{}());
  if (!cached.empty())
    r->post([cached = std::move(cached)](node_core& core, std::int64_t now) {
      (void)core.add_cached_peers(now, cached);
    });
  r->publish_directory(r->now_ms());  // before either thread runs: the shard starts with it
  r->thread_ = std::thread([p = r.get()] { p->run(); });
  r->control_thread_ = std::thread([p = r.get()] { p->run_control(); });
  for (auto& sh : r->lane_shards_) sh->start();
  return r;
}

node_runner::~node_runner() { stop(); }

void node_runner::request_stop() {
  stop_requested_.store(true);
  if (backend_) backend_->wake();
  {
    std::lock_guard lock(ctl_mu_);  // the control thread checks the flag under this lock
  }
  ctl_cv_.notify_all();
}

void node_runner::stop() {
  request_stop();
  if (control_thread_.joinable()) control_thread_.join();
  if (thread_.joinable()) thread_.join();
  for (auto& sh : lane_shards_) sh->stop();
  if (backend_) backend_->close();
  stopped_.store(true);
}

void node_runner::post(std::function<void(node_core&, std::int64_t)> fn) {
  {
    std::lock_guard lock(ctl_mu_);
    ctl_commands_.push_back(std::move(fn));
  }
  ctl_cv_.notify_one();
}

void node_runner::post_shard(std::function<void(std::int64_t)> fn) {
  {
    std::lock_guard lock(mu_);
    commands_.push_back(std::move(fn));
  }
  backend_->wake();
}

void node_runner::send_user_message(zt_address to, std::uint64_t type,
                                    std::vector<std::uint8_t> data) {
  post([to, type, data = std::move(data)](node_core& core, std::int64_t now) {
    core.send_user_message(now, to, type, data);
  });
}

void node_runner::send_echo(zt_address to) {
  post([this, to](node_core& core, std::int64_t now) {
    const peer* p = core.topo().get(to);
    const bool direct = p != nullptr && p->best_path(now) != nullptr;
    // Two ECHOs in one ms would share a timestamp; the later one's path wins (harmless).
    echo_sent_[now] = direct;
    core.send_echo(now, to);
  });
}

network_host_events node_runner::host_events() {
  network_host_events ev;
  ev.on_status = [this](std::uint64_t id, network_status st) {
    runner_event e;
    e.what = runner_event::kind::network_status;
    e.network_id = id;
    e.status = st;
    emit(std::move(e));
  };
  ev.on_config = [this](std::uint64_t id, const std::shared_ptr<const wire::network_config>& c,
                        bool from_cache) {
    runner_event e;
    e.what = runner_event::kind::network_config;
    e.network_id = id;
    e.flag = from_cache;
    if (c) e.ips = c->static_ips;
    emit(std::move(e));
  };
  ev.on_problem = [this](std::uint64_t id, const std::string& what) {
    runner_event e;
    e.what = runner_event::kind::network_problem;
    e.network_id = id;
    e.data.assign(what.begin(), what.end());
    emit(std::move(e));
  };
  return ev;
}

void node_runner::join(std::uint64_t nwid) {
  post_shard([this, nwid](std::int64_t now) { host_->join(now, nwid); });
}

void node_runner::leave(std::uint64_t nwid) {
  post_shard([this, nwid](std::int64_t) { host_->leave(nwid); });
}

void node_runner::orbit(std::uint64_t world_id, zt_address seed) {
  post([this, world_id, seed](node_core& core, std::int64_t now) {
    if (cfg_.state != nullptr && cfg_.persist_moons) {
      // Topology::addMoon: a stored copy first (a missing file is not a problem).
      if (auto m = cfg_.state->load_moon(world_id); m.ok() && core.orbit(now, *m)) return;
    }
    (void)core.orbit(now, world_id, seed);
  });
}

void node_runner::deorbit(std::uint64_t world_id) {
  post([this, world_id](node_core& core, std::int64_t) {
    (void)core.deorbit(world_id);
    if (cfg_.state != nullptr && cfg_.persist_moons) (void)cfg_.state->remove_moon(world_id);
  });
}

void node_runner::note_peer_changed(zt_address a) {
  if (cfg_.state != nullptr && cfg_.persist_peers) peers_dirty_.insert(a.value());
}

void node_runner::save_peers(std::int64_t now) {
  if (peers_dirty_.empty()) return;
  const std::int64_t interval = std::max<std::int64_t>(cfg_.peer_save_interval_ms, 0);
  // Saves older than the interval no longer hold anything back.
  std::erase_if(peers_saved_, [&](const auto& kv) { return now - kv.second >= interval; });
  for (auto it = peers_dirty_.begin(); it != peers_dirty_.end();) {
    if (peers_saved_.count(*it) != 0) {
      ++it;
      continue;
    }
    const peer* p = core_->topo().get(zt_address(*it));
    it = peers_dirty_.erase(it);
    if (p == nullptr) continue;
    peer_cache_entry e;
    e.identity = p->identity();
    e.proto = p->protocol_version;
    e.major = p->major;
    e.minor = p->minor;
    e.revision = p->revision;
    std::vector<const path*> ps;
    for (const path& ph : p->paths())
      if (!ph.expired(now)) ps.push_back(&ph);
    std::sort(ps.begin(), ps.end(),
              [&](const path* x, const path* y) { return x->quality(now) < y->quality(now); });
    for (const path* ph : ps)
      if (e.paths.size() < peer_cache_entry::max_paths) e.paths.push_back(ph->remote);
    (void)cfg_.state->save_peer(e);  // a failed write is the state_dir's to report
    peers_saved_[p->address().value()] = now;
  }
}

void node_runner::post_network(std::uint64_t nwid,
                               std::function<void(network_stack&, std::int64_t)> fn) {
  post_shard([this, nwid, fn = std::move(fn)](std::int64_t now) {
    network_stack* st = host_->stack(nwid);
    if (st == nullptr || st->iface() == nullptr) return;
    fn(*st, now);
    st->flush(now);
  });
}

void node_runner::post_controller(std::function<void(controller&, std::int64_t)> fn) {
  post_shard([this, fn = std::move(fn)](std::int64_t now) {
    if (controller* c = host_->embedded_controller()) fn(*c, now);
  });
}

void node_runner::send_one(const wire::inet_address& to, std::span<const std::uint8_t> bytes) {
  buf::packet_buffer b = tx_pool_.get();
  if (!b || b.tailroom() < bytes.size()) {
    ++counters_.tx_no_buffer;
    return;
  }
  std::memcpy(b.append(bytes.size()), bytes.data(), bytes.size());
  backend_->send(io::tx_datagram{std::move(b), to, 0});
}

void node_runner::batch_add(const wire::inet_address& to, std::span<const std::uint8_t> bytes) {
  out_batch& b = batch_;
  if (b.buffer) {
    const bool joins = b.to == to && !b.closed && bytes.size() <= b.segment &&
                       b.count < gso_max_segments && b.buffer.size() + bytes.size() <= gso_max_bytes;
    if (joins && b.count == 1) {
      // A second datagram: move the first into a big slab (one copy of one datagram per run).
      buf::packet_buffer big = gso_pool_->get();
      if (big && big.tailroom() >= gso_max_bytes) {
        const auto first = b.buffer.bytes();
        std::memcpy(big.append(first.size()), first.data(), first.size());
        b.buffer = std::move(big);
      } else {
        batch_close();  // no big slab free: datagrams go one by one until one comes back
      }
    }
    if (b.buffer && joins) {
      std::memcpy(b.buffer.append(bytes.size()), bytes.data(), bytes.size());
      ++b.count;
      if (bytes.size() < b.segment) b.closed = true;  // only the last may be shorter
      return;
    }
    batch_close();
  }
  buf::packet_buffer first = tx_pool_.get();
  if (!first || first.tailroom() < bytes.size()) {
    ++counters_.tx_no_buffer;
    return;
  }
  std::memcpy(first.append(bytes.size()), bytes.data(), bytes.size());
  b.buffer = std::move(first);
  b.to = to;
  b.segment = static_cast<std::uint16_t>(bytes.size());
  b.count = 1;
  b.closed = false;
}

void node_runner::batch_close() {
  out_batch& b = batch_;
  if (!b.buffer) return;
  std::uint16_t segment = 0;
  if (b.count > 1) {
    segment = b.segment;
    ++counters_.gso_sends;
    counters_.gso_datagrams += b.count;
  }
  backend_->send(io::tx_datagram{std::move(b.buffer), b.to, segment});
  b = out_batch{};
}

void node_runner::emit(runner_event&& e) {
  if (cfg_.on_event) cfg_.on_event(e);
}

void node_runner::emit_from_core(runner_event&& e) { core_out_.events.push_back(std::move(e)); }

void node_runner::on_received(std::int64_t now, io::rx_datagram& rx) {
  const std::span<std::uint8_t> all = rx.buffer.bytes();
  const std::size_t step = rx.segment_size != 0 ? rx.segment_size : all.size();
  const std::size_t first = handoffs_.size();
  for (std::size_t off = 0; off < all.size(); off += step) {  // a GRO run: one datagram at a time
    const auto bytes = all.subspan(off, std::min(step, all.size() - off));
    const auto r = dp_->on_datagram(now, 0, rx.from, bytes, *dsink_);
    if (r.what == data_path::rx_result::kind::consumed) continue;
    const std::span<std::uint8_t> p = r.what == data_path::rx_result::kind::raw ? bytes : r.packet;
    handoff h{r.what, rx.from, nullptr, 0, 0, {}};
    const auto at = reinterpret_cast<std::uintptr_t>(p.data());
    const auto base = reinterpret_cast<std::uintptr_t>(all.data());
    if (at >= base && at + p.size() <= base + all.size()) {
      h.offset = static_cast<std::size_t>(p.data() - all.data());
      h.length = p.size();
    } else {
      h.copy.assign(p.begin(), p.end());  // reassembled: not in this slab
    }
    handoffs_.push_back(std::move(h));
  }
  bool in_slab = false;
  for (std::size_t k = first; k < handoffs_.size(); ++k) in_slab |= handoffs_[k].copy.empty();
  if (!in_slab) return;
  if (slabs_with_core_ < max_held_slabs) {
    auto slab = std::make_shared<buf::packet_buffer>(std::move(rx.buffer));
    ++slabs_with_core_;
    handoff_slabs_.push_back(slab);
    for (std::size_t k = first; k < handoffs_.size(); ++k)
      if (handoffs_[k].copy.empty()) {
        handoffs_[k].slab = slab;
        ++counters_.handoffs_in_slab;
      }
  } else {
    for (std::size_t k = first; k < handoffs_.size(); ++k)
      if (handoffs_[k].copy.empty()) {
        const auto p = all.subspan(handoffs_[k].offset, handoffs_[k].length);
        handoffs_[k].copy.assign(p.begin(), p.end());
        ++counters_.handoffs_copied;
      }
  }
}

void node_runner::sync_data_path(std::int64_t now, bool force_notes) {
  if (published_version_.load(std::memory_order_acquire) != adopted_version_) {
    std::shared_ptr<const peer_directory> d;
    {
      std::lock_guard lock(dir_mu_);
      d = published_;
    }
    adopted_version_ = d->version;
    dp_->set_directory(d);
    host_->set_directory(now, std::move(d));
  }
  const bool notes_due = !dp_->notes().empty() &&
                         (force_notes || !handoffs_.empty() || now - notes_sent_at_ >= cfg_.notes_interval_ms);
  if (handoffs_.empty() && !notes_due) return;
  std::optional<data_path_notes> notes;
  if (notes_due) {
    notes = dp_->notes();
    dp_->clear_notes();
    notes_sent_at_ = now;
  }
  post([this, items = std::move(handoffs_), slabs = std::move(handoff_slabs_),
        notes = std::move(notes)](node_core& core, std::int64_t t) mutable {
    if (notes) core.absorb(t, *notes);
    for (auto& h : items) {
      switch (h.what) {
        case data_path::rx_result::kind::raw: core.on_datagram(t, 0, h.from, h.bytes()); break;
        case data_path::rx_result::kind::whole: core.on_packet(t, 0, h.from, h.bytes()); break;
        case data_path::rx_result::kind::dearmored: core.on_dearmored(t, 0, h.from, h.bytes()); break;
        case data_path::rx_result::kind::consumed: break;
      }
    }
    items.clear();
    // The slabs go home: their pool is the shard's.
    if (!slabs.empty())
      post_shard([this, slabs = std::move(slabs)](std::int64_t) mutable {
        slabs_with_core_ -= slabs.size();
        slabs.clear();
      });
  });
  handoffs_.clear();
  handoff_slabs_.clear();
}

void node_runner::publish_directory(std::int64_t now) {
  if (!core_->directory_stale()) return;
  auto d = core_->directory(now);
  if (d->version == published_version_.load(std::memory_order_relaxed)) return;  // kept
  {
    std::lock_guard lock(dir_mu_);
    published_ = d;
  }
  published_version_.store(d->version, std::memory_order_release);
  if (backend_ && thread_.joinable()) backend_->wake();
}

void node_runner::hand_to_shard() {
  if (core_out_.empty()) return;
  post_shard([this, out = std::move(core_out_)](std::int64_t now) mutable {
    for (auto& d : out.datagrams) {
      if (d.ttl) ++counters_.ttl_ignored;
      send_datagram(d.to, d.bytes);
    }
    for (auto& pk : out.packets)
      if (auto v = wire::const_packet_view::checked(pk.bytes))
        host_->on_network_packet(now, pk.from, *pk.identity, *v);
    for (auto& fn : out.host_calls) fn(now);
    for (auto& e : out.events) emit(std::move(e));
  });
  core_out_ = core_output{};
}

void node_runner::run_control() {
  std::vector<std::function<void(node_core&, std::int64_t)>> commands;
  std::int64_t next_tick = now_ms();
  while (!stop_requested_.load()) {
    std::int64_t now = now_ms();
    sink_->now = now;
    if (now >= next_tick) {
      core_->on_tick(now);
      next_tick = now + cfg_.tick_interval_ms;
      save_peers(now);
      // Forget ECHOs that were never answered.
      while (!echo_sent_.empty() && echo_sent_.begin()->first < now - echo_memory_ms)
        echo_sent_.erase(echo_sent_.begin());
    }
    {
      std::lock_guard lock(ctl_mu_);
      commands.swap(ctl_commands_);
    }
    for (auto& fn : commands) fn(*core_, now);
    commands.clear();
    publish_directory(now);
    hand_to_shard();
    std::unique_lock lock(ctl_mu_);
    const std::int64_t wait_ms = std::max<std::int64_t>(0, next_tick - now_ms());
    ctl_cv_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                     [&] { return stop_requested_.load() || !ctl_commands_.empty(); });
  }
}

void node_runner::run() {
  std::array<io::rx_datagram, rx_batch> rx;
  std::vector<std::function<void(std::int64_t)>> commands;
  std::int64_t next_tick = now_ms();
  std::int64_t busy_since_ns = steady_ns();  // counters_.busy_ns / poll_ns
  while (!stop_requested_.load()) {
    ++counters_.iterations;
    std::int64_t now = now_ms();
    if (now >= next_tick) {
      ++counters_.ticks;
      next_tick = now + cfg_.tick_interval_ms;
      dp_->expire(now);
    }
    sync_data_path(now, false);
    {
      std::lock_guard lock(mu_);
      commands.swap(commands_);
    }
    for (auto& fn : commands) {
      ++counters_.commands;
      fn(now);
    }
    commands.clear();
    sync_data_path(now, false);
    host_->pass(now);
    sync_data_path(now, false);
    flush_out();
    if (stop_requested_.load()) break;

    // Sleep until the next tick, the earliest TCP timer of a joined network's stack, or the
    // data path's notes being due.
    auto deadline = [&] {
      std::int64_t at = std::min(next_tick, host_->next_deadline());
      if (!dp_->notes().empty()) at = std::min(at, notes_sent_at_ + cfg_.notes_interval_ms);
      return at;
    };
    std::int64_t wait_ms = std::max<std::int64_t>(0, deadline() - now_ms());
    // Announce the sleep (runner_wake), then look once more at what applications may have
    // queued since the pass above: either this pass sees it or their wake() sees the flag.
    bool announced = false;
    if (wait_ms > 0 && wake_->valid()) {
      wake_->consumer().prepare_sleep();
      announced = true;
      now = now_ms();
      host_->pass(now);
      sync_data_path(now, false);
      flush_out();
      wait_ms = std::max<std::int64_t>(0, deadline() - now_ms());
      if (wait_ms == 0) {
        wake_->consumer().cancel_sleep();
        announced = false;
      }
    }
    const std::int64_t poll_start_ns = steady_ns();
    counters_.busy_ns += static_cast<std::uint64_t>(poll_start_ns - busy_since_ns);
    const std::size_t n = backend_->poll(rx, wait_ms * 1'000'000);
    busy_since_ns = steady_ns();
    counters_.poll_ns += static_cast<std::uint64_t>(busy_since_ns - poll_start_ns);
    if (announced) wake_->consumer().after_wake();
    now = now_ms();
    sync_data_path(now, false);
    host_->begin_batch();
    for (std::size_t i = 0; i < n; ++i) {
      on_received(now, rx[i]);
      rx[i].buffer = buf::packet_buffer();
    }
    host_->end_batch(now);
    sync_data_path(now, false);
    if (host_->has_deferred_joins()) host_->pass(now);
    flush_out();
  }
  flush_out();
  stopped_.store(true);
}

}  // namespace ztkit::ctrl
