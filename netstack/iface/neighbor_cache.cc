#include "netstack/iface/neighbor_cache.h"

namespace ztkit::netstack {

neighbor_cache::neighbor_cache(const config& cfg)
    : cfg_(cfg),
      entries_(new entry[cfg.entries ? cfg.entries : 1]),
      pending_(new pending_frame[cfg.pending_packets ? cfg.pending_packets : 1]) {
  if (cfg_.entries == 0) cfg_.entries = 1;
}

neighbor_cache::entry* neighbor_cache::find(const neighbor_key& k) {
  for (std::size_t i = 0; i < cfg_.entries; ++i)
    if (entries_[i].st != state::empty && entries_[i].key == k) return &entries_[i];
  return nullptr;
}

const neighbor_cache::entry* neighbor_cache::find(const neighbor_key& k) const {
  return const_cast<neighbor_cache*>(this)->find(k);
}

std::size_t neighbor_cache::size() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < cfg_.entries; ++i) n += entries_[i].st != state::empty;
  return n;
}

neighbor_cache::entry* neighbor_cache::slot_for_new(std::uint64_t now) {
  entry* victim = nullptr;
  for (std::size_t i = 0; i < cfg_.entries; ++i) {
    entry& e = entries_[i];
    if (e.st == state::empty) return &e;
    if (e.st == state::reachable && e.expires_at <= now) return &e;  // expired: free
    // Prefer evicting incomplete entries, then the one that expires first.
    auto rank = [](const entry& x) {
      return x.st == state::incomplete ? x.last_solicit : x.expires_at + (1ull << 62);
    };
    if (!victim || rank(e) < rank(*victim)) victim = &e;
  }
  ++counters_.evicted;
  drop_pending(victim->key);
  return victim;
}

std::optional<wire::mac_address> neighbor_cache::lookup(std::uint64_t now,
                                                        const neighbor_key& k) const {
  const entry* e = find(k);
  if (!e || e->st != state::reachable || e->expires_at <= now) return std::nullopt;
  return e->mac;
}

bool neighbor_cache::fill(std::uint64_t now, const neighbor_key& k, const wire::mac_address& mac,
                          bool create) {
  entry* e = find(k);
  if (!e) {
    if (!create) return false;
    e = slot_for_new(now);
    e->key = k;
  }
  e->mac = mac;
  e->st = state::reachable;
  e->solicits = 0;
  e->expires_at = now + cfg_.reachable_time;
  ++counters_.filled;
  return true;
}

bool neighbor_cache::want_solicit(std::uint64_t now, const neighbor_key& k) {
  entry* e = find(k);
  if (e && e->st == state::reachable) {
    // Expired: solicit again, keep the stale MAC out of use.
    e->st = state::incomplete;
    e->solicits = 1;
    e->last_solicit = now;
    return true;
  }
  if (e) return false;  // incomplete: poll() retries on its own schedule
  e = slot_for_new(now);
  e->key = k;
  e->st = state::incomplete;
  e->solicits = 1;
  e->last_solicit = now;
  return true;
}

bool neighbor_cache::enqueue(std::uint64_t now, const neighbor_key& k, buf::packet_buffer frame) {
  for (std::size_t i = 0; i < cfg_.pending_packets; ++i) {
    auto& p = pending_[i];
    if (p.frame) continue;
    p.key = k;
    p.queued_at = now;
    p.frame = std::move(frame);
    ++pending_count_;
    ++counters_.pending_queued;
    return true;
  }
  ++counters_.pending_full;
  return false;
}

void neighbor_cache::expire_pending(std::uint64_t now) {
  if (pending_count_ == 0) return;
  for (std::size_t i = 0; i < cfg_.pending_packets; ++i) {
    auto& p = pending_[i];
    if (p.frame && now >= p.queued_at + cfg_.pending_timeout) {
      p.frame = buf::packet_buffer{};
      --pending_count_;
      ++counters_.pending_expired;
    }
  }
}

void neighbor_cache::drop_pending(const neighbor_key& k) {
  if (pending_count_ == 0) return;
  for (std::size_t i = 0; i < cfg_.pending_packets; ++i) {
    auto& p = pending_[i];
    if (p.frame && p.key == k) {
      p.frame = buf::packet_buffer{};
      --pending_count_;
      ++counters_.pending_expired;
    }
  }
}

}  // namespace ztkit::netstack
