#include "engine/io/sim/sim_network.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

namespace ztkit::io::sim {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

bool ip_unspecified(const inet_address& a) {
  return std::all_of(a.ip.begin(), a.ip.end(), [](std::uint8_t b) { return b == 0; });
}

}  // namespace

// ---- the network -------------------------------------------------------------------------------

sim_network::sim_network(const config& cfg) : cfg_(cfg), now_(cfg.start_ns) {
  std::uint64_t x = cfg.seed;
  for (auto& r : rng_) r = splitmix64(x);
  slots_.reserve(std::min<std::size_t>(cfg_.max_in_flight, 4096));
  free_slots_.reserve(slots_.capacity());
  events_.reserve(slots_.capacity());
}

sim_network::~sim_network() {
  std::lock_guard lk(mu_);
  for (sim_endpoint* ep : endpoints_) {
    ep->net_ = nullptr;
    ep->open_ = false;
    ep->rx_count_ = 0;
    ep->cv_.notify_all();
  }
}

std::unique_ptr<sim_endpoint> sim_network::make_endpoint(buf::buffer_pool& pool) {
  std::unique_ptr<sim_endpoint> ep(new sim_endpoint(this, pool));
  std::lock_guard lk(mu_);
  endpoints_.push_back(ep.get());
  return ep;
}

std::size_t sim_network::addr_hash::operator()(const inet_address& a) const noexcept {
  std::uint64_t lo, hi;
  std::memcpy(&lo, a.ip.data(), 8);
  std::memcpy(&hi, a.ip.data() + 8, 8);
  std::uint64_t h = lo * 0x9e3779b97f4a7c15ULL;
  h ^= (hi + 0x632be59bd9b4e019ULL) * 0xc2b2ae3d27d4eb4fULL;
  h ^= (std::uint64_t{a.port} << 8 | static_cast<std::uint8_t>(a.fam)) * 0x165667b19e3779f9ULL;
  return static_cast<std::size_t>(h ^ (h >> 29));
}

std::size_t sim_network::pair_hash::operator()(const pair_key& k) const noexcept {
  addr_hash h;
  return h(k.from) * 31 + h(k.to);
}

void sim_network::set_default_link(const link_config& cfg) {
  std::lock_guard lk(mu_);
  cfg_.default_link = cfg;
}

void sim_network::set_link(const inet_address& from, const inet_address& to,
                           const link_config& cfg) {
  std::lock_guard lk(mu_);
  link_state& l = link(from, to);
  l.has_override = true;
  l.cfg = cfg;
}

void sim_network::set_link_both(const inet_address& a, const inet_address& b,
                                const link_config& cfg) {
  set_link(a, b, cfg);
  set_link(b, a, cfg);
}

std::int64_t sim_network::now() const {
  std::lock_guard lk(mu_);
  return now_;
}

void sim_network::advance_to(std::int64_t t) {
  std::lock_guard lk(mu_);
  deliver_due(t);
  now_ = std::max(now_, t);
}

std::optional<std::int64_t> sim_network::next_event_time() const {
  std::lock_guard lk(mu_);
  if (events_.empty()) return std::nullopt;
  return events_.front().time;
}

bool sim_network::advance_to_next_event() {
  std::lock_guard lk(mu_);
  if (events_.empty()) return false;
  const std::int64_t t = std::max(now_, events_.front().time);
  deliver_due(t);
  now_ = t;
  return true;
}

link_counters sim_network::counters(const inet_address& from, const inet_address& to) const {
  std::lock_guard lk(mu_);
  auto it = links_.find(pair_key{from, to});
  return it == links_.end() ? link_counters{} : it->second.counters;
}

link_counters sim_network::total_counters() const {
  std::lock_guard lk(mu_);
  link_counters t;
  for (const auto& [key, l] : links_) {
    const link_counters& c = l.counters;
    t.sent += c.sent;
    t.delivered += c.delivered;
    t.bytes_delivered += c.bytes_delivered;
    t.dropped_loss += c.dropped_loss;
    t.dropped_mtu += c.dropped_mtu;
    t.dropped_queue += c.dropped_queue;
    t.dropped_no_route += c.dropped_no_route;
    t.dropped_rx_queue += c.dropped_rx_queue;
    t.duplicated += c.duplicated;
    t.reordered += c.reordered;
  }
  return t;
}

std::size_t sim_network::in_flight() const {
  std::lock_guard lk(mu_);
  return events_.size();
}

void sim_network::set_trace(std::function<void(const trace_event&)> trace) {
  std::lock_guard lk(mu_);
  trace_ = std::move(trace);
}

// xoshiro256** (Blackman & Vigna), seeded through splitmix64.
std::uint64_t sim_network::next_u64() {
  const std::uint64_t result = rotl(rng_[1] * 5, 7) * 9;
  const std::uint64_t t = rng_[1] << 17;
  rng_[2] ^= rng_[0];
  rng_[3] ^= rng_[1];
  rng_[1] ^= rng_[2];
  rng_[0] ^= rng_[3];
  rng_[2] ^= t;
  rng_[3] = rotl(rng_[3], 45);
  return result;
}

double sim_network::next_unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

sim_network::link_state& sim_network::link(const inet_address& from, const inet_address& to) {
  const pair_key key{from, to};
  auto it = links_.find(key);  // found: no allocation
  if (it != links_.end()) return it->second;
  return links_.try_emplace(key).first->second;
}

void sim_network::trace(trace_event::kind k, std::int64_t arrival, const inet_address& from,
                        const inet_address& to, std::size_t size, std::uint64_t id) {
  if (trace_) trace_(trace_event{k, now_, arrival, from, to, size, id});
}

bool sim_network::alloc_slot(std::uint32_t& index) {
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
    return true;
  }
  if (slots_.size() >= cfg_.max_in_flight) return false;
  index = static_cast<std::uint32_t>(slots_.size());
  slots_.emplace_back();
  return true;
}

void sim_network::free_slot(std::uint32_t index) { free_slots_.push_back(index); }

status sim_network::bind(sim_endpoint* ep, inet_address& addr, bool reuse_port) {
  if (addr.fam == inet_address::family::nil) addr.fam = inet_address::family::ipv4;
  if (ip_unspecified(addr)) {
    if (addr.fam == inet_address::family::ipv4) {
      const std::uint32_t n = next_auto_v4_++;
      addr.ip = {};
      addr.ip[0] = 10;
      addr.ip[1] = static_cast<std::uint8_t>(n >> 16);
      addr.ip[2] = static_cast<std::uint8_t>(n >> 8);
      addr.ip[3] = static_cast<std::uint8_t>(n);
    } else {
      const std::uint32_t n = next_auto_v6_++;
      addr.ip = {};
      addr.ip[0] = 0xfd;
      addr.ip[13] = static_cast<std::uint8_t>(n >> 16);
      addr.ip[14] = static_cast<std::uint8_t>(n >> 8);
      addr.ip[15] = static_cast<std::uint8_t>(n);
    }
  }
  if (addr.port == 0) {
    for (int tries = 0; tries < 16384; ++tries) {
      inet_address probe = addr;
      probe.port = next_port_;
      next_port_ = next_port_ == 65535 ? 49152 : static_cast<std::uint16_t>(next_port_ + 1);
      auto it = bound_.find(probe);
      if (it == bound_.end() || it->second.empty()) {
        addr = probe;
        break;
      }
    }
    if (addr.port == 0)
      return error{errc::io_error, "sim: no free port on " + addr.to_string()};
  }
  auto& group = bound_[addr];
  if (!group.empty() && !(reuse_port && group.front()->reuse_port_))
    return error{errc::io_error, "sim: address in use: " + addr.to_string()};
  group.push_back(ep);
  return {};
}

void sim_network::unbind(sim_endpoint* ep) {
  auto it = bound_.find(ep->addr_);
  if (it == bound_.end()) return;
  auto& group = it->second;
  group.erase(std::remove(group.begin(), group.end(), ep), group.end());
}

void sim_network::transmit(sim_endpoint* from, const inet_address& to, const std::uint8_t* data,
                           std::size_t len) {
  const inet_address& src = from->addr_;
  link_state& l = link(src, to);
  const link_config& c = effective(l);
  const std::uint64_t id = next_id_++;
  ++l.counters.sent;
  if (len > c.mtu) {
    ++l.counters.dropped_mtu;
    trace(trace_event::kind::dropped_mtu, 0, src, to, len, id);
    return;
  }
  if (c.loss > 0 && next_unit() < c.loss) {
    ++l.counters.dropped_loss;
    trace(trace_event::kind::dropped_loss, 0, src, to, len, id);
    return;
  }
  // Bandwidth: the datagram waits for the wire behind the ones before it, then takes its
  // serialization time; a full queue drops it at the tail.
  std::int64_t depart = now_;
  if (c.bandwidth_bps > 0) {
    const std::int64_t start = std::max(now_, l.busy_until);
    if (c.queue_bytes > 0) {
      const double backlog =
          static_cast<double>(start - now_) * static_cast<double>(c.bandwidth_bps) / 8e9;
      if (backlog + static_cast<double>(len) > static_cast<double>(c.queue_bytes)) {
        ++l.counters.dropped_queue;
        trace(trace_event::kind::dropped_queue, 0, src, to, len, id);
        return;
      }
    }
    const std::uint64_t bits_ns = static_cast<std::uint64_t>(len) * 8 * 1'000'000'000ULL;
    const auto tx_ns = static_cast<std::int64_t>((bits_ns + c.bandwidth_bps - 1) / c.bandwidth_bps);
    l.busy_until = start + tx_ns;
    depart = l.busy_until;
  }
  std::int64_t arrival = depart + c.delay_ns;
  if (c.jitter_ns > 0)
    arrival += static_cast<std::int64_t>(next_u64() % static_cast<std::uint64_t>(c.jitter_ns + 1));
  if (c.reorder > 0 && next_unit() < c.reorder) {
    arrival += c.reorder_delay_ns > 0 ? c.reorder_delay_ns : 2 * c.delay_ns + 1'000'000;
    ++l.counters.reordered;
  }
  int copies = 1;
  if (c.duplicate > 0 && next_unit() < c.duplicate) copies = 2;
  for (int i = 0; i < copies; ++i) {
    std::int64_t when = arrival;
    if (i == 1) {
      ++l.counters.duplicated;
      if (c.jitter_ns > 0)
        when += static_cast<std::int64_t>(next_u64() % static_cast<std::uint64_t>(c.jitter_ns + 1));
    }
    std::uint32_t index;
    if (!alloc_slot(index)) {
      ++l.counters.dropped_queue;
      trace(trace_event::kind::dropped_queue, 0, src, to, len, id);
      return;
    }
    slot& s = slots_[index];
    s.bytes.assign(data, data + len);  // capacity kept: no allocation once warm
    s.from = src;
    s.to = to;
    s.link = &l;
    s.id = id;
    events_.push_back(event{when, seq_++, index});
    std::push_heap(events_.begin(), events_.end(), event_later{});
    trace(i == 0 ? trace_event::kind::sent : trace_event::kind::duplicated, when, src, to, len, id);
  }
}

void sim_network::deliver_due(std::int64_t t) {
  while (!events_.empty() && events_.front().time <= t) {
    std::pop_heap(events_.begin(), events_.end(), event_later{});
    const event ev = events_.back();
    events_.pop_back();
    now_ = std::max(now_, ev.time);
    slot& s = slots_[ev.slot];
    link_state& l = *s.link;
    auto it = bound_.find(s.to);
    if (it == bound_.end() || it->second.empty()) {
      ++l.counters.dropped_no_route;
      trace(trace_event::kind::dropped_no_route, 0, s.from, s.to, s.bytes.size(), s.id);
      free_slot(ev.slot);
      continue;
    }
    const auto& group = it->second;
    sim_endpoint* ep = group.size() == 1 ? group.front() : group[addr_hash{}(s.from) % group.size()];
    if (ep->rx_count_ == ep->rxq_.size()) {
      ++l.counters.dropped_rx_queue;
      ++ep->sim_counters_.rx_dropped_queue_full;
      trace(trace_event::kind::dropped_rx_queue, 0, s.from, s.to, s.bytes.size(), s.id);
      free_slot(ev.slot);
      continue;
    }
    ep->rxq_[(ep->rx_head_ + ep->rx_count_) % ep->rxq_.size()] = ev.slot;
    ++ep->rx_count_;
    ++l.counters.delivered;
    l.counters.bytes_delivered += s.bytes.size();
    trace(trace_event::kind::delivered, ev.time, s.from, s.to, s.bytes.size(), s.id);
    if (cfg_.blocking_poll) ep->cv_.notify_all();
  }
}

// ---- an endpoint -------------------------------------------------------------------------------

sim_endpoint::sim_endpoint(sim_network* net, buf::buffer_pool& pool)
    : net_(net),
      pool_(pool),
      rxq_(std::max<std::size_t>(net->cfg_.rx_queue_capacity, 1)),
      txq_(std::max<std::size_t>(net->cfg_.tx_queue_capacity, 1)) {}

sim_endpoint::~sim_endpoint() {
  close();
  if (sim_network* net = net_) {
    std::lock_guard lk(net->mu_);
    auto& v = net->endpoints_;
    v.erase(std::remove(v.begin(), v.end(), this), v.end());
  }
}

status sim_endpoint::open(const socket_options& options) {
  if (!net_) return error{errc::failed_precondition, "sim: the network is gone"};
  std::lock_guard lk(net_->mu_);
  if (open_) return error{errc::failed_precondition, "sim: already open on " + addr_.to_string()};
  inet_address addr = options.bind;
  reuse_port_ = options.reuse_port;
  if (status s = net_->bind(this, addr, options.reuse_port); !s.ok()) return s;
  addr_ = addr;
  open_ = true;
  woken_ = false;
  return {};
}

inet_address sim_endpoint::local_address() const { return addr_; }

bool sim_endpoint::send(tx_datagram&& d) {
  if (!open_ || !net_) {
    ++sim_counters_.tx_dropped_closed;
    d.buffer = {};
    return false;
  }
  if (tx_count_ == txq_.size()) {
    ++counters_.tx_dropped_queue_full;
    d.buffer = {};
    return false;
  }
  txq_[tx_count_++] = std::move(d);
  return true;
}

void sim_endpoint::flush() {
  if (tx_count_ == 0) return;
  if (!net_) {
    for (std::size_t i = 0; i < tx_count_; ++i) txq_[i].buffer = {};
    tx_count_ = 0;
    return;
  }
  std::lock_guard lk(net_->mu_);
  for (std::size_t i = 0; i < tx_count_; ++i) {
    tx_datagram& d = txq_[i];
    const std::uint8_t* p = d.buffer.data();
    std::size_t left = d.buffer ? d.buffer.size() : 0;
    // A GSO send is cut into segment_size datagrams, as the kernel would.
    const std::size_t seg = d.segment_size ? d.segment_size : left;
    do {
      const std::size_t n = std::min(seg, left);
      net_->transmit(this, d.to, p, n);
      ++counters_.tx_datagrams;
      counters_.tx_bytes += n;
      p += n;
      left -= n;
    } while (left > 0);
    d.buffer = {};  // the "kernel" has its copy: the slab goes back to its pool
  }
  tx_count_ = 0;
  ++counters_.submits;
  net_->deliver_due(net_->now_);  // zero-delay links arrive at once
}

std::size_t sim_endpoint::poll(std::span<rx_datagram> out, std::int64_t timeout_ns) {
  if (!net_) return 0;
  std::unique_lock lk(net_->mu_);
  if (!open_) return 0;
  net_->deliver_due(net_->now_);
  if (rx_count_ == 0 && timeout_ns != 0 && net_->cfg_.blocking_poll && !woken_) {
    auto ready = [this] { return rx_count_ > 0 || woken_ || !open_; };
    if (timeout_ns < 0)
      cv_.wait(lk, ready);
    else
      cv_.wait_for(lk, std::chrono::nanoseconds(timeout_ns), ready);
    if (!net_ || !open_) return 0;
  }
  woken_ = false;
  std::size_t n = 0;
  while (n < out.size() && rx_count_ > 0) {
    const std::uint32_t index = rxq_[rx_head_];
    rx_head_ = (rx_head_ + 1) % rxq_.size();
    --rx_count_;
    sim_network::slot& s = net_->slots_[index];
    buf::packet_buffer b = pool_.get();
    if (!b) {
      ++counters_.rx_dropped_no_buffer;
    } else if (s.bytes.size() > b.tailroom()) {
      ++counters_.rx_truncated;
    } else {
      std::memcpy(b.append(s.bytes.size()), s.bytes.data(), s.bytes.size());
      out[n].buffer = std::move(b);
      out[n].from = s.from;
      out[n].segment_size = 0;
      ++counters_.rx_datagrams;
      counters_.rx_bytes += s.bytes.size();
      ++n;
    }
    net_->free_slot(index);
  }
  return n;
}

void sim_endpoint::wake() {
  sim_network* net = net_;
  if (!net) return;
  std::lock_guard lk(net->mu_);
  woken_ = true;
  ++counters_.wakeups;
  cv_.notify_all();
}

std::size_t sim_endpoint::rx_pending() const {
  if (!net_) return 0;
  std::lock_guard lk(net_->mu_);
  return rx_count_;
}

void sim_endpoint::close() {
  for (std::size_t i = 0; i < tx_count_; ++i) txq_[i].buffer = {};
  tx_count_ = 0;
  if (!net_) return;
  std::lock_guard lk(net_->mu_);
  if (open_) net_->unbind(this);
  while (rx_count_ > 0) {
    net_->free_slot(rxq_[rx_head_]);
    rx_head_ = (rx_head_ + 1) % rxq_.size();
    --rx_count_;
  }
  open_ = false;
  cv_.notify_all();
}

}  // namespace ztkit::io::sim
