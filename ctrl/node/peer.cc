#include "ctrl/node/peer.h"

#include <algorithm>

namespace ztkit::ctrl {

result<std::unique_ptr<peer>> peer::make(const crypto::identity& self, const crypto::identity& them,
                                         std::size_t max_paths) {
  crypto::agreed_key key;
  if (status s = self.agree(them, key); !s.ok())
    return error{s.code(), "peer " + them.address().to_string() + ": " + s.message()};
  return std::unique_ptr<peer>(new peer(them, key, max_paths));
}

peer::peer(const crypto::identity& them, const crypto::agreed_key& key, std::size_t max_paths)
    : id_(std::make_shared<const crypto::identity>(them)), keys_(std::make_shared<const wire::peer_keys>(key)), max_paths_(std::max<std::size_t>(1, max_paths)) {}

path* peer::find_path(socket_id local, const wire::inet_address& remote) {
  for (auto& p : paths_)
    if (p.same_endpoint(local, remote)) return &p;
  return nullptr;
}

bool peer::has_path_for(socket_id local, const wire::inet_address& remote, std::int64_t now) const {
  for (const auto& p : paths_) {
    if (p.same_endpoint(local, remote)) return true;
    if (p.local == local && ips_equal(p.remote, remote) && p.alive(now)) return true;
  }
  return false;
}

path& peer::learn_path(socket_id local, const wire::inet_address& remote, std::int64_t now) {
  if (path* existing = find_path(local, remote)) {
    existing->last_receive = now;
    return *existing;
  }
  path fresh;
  fresh.local = local;
  fresh.remote = remote;
  fresh.last_receive = now;
  for (auto& p : paths_) {
    if (p.local == local && ips_equal(p.remote, remote) && !p.alive(now)) {
      p = fresh;
      return p;
    }
  }
  if (paths_.size() < max_paths_) {
    paths_.push_back(fresh);
    return paths_.back();
  }
  auto oldest = std::min_element(paths_.begin(), paths_.end(), [](const path& a, const path& b) {
    return a.last_receive < b.last_receive;
  });
  *oldest = fresh;
  return *oldest;
}

const path* peer::best_path(std::int64_t now) const {
  const path* best = nullptr;
  std::uint64_t best_q = ~std::uint64_t{0};
  for (const auto& p : paths_) {
    if (p.expired(now)) continue;
    const std::uint64_t q = p.quality(now);
    if (!best || q < best_q) {
      best = &p;
      best_q = q;
    }
  }
  return best;
}

std::vector<path> peer::expire_paths(std::int64_t now) {
  std::vector<path> gone;
  auto it = std::remove_if(paths_.begin(), paths_.end(), [&](const path& p) {
    if (!p.expired(now)) return false;
    gone.push_back(p);
    return true;
  });
  paths_.erase(it, paths_.end());
  return gone;
}

bool peer::rate_gate_push_direct_paths(std::int64_t now) {
  if (now - last_direct_path_push_received <= timing::push_direct_paths_cutoff_time)
    ++direct_path_push_cutoff_count;
  else
    direct_path_push_cutoff_count = 0;
  last_direct_path_push_received = now;
  return direct_path_push_cutoff_count < timing::push_direct_paths_cutoff_limit;
}

bool peer::rate_gate_whois(std::int64_t now) {
  if (now - last_whois_answered >= timing::whois_rate_limit) {
    last_whois_answered = now;
    return true;
  }
  return false;
}

bool peer::rate_gate_probe(socket_id local, const wire::inet_address& remote, std::int64_t now) {
  std::erase_if(tried_, [&](const tried& t) { return now - t.at > timing::path_hello_rate_limit; });
  for (const auto& t : tried_)
    if (t.local == local && t.remote == remote) return false;
  if (tried_.size() >= 64) tried_.erase(tried_.begin());
  tried_.push_back({local, remote, now});
  return true;
}

}  // namespace ztkit::ctrl
