// Who subscribed to which multicast group (ZeroTierOne 1.14 node/Multicaster.*: add/gather,
// ZT_MULTICAST_LIKE_EXPIRE; zerotier-protocol.md §6.4). A member keeps one for its network
// (learned from MULTICAST_LIKE and gather results); a root or controller keeps one for every
// network it serves and answers MULTICAST_GATHER from it. Pure: every call takes `now` (ms).
//
// Bounded: at most max_groups groups and max_members per group; when full, the entry that
// expires first is replaced (an announcement is refreshed every 60 s, so live members win).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <utility>
#include <vector>

#include "engine/base/zt_address.h"
#include "engine/wire/mac.h"

namespace ztkit::ctrl {

struct multicast_directory_limits {
  std::size_t max_groups = 4096;
  std::size_t max_members = 4096;  // per group
  std::int64_t expire_ms = 600000;  // ZT_MULTICAST_LIKE_EXPIRE
};

struct multicast_directory_stats {
  std::uint64_t added = 0;
  std::uint64_t refreshed = 0;
  std::uint64_t replaced = 0;  // a full group or table made room
  std::uint64_t expired = 0;
};

class multicast_directory {
 public:
  using key = std::pair<std::uint64_t, wire::multicast_group>;  // (network ID, group)

  explicit multicast_directory(multicast_directory_limits limits = {}) : limits_(limits) {}

  // `member` announced (or was reported in) `group` of network `nwid` at `now`.
  // Returns true if it was not known before (new subscriber).
  bool add(std::int64_t now, std::uint64_t nwid, const wire::multicast_group& group,
           zt_address member);

  // Live subscribers (not expired), in address order.
  std::size_t count(std::int64_t now, std::uint64_t nwid, const wire::multicast_group& group) const;

  // Up to `limit` live subscribers other than `except`, a random subset (Multicaster::gather
  // picks at random) drawn with `rng` (any 64-bit state, advanced). Appends to `out`; returns
  // the number of live subscribers other than `except` (the "total known" of OK(GATHER)).
  std::size_t pick(std::int64_t now, std::uint64_t nwid, const wire::multicast_group& group,
                   zt_address except, std::size_t limit, std::uint64_t& rng,
                   std::vector<zt_address>& out) const;

  bool contains(std::int64_t now, std::uint64_t nwid, const wire::multicast_group& group,
                zt_address member) const;

  // Drops expired subscribers and empty groups.
  void expire(std::int64_t now);
  // Drops every group of a network (leave).
  void forget_network(std::uint64_t nwid);

  std::size_t group_count() const { return groups_.size(); }
  const multicast_directory_stats& stats() const { return stats_; }

 private:
  using members = std::map<zt_address, std::int64_t>;  // address -> last announced
  bool live(std::int64_t now, std::int64_t at) const { return now - at < limits_.expire_ms; }

  multicast_directory_limits limits_;
  std::map<key, members> groups_;
  multicast_directory_stats stats_;
};

}  // namespace ztkit::ctrl
