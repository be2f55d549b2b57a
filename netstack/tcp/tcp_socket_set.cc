#include "netstack/tcp/tcp_socket_set.h"

#include <algorithm>

namespace ztkit::netstack {

using wire::tcp_repr;
namespace F = wire::tcp_flags;

namespace {
constexpr std::uint32_t empty_slot = ~0u;
constexpr std::uint32_t tombstone = ~0u - 1;
constexpr std::uint64_t never = ~std::uint64_t{0};

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdull;
}
std::uint32_t our_mss_for(const tcp_config& c, const inet_address& local) {
  bool v6 = local.fam == inet_address::family::ipv6;
  std::size_t mtu = std::max<std::size_t>(c.mtu, v6 ? 1280 : 576);
  return static_cast<std::uint32_t>(std::min<std::size_t>(mtu - (v6 ? 60 : 40), 65535));
}
}  // namespace

tcp_socket_set::tcp_socket_set(const config& cfg) : cfg_(cfg) {
  sockets_.resize(cfg.max_sockets);
  slots_.resize(cfg.max_sockets);
  free_.reserve(cfg.max_sockets);
  live_.reserve(cfg.max_sockets);
  active_.reserve(cfg.max_sockets);
  app_notices_.reserve(cfg.max_sockets);  // one entry per slot at most (app_noticed)
  for (std::size_t i = cfg.max_sockets; i > 0; --i) free_.push_back(static_cast<std::uint32_t>(i - 1));
  std::size_t cap = 16;
  while (cap < 2 * cfg.max_sockets) cap *= 2;
  table_.assign(cap, empty_slot);
  listeners_.resize(cfg.max_listeners);
  replies_.resize(std::max<std::size_t>(cfg.max_replies, 1));
}

// ---- the 4-tuple table ------------------------------------------------------------------

std::uint64_t tcp_socket_set::hash(const inet_address& l, const inet_address& r) {
  std::uint64_t h = static_cast<std::uint64_t>(l.fam);
  for (int i = 0; i < 16; i += 8) {
    std::uint64_t a = 0, b = 0;
    for (int k = 0; k < 8; ++k) {
      a = (a << 8) | l.ip[i + k];
      b = (b << 8) | r.ip[i + k];
    }
    h = mix(h, a);
    h = mix(h, b);
  }
  h = mix(h, (std::uint64_t{l.port} << 16) | r.port);
  return h ^ (h >> 29);
}

std::size_t tcp_socket_set::table_find(const inet_address& l, const inet_address& r) const {
  std::size_t mask = table_.size() - 1;
  for (std::size_t i = hash(l, r) & mask, n = 0; n < table_.size(); i = (i + 1) & mask, ++n) {
    std::uint32_t v = table_[i];
    if (v == empty_slot) return table_.size();
    if (v == tombstone) continue;
    const tcp_socket& s = *sockets_[v];
    if (s.local() == l && s.remote() == r) return i;
  }
  return table_.size();
}

void tcp_socket_set::table_insert(std::uint32_t idx) {
  std::size_t mask = table_.size() - 1;
  const tcp_socket& s = *sockets_[idx];
  for (std::size_t i = hash(s.local(), s.remote()) & mask;; i = (i + 1) & mask) {
    if (table_[i] == empty_slot || table_[i] == tombstone) {
      if (table_[i] == tombstone) --tombstones_;
      table_[i] = idx;
      slots_[idx].in_table = true;
      return;
    }
  }
}

void tcp_socket_set::table_erase(std::uint32_t idx) {
  if (!slots_[idx].in_table) return;
  const tcp_socket& s = *sockets_[idx];
  std::size_t i = table_find(s.local(), s.remote());
  if (i < table_.size() && table_[i] == idx) {
    table_[i] = tombstone;
    ++tombstones_;
  }
  slots_[idx].in_table = false;
  if (tombstones_ > table_.size() / 4) table_rebuild();
}

void tcp_socket_set::table_rebuild() {
  std::fill(table_.begin(), table_.end(), empty_slot);
  tombstones_ = 0;
  for (std::uint32_t i = 0; i < slots_.size(); ++i)
    if (slots_[i].in_table) table_insert(i);
}

std::optional<tcp_handle> tcp_socket_set::find(const inet_address& l, const inet_address& r) const {
  std::size_t i = table_find(l, r);
  if (i == table_.size()) return std::nullopt;
  return tcp_handle{table_[i]};
}

// ---- socket slots -----------------------------------------------------------------------

std::optional<std::uint32_t> tcp_socket_set::alloc(const tcp_config& cfg) {
  if (free_.empty()) {
    ++counters_.no_socket_slot;
    return std::nullopt;
  }
  std::uint32_t i = free_.back();
  free_.pop_back();
  auto& s = sockets_[i];
  // Reuse the rings of a freed socket when the sizes match: no allocation.
  if (!s || s->config().rx_buffer != cfg.rx_buffer || s->config().tx_buffer != cfg.tx_buffer) {
    s = std::make_unique<tcp_socket>(cfg, cfg_.secret);
  } else {
    s->reconfigure(cfg);
  }
  s->set_touch_hook(this, i);
  const bool noticed = slots_[i].app_noticed;  // see free_slot()
  slots_[i] = slot{};
  slots_[i].app_noticed = noticed;
  slots_[i].used = true;
  slots_[i].live_pos = static_cast<std::uint32_t>(live_.size());
  live_.push_back(i);
  activate(i);
  ++in_use_;
  ++counters_.sockets_opened;
  return i;
}

void tcp_socket_set::activate(std::uint32_t i) {
  slot& m = slots_[i];
  if (!m.used || m.active) return;
  if (!m.app_noticed) {
    m.app_noticed = true;
    app_notices_.push_back(i);
  }
  m.active = true;
  m.active_pos = static_cast<std::uint32_t>(active_.size());
  active_.push_back(i);
}

void tcp_socket_set::deactivate(std::uint32_t i) {
  slot& m = slots_[i];
  if (!m.active) return;
  // Swap-remove; poll() revisits from the hole (a socket asked twice has no work).
  const std::uint32_t pos = m.active_pos;
  const std::uint32_t last = active_.back();
  active_[pos] = last;
  slots_[last].active_pos = pos;
  active_.pop_back();
  m.active = false;
  if (cursor_ > pos) cursor_ = pos;
}

void tcp_socket_set::free_slot(std::uint32_t i) {
  table_erase(i);
  freed_totals_ += sockets_[i]->counters();
  sockets_[i]->reset_counters();
  deactivate(i);
  const std::uint32_t pos = slots_[i].live_pos;
  const std::uint32_t last = live_.back();
  live_[pos] = last;
  slots_[last].live_pos = pos;
  live_.pop_back();
  const bool noticed = slots_[i].app_noticed;  // its index stays in app_notices_ (once)
  slots_[i] = slot{};
  slots_[i].app_noticed = noticed;
  free_.push_back(i);
  --in_use_;
  ++counters_.sockets_freed;
}

void tcp_socket_set::housekeeping(std::uint32_t i) {
  slot& m = slots_[i];
  if (!m.used) return;
  tcp_socket& s = *sockets_[i];
  if (m.listener >= 0) {
    tcp_listener& l = *listeners_[m.listener];
    if (m.half_open && s.state() != tcp_state::syn_received) {
      m.half_open = false;
      --l.half_open_;
    }
    if (!m.queued && s.is_established()) {
      if (l.queue_.size() < l.cfg_.accept_queue) {
        l.queue_.push_back(i);
        m.queued = true;
      } else {
        ++l.counters_.accept_overflow;
        s.abort();
        m.listener = -1;  // nobody will accept it: freed once the RST is out
      }
    }
  }
  bool owned = m.app_owned || m.queued || m.listener >= 0;
  if (s.state() == tcp_state::closed && s.poll_at() == never) {
    if (!owned || (m.listener >= 0 && !m.queued)) free_slot(i);
  }
}

// ---- application ------------------------------------------------------------------------

std::optional<tcp_handle> tcp_socket_set::connect(std::uint64_t now, inet_address local,
                                                  const inet_address& remote) {
  return connect(now, local, remote, cfg_.socket);
}

std::optional<tcp_handle> tcp_socket_set::connect(std::uint64_t now, inet_address local,
                                                  const inet_address& remote,
                                                  const tcp_config& cfg) {
  if (local.port == 0) {
    bool found = false;
    for (unsigned n = 0; n < 16384; ++n) {
      local.port = static_cast<std::uint16_t>(49152 + (next_ephemeral_++ % 16384));
      if (table_find(local, remote) == table_.size()) {
        found = true;
        break;
      }
    }
    if (!found) return std::nullopt;
  } else if (table_find(local, remote) != table_.size()) {
    return std::nullopt;  // the 4-tuple is in use (TIME-WAIT included)
  }
  auto i = alloc(cfg);
  if (!i) return std::nullopt;
  if (!sockets_[*i]->connect(now, local, remote)) {
    free_slot(*i);
    return std::nullopt;
  }
  slots_[*i].app_owned = true;
  table_insert(*i);
  return tcp_handle{*i};
}

std::optional<tcp_listener_handle> tcp_socket_set::listen(const inet_address& local,
                                                          const tcp_listener_config& cfg) {
  if (local.port == 0) return std::nullopt;
  std::size_t free_index = listeners_.size();
  for (std::size_t i = 0; i < listeners_.size(); ++i) {
    if (!listeners_[i]) {
      if (free_index == listeners_.size()) free_index = i;
      continue;
    }
    const inet_address& o = listeners_[i]->local();
    if (o.port != local.port) continue;
    bool o_any = o.fam == inet_address::family::nil || o.ip == inet_address{}.ip;
    bool l_any = local.fam == inet_address::family::nil || local.ip == inet_address{}.ip;
    bool fam_overlap = o.fam == inet_address::family::nil ||
                       local.fam == inet_address::family::nil || o.fam == local.fam;
    if (fam_overlap && (o_any || l_any || o.ip == local.ip)) return std::nullopt;
  }
  if (free_index == listeners_.size()) return std::nullopt;
  listeners_[free_index] = std::make_unique<tcp_listener>(local, cfg);
  return tcp_listener_handle{static_cast<std::uint32_t>(free_index)};
}

void tcp_socket_set::close_listener(tcp_listener_handle h) {
  if (h.index >= listeners_.size() || !listeners_[h.index]) return;
  // Backwards: a slot freed by housekeeping() is replaced by one already visited.
  for (std::size_t k = live_.size(); k-- > 0;) {
    const std::uint32_t i = live_[k];
    slot& m = slots_[i];
    if (m.listener != static_cast<std::int32_t>(h.index)) continue;
    sockets_[i]->abort();
    m.listener = -1;
    m.queued = m.half_open = false;
    m.app_owned = false;
    housekeeping(i);
  }
  listeners_[h.index].reset();
}

std::optional<tcp_handle> tcp_socket_set::accept(tcp_listener_handle h) {
  if (h.index >= listeners_.size() || !listeners_[h.index]) return std::nullopt;
  auto& q = listeners_[h.index]->queue_;
  if (q.empty()) return std::nullopt;
  std::uint32_t i = q.front();
  q.erase(q.begin());
  slot& m = slots_[i];
  m.queued = false;
  m.listener = -1;
  m.app_owned = true;
  return tcp_handle{i};
}

void tcp_socket_set::release(tcp_handle h) {
  if (h.index >= slots_.size() || !slots_[h.index].used) return;
  slots_[h.index].app_owned = false;
  tcp_socket& s = *sockets_[h.index];
  if (s.state() != tcp_state::closed) s.close();
  housekeeping(h.index);
}

// ---- interface --------------------------------------------------------------------------

void tcp_socket_set::queue_reply(const tcp_repr& r, const inet_address& local,
                                 const inet_address& remote) {
  if (reply_count_ == replies_.size()) {
    ++counters_.replies_dropped;
    return;
  }
  replies_[(reply_head_ + reply_count_) % replies_.size()] = reply{r, local, remote};
  ++reply_count_;
}

tcp_listener* tcp_socket_set::find_listener(const inet_address& dst, std::int32_t* index) {
  // An exact address match wins over a wildcard one.
  tcp_listener* best = nullptr;
  for (std::size_t i = 0; i < listeners_.size(); ++i) {
    tcp_listener* l = listeners_[i].get();
    if (!l || !l->matches(dst)) continue;
    bool exact = l->local().fam == dst.fam && l->local().ip == dst.ip;
    if (!best || exact) {
      best = l;
      *index = static_cast<std::int32_t>(i);
      if (exact) break;
    }
  }
  return best;
}

void tcp_socket_set::process(std::uint64_t now, const inet_address& src_in,
                             const inet_address& dst_in, const tcp_repr& seg,
                             std::span<const std::uint8_t> payload) {
  ++counters_.rx_segments;
  inet_address src = src_in, dst = dst_in;
  src.port = seg.src_port;
  dst.port = seg.dst_port;
  std::size_t t = table_find(dst, src);
  if (t != table_.size() && !slots_[table_[t]].app_owned && !slots_[table_[t]].queued &&
      sockets_[table_[t]]->time_wait_accepts_syn(seg)) {
    std::int32_t li = -1;
    if (find_listener(dst, &li)) {
      // A new incarnation of the 4-tuple: the TIME-WAIT socket gives way (RFC 6191).
      std::uint32_t old = table_[t];
      sockets_[old]->abort();  // TIME-WAIT -> CLOSED, nothing sent
      slots_[old].listener = -1;
      free_slot(old);
      t = table_.size();
    }
  }
  if (t != table_.size()) {
    std::uint32_t i = table_[t];
    if (sockets_[i]->process(now, seg, payload, src, dst) == tcp_input::send_reset)
      queue_reply(tcp_reset_for(seg, payload.size()), dst, src);
    housekeeping(i);
    return;
  }
  std::int32_t li = -1;
  if (tcp_listener* l = find_listener(dst, &li)) {
    on_listener_segment(now, *l, li, src, dst, seg, payload);
    return;
  }
  if (seg.has(F::rst)) {
    ++counters_.rx_dropped;
    return;
  }
  ++counters_.rx_no_socket;
  queue_reply(tcp_reset_for(seg, payload.size()), dst, src);
}

void tcp_socket_set::on_listener_segment(std::uint64_t now, tcp_listener& l, std::int32_t li,
                                         const inet_address& src, const inet_address& dst,
                                         const tcp_repr& seg,
                                         std::span<const std::uint8_t> payload) {
  // RFC 9293 §3.10.7.2: RST ignored; ACK answered by RST (unless it is a SYN cookie).
  if (seg.has(F::rst)) {
    ++counters_.rx_dropped;
    return;
  }
  if (seg.has(F::syn) && !seg.has(F::ack)) {
    ++l.counters_.syns;
    if (l.half_open_ < l.cfg_.backlog) {
      if (auto i = alloc(cfg_.socket)) {
        sockets_[*i]->accept_syn(now, dst, src, seg);
        slots_[*i].listener = li;
        slots_[*i].half_open = true;
        ++l.half_open_;
        table_insert(*i);
        return;
      }
    }
    if (!l.cfg_.syn_cookies) {
      ++l.counters_.syn_dropped;
      return;
    }
    // RFC 4987 §3.6: a stateless SYN-ACK whose ISS encodes the MSS.
    std::uint16_t peer = seg.mss ? *seg.mss : 536;
    auto mss = static_cast<std::uint16_t>(std::min<std::uint32_t>(peer, our_mss_for(cfg_.socket, dst)));
    std::uint8_t idx = syn_cookie::mss_index(mss);
    tcp_repr r;
    r.src_port = seg.dst_port;
    r.dst_port = seg.src_port;
    r.seq = syn_cookie::make(cfg_.secret, dst, src, seg.seq, idx, now);
    r.ack = seg.seq + 1;
    r.flags = F::syn | F::ack;
    r.window = static_cast<std::uint16_t>(std::min<std::size_t>(cfg_.socket.rx_buffer, 65535));
    r.mss = syn_cookie::mss_value(idx);
    queue_reply(r, dst, src);
    ++l.counters_.cookies_sent;
    return;
  }
  if (seg.has(F::ack) && !seg.has(F::syn) && l.cfg_.syn_cookies) {
    auto mss = syn_cookie::check(cfg_.secret, dst, src, seg.seq - 1, seg.ack - 1, now);
    if (mss && l.queue_.size() < l.cfg_.accept_queue) {
      if (auto i = alloc(cfg_.socket)) {
        tcp_socket& s = *sockets_[*i];
        s.accept_cookie(now, dst, src, seg, *mss);
        slots_[*i].listener = li;
        table_insert(*i);
        ++l.counters_.cookies_accepted;
        if (s.process(now, seg, payload, src, dst) == tcp_input::send_reset)
          queue_reply(tcp_reset_for(seg, payload.size()), dst, src);
        housekeeping(*i);
        return;
      }
    }
    if (!mss) ++l.counters_.cookies_rejected;
  }
  if (seg.has(F::ack)) {
    ++counters_.rx_no_socket;
    queue_reply(tcp_reset_for(seg, payload.size()), dst, src);
    return;
  }
  ++counters_.rx_dropped;
}

bool tcp_socket_set::poll(std::uint64_t now, tcp_segment& out) {
  if (reply_count_) {
    const reply& r = replies_[reply_head_];
    out.repr = r.repr;
    out.payload1 = out.payload2 = {};
    out.local = r.local;
    out.remote = r.remote;
    reply_head_ = (reply_head_ + 1) % replies_.size();
    --reply_count_;
    ++counters_.replies_sent;
    return true;
  }
  if (cursor_ == 0 && now >= next_quiet_deadline_) {
    // A quiet socket's timer is due: wake the due ones, find the next deadline (a scan of the
    // open sockets, once per earliest deadline rather than once per pass).
    next_quiet_deadline_ = never;
    for (const std::uint32_t i : live_) {
      slot& m = slots_[i];
      if (m.active) continue;
      if (m.quiet_until <= now) activate(i);
      else next_quiet_deadline_ = std::min(next_quiet_deadline_, m.quiet_until);
    }
  }
  while (cursor_ < active_.size()) {
    const std::uint32_t i = active_[cursor_];
    tcp_socket& s = *sockets_[i];
    if (s.poll(now, out)) return true;  // the same socket is asked again next
    housekeeping(i);
    // Freed: active_[cursor_] now holds another socket (or the end); ask that one next.
    if (cursor_ < active_.size() && active_[cursor_] == i) {
      const std::uint64_t at = s.poll_at();
      if (at <= now) {  // still due (it may send once its peer or timer allows): keep it
        ++cursor_;
        continue;
      }
      // Quiet until its next timer or until touched.
      slots_[i].quiet_until = at;
      next_quiet_deadline_ = std::min(next_quiet_deadline_, at);
      s.clear_touched();
      deactivate(i);  // swaps another socket into active_[cursor_]
    }
  }
  cursor_ = 0;
  return false;
}

void tcp_socket_set::take_app_candidates(std::vector<std::uint32_t>& out) {
  for (const std::uint32_t i : app_notices_) {
    slots_[i].app_noticed = false;
    out.push_back(i);
  }
  app_notices_.clear();
  out.insert(out.end(), active_.begin(), active_.end());
}

bool tcp_socket_set::delivering() const {
  for (const std::uint32_t i : live_) {
    const tcp_socket& s = *sockets_[i];
    switch (s.state()) {
      case tcp_state::established:
      case tcp_state::close_wait:
        if (s.send_queued() > 0) return true;
        break;
      case tcp_state::fin_wait_1:
      case tcp_state::closing:
      case tcp_state::last_ack:
        return true;
      default:
        break;
    }
  }
  return false;
}

std::uint64_t tcp_socket_set::poll_at() const {
  if (reply_count_) return 0;
  std::uint64_t t = next_quiet_deadline_;
  for (const std::uint32_t i : active_) t = std::min(t, sockets_[i]->poll_at());
  return t;
}

tcp_counters tcp_socket_set::totals() const {
  tcp_counters t = freed_totals_;
  for (std::size_t i = 0; i < slots_.size(); ++i)
    if (slots_[i].used) t += sockets_[i]->counters();
  return t;
}

}  // namespace ztkit::netstack
