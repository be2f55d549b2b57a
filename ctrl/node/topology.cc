#include "ctrl/node/topology.h"

#include <algorithm>

namespace ztkit::ctrl {

topology::topology(crypto::identity self, wire::world planet, topology_config config)
    : self_(std::move(self)), planet_(std::move(planet)), config_(config) {
  pin_roots();
}

void topology::pin_roots() {
  upstream_endpoints_.clear();
  am_root_ = false;
  for (const auto& r : planet_.roots) pin_root(r);
  for (const auto& m : moons_)
    for (const auto& r : m.roots) pin_root(r);
}

void topology::pin_root(const wire::world_root& r) {
  if (r.identity.address() == self_.address()) {
    am_root_ = true;
    return;
  }
  auto it = peers_.find(r.identity.address().value());
  if (it != peers_.end() && !(it->second->identity() == r.identity)) peers_.erase(it);
  if (peers_.find(r.identity.address().value()) == peers_.end()) {
    auto p = peer::make(self_, r.identity, config_.max_paths_per_peer);
    if (!p.ok()) return;  // a root with an unusable key cannot be talked to
    peers_.emplace(r.identity.address().value(), std::move(p).value());
  }
  // A root named by the planet and a moon (or by two moons): the union of its endpoints.
  auto& eps = upstream_endpoints_[r.identity.address().value()];
  for (const auto& e : r.stable_endpoints)
    if (std::find(eps.begin(), eps.end(), e) == eps.end()) eps.push_back(e);
}

bool topology::update_planet(const wire::world& update) {
  if (!planet_.should_be_replaced_by(update)) {
    ++counters_.planet_updates_rejected;
    return false;
  }
  planet_ = update;
  ++counters_.planet_updates;
  pin_roots();
  return true;
}

const wire::world* topology::moon(std::uint64_t world_id) const {
  for (const auto& m : moons_)
    if (m.id == world_id) return &m;
  return nullptr;
}

namespace {
bool self_signed_moon(const wire::world& w) {
  return w.kind == wire::world::type::moon && w.id != 0 && w.signed_by(w.update_key);
}
}  // namespace

bool topology::add_moon(const wire::world& m) {
  for (auto& held : moons_) {
    if (held.id != m.id) continue;
    if (!held.should_be_replaced_by(m)) {
      if (!(held == m)) ++counters_.moon_updates_rejected;
      return false;
    }
    held = m;
    ++counters_.moon_updates;
    pin_roots();
    return true;
  }
  if (!self_signed_moon(m)) {
    ++counters_.moon_updates_rejected;
    return false;
  }
  moons_.push_back(m);
  std::erase_if(moon_seeds_, [&](const auto& s) { return s.first == m.id; });
  ++counters_.moon_updates;
  pin_roots();
  return true;
}

bool topology::add_moon_seed(std::uint64_t world_id, zt_address seed) {
  if (moon(world_id) != nullptr || seed.reserved() || seed == self_.address())
    return false;
  const std::pair<std::uint64_t, zt_address> entry{world_id, seed};
  if (std::find(moon_seeds_.begin(), moon_seeds_.end(), entry) == moon_seeds_.end())
    moon_seeds_.push_back(entry);
  return true;
}

std::vector<std::uint64_t> topology::moons_wanted() const {
  std::vector<std::uint64_t> out;
  for (const auto& [id, seed] : moon_seeds_)
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  return out;
}

bool topology::is_moon_seed(zt_address a) const {
  return std::any_of(moon_seeds_.begin(), moon_seeds_.end(),
                     [&](const auto& s) { return s.second == a; });
}

bool topology::accept_world(const wire::world& w) {
  if (w.kind == wire::world::type::planet) return update_planet(w);
  if (w.kind != wire::world::type::moon) {
    ++counters_.moon_updates_rejected;
    return false;
  }
  for (auto& held : moons_) {
    if (held.id != w.id) continue;
    if (!held.should_be_replaced_by(w)) {
      if (!(held == w)) ++counters_.moon_updates_rejected;
      return false;
    }
    held = w;
    ++counters_.moon_updates;
    pin_roots();
    return true;
  }
  // Not held: only as the answer to an orbit request whose seed is one of its roots.
  const bool asked = std::any_of(moon_seeds_.begin(), moon_seeds_.end(), [&](const auto& s) {
    return s.first == w.id && std::any_of(w.roots.begin(), w.roots.end(), [&](const auto& r) {
             return r.identity.address() == s.second;
           });
  });
  if (!asked || !self_signed_moon(w)) {
    ++counters_.moon_updates_rejected;
    return false;
  }
  moons_.push_back(w);
  std::erase_if(moon_seeds_, [&](const auto& s) { return s.first == w.id; });
  ++counters_.moon_updates;
  pin_roots();
  return true;
}

bool topology::remove_moon(std::uint64_t world_id) {
  const std::size_t before = moons_.size() + moon_seeds_.size();
  std::erase_if(moons_, [&](const wire::world& m) { return m.id == world_id; });
  std::erase_if(moon_seeds_, [&](const auto& s) { return s.first == world_id; });
  if (moons_.size() + moon_seeds_.size() == before) return false;
  pin_roots();
  return true;
}

bool topology::is_planet_root(zt_address a) const {
  return std::any_of(planet_.roots.begin(), planet_.roots.end(),
                     [&](const wire::world_root& r) { return r.identity.address() == a; });
}

bool topology::is_upstream(zt_address a) const {
  return upstream_endpoints_.find(a.value()) != upstream_endpoints_.end();
}

const std::vector<wire::inet_address>& topology::stable_endpoints(zt_address a) const {
  static const std::vector<wire::inet_address> none;
  auto it = upstream_endpoints_.find(a.value());
  return it == upstream_endpoints_.end() ? none : it->second;
}

std::vector<peer*> topology::upstreams() {
  std::vector<peer*> out;
  for (auto& [a, eps] : upstream_endpoints_)
    if (peer* p = get(zt_address(a))) out.push_back(p);
  std::sort(out.begin(), out.end(), [](peer* x, peer* y) { return x->address() < y->address(); });
  return out;
}

peer* topology::best_upstream(std::int64_t now) {
  peer* best = nullptr;
  double best_score = 0;
  for (peer* p : upstreams()) {
    const std::int64_t silence = now - p->last_receive;
    double score;
    if (p->last_receive == 0 || silence >= timing::upstream_silence_limit)
      score = 1e18;
    else
      score = static_cast<double>(p->latency) * (1.0 + static_cast<double>(silence) / 61000.0);
    if (!best || score < best_score) {
      best = p;
      best_score = score;
    }
  }
  return best;
}

peer* topology::get(zt_address a) {
  auto it = peers_.find(a.value());
  return it == peers_.end() ? nullptr : it->second.get();
}

const peer* topology::get(zt_address a) const {
  auto it = peers_.find(a.value());
  return it == peers_.end() ? nullptr : it->second.get();
}

topology::add_result topology::add(const crypto::identity& id, std::int64_t now) {
  if (peer* existing = get(id.address()); existing && existing->identity() == id)
    return {add_status::existing, existing};
  auto p = peer::make(self_, id, config_.max_paths_per_peer);
  if (!p.ok()) return {add_status::invalid};
  return insert(std::move(p).value(), now);
}

topology::add_result topology::insert(std::unique_ptr<peer> fresh, std::int64_t now) {
  if (!fresh) return {add_status::invalid};
  const crypto::identity& id = fresh->identity();
  if (id.address().reserved() || id.address() == self_.address()) return {add_status::invalid};
  if (peer* existing = get(id.address())) {
    if (existing->identity() == id) return {add_status::existing, existing};
    ++counters_.identity_collisions;
    return {add_status::collision};
  }
  std::size_t non_upstream = peers_.size() - upstream_endpoints_.size();
  if (non_upstream >= config_.max_peers) {
    auto victim = peers_.end();
    for (auto it = peers_.begin(); it != peers_.end(); ++it) {
      if (is_upstream(it->second->address())) continue;
      if (victim == peers_.end() || it->second->last_receive < victim->second->last_receive)
        victim = it;
    }
    if (victim == peers_.end()) return {add_status::invalid};
    peers_.erase(victim);
    ++counters_.peers_evicted;
  }
  fresh->created = now;
  peer* raw = fresh.get();
  const std::uint64_t key = id.address().value();
  peers_.emplace(key, std::move(fresh));
  return {add_status::added, raw};
}

std::vector<zt_address> topology::expire_peers(std::int64_t now) {
  std::vector<zt_address> gone;
  for (auto it = peers_.begin(); it != peers_.end();) {
    const peer& p = *it->second;
    const std::int64_t last = std::max(p.last_receive, p.created);
    if (!is_upstream(p.address()) && now - last >= timing::peer_activity_timeout) {
      gone.push_back(p.address());
      it = peers_.erase(it);
      ++counters_.peers_expired;
    } else {
      ++it;
    }
  }
  return gone;
}

bool topology::remove(zt_address a) {
  if (is_upstream(a)) return false;
  return peers_.erase(a.value()) > 0;
}

}  // namespace ztkit::ctrl
