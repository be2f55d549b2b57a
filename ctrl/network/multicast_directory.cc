#include "ctrl/network/multicast_directory.h"

#include <algorithm>

namespace ztkit::ctrl {

namespace {

std::uint64_t next_random(std::uint64_t& s) {  // splitmix64: a shuffle, not a secret
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

bool multicast_directory::add(std::int64_t now, std::uint64_t nwid,
                              const wire::multicast_group& group, zt_address member) {
  auto it = groups_.find(key{nwid, group});
  if (it == groups_.end()) {
    if (groups_.size() >= limits_.max_groups) {
      // Make room: the group whose newest announcement is oldest.
      auto victim = groups_.end();
      std::int64_t victim_newest = 0;
      for (auto g = groups_.begin(); g != groups_.end(); ++g) {
        std::int64_t newest = 0;
        for (const auto& [a, at] : g->second) newest = std::max(newest, at);
        if (victim == groups_.end() || newest < victim_newest) {
          victim = g;
          victim_newest = newest;
        }
      }
      if (victim != groups_.end()) {
        groups_.erase(victim);
        ++stats_.replaced;
      }
    }
    it = groups_.emplace(key{nwid, group}, members{}).first;
  }
  auto& m = it->second;
  if (auto e = m.find(member); e != m.end()) {
    const bool was_live = live(now, e->second);
    e->second = now;
    ++stats_.refreshed;
    return !was_live;
  }
  if (m.size() >= limits_.max_members) {
    auto oldest = std::min_element(m.begin(), m.end(),
                                   [](const auto& a, const auto& b) { return a.second < b.second; });
    m.erase(oldest);
    ++stats_.replaced;
  }
  m.emplace(member, now);
  ++stats_.added;
  return true;
}

std::size_t multicast_directory::count(std::int64_t now, std::uint64_t nwid,
                                       const wire::multicast_group& group) const {
  auto it = groups_.find(key{nwid, group});
  if (it == groups_.end()) return 0;
  return static_cast<std::size_t>(std::count_if(
      it->second.begin(), it->second.end(), [&](const auto& e) { return live(now, e.second); }));
}

bool multicast_directory::contains(std::int64_t now, std::uint64_t nwid,
                                   const wire::multicast_group& group, zt_address member) const {
  auto it = groups_.find(key{nwid, group});
  if (it == groups_.end()) return false;
  auto e = it->second.find(member);
  return e != it->second.end() && live(now, e->second);
}

std::size_t multicast_directory::pick(std::int64_t now, std::uint64_t nwid,
                                      const wire::multicast_group& group, zt_address except,
                                      std::size_t limit, std::uint64_t& rng,
                                      std::vector<zt_address>& out) const {
  auto it = groups_.find(key{nwid, group});
  if (it == groups_.end()) return 0;
  const std::size_t first = out.size();
  std::size_t total = 0;
  // Reservoir sampling: a uniform random subset of `limit` without a scratch copy.
  for (const auto& [a, at] : it->second) {
    if (a == except || !live(now, at)) continue;
    ++total;
    if (out.size() - first < limit) {
      out.push_back(a);
    } else if (limit > 0) {
      const std::uint64_t j = next_random(rng) % total;
      if (j < limit) out[first + j] = a;
    }
  }
  return total;
}

void multicast_directory::expire(std::int64_t now) {
  for (auto g = groups_.begin(); g != groups_.end();) {
    auto& m = g->second;
    for (auto e = m.begin(); e != m.end();) {
      if (live(now, e->second)) {
        ++e;
      } else {
        e = m.erase(e);
        ++stats_.expired;
      }
    }
    g = m.empty() ? groups_.erase(g) : std::next(g);
  }
}

void multicast_directory::forget_network(std::uint64_t nwid) {
  auto lo = groups_.lower_bound(key{nwid, wire::multicast_group{}});
  auto hi = lo;
  while (hi != groups_.end() && hi->first.first == nwid) ++hi;
  groups_.erase(lo, hi);
}

}  // namespace ztkit::ctrl
