// Shared by network_member_test.cc and controller_test.cc: a recording network_io.
#pragma once

#include <map>
#include <vector>

#include "ctrl/network/network_io.h"
#include "tests/ctrl/node_test_util.h"

namespace ztkit::ctrl::testing {

struct fake_io : network_io {
  struct sent {
    zt_address to;
    wire::verb v;
    std::vector<std::uint8_t> payload;
  };
  std::vector<sent> out;
  std::map<zt_address, crypto::identity> known;

  bool send_verb(std::int64_t, zt_address to, wire::verb v, std::span<const std::uint8_t> payload,
                 bool) override {
    out.push_back({to, v, {payload.begin(), payload.end()}});
    return true;
  }
  const crypto::identity* identity_of(zt_address a) override {
    auto it = known.find(a);
    return it == known.end() ? nullptr : &it->second;
  }
  void know(const crypto::identity& id) { known.insert_or_assign(id.address(), public_only(id)); }
  std::vector<sent> take() { return std::exchange(out, {}); }
};

}  // namespace ztkit::ctrl::testing
