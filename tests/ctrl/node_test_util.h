// Helpers shared by the node core tests (node_core_test.cc, node_sim_test.cc): the lab
// identities from ../shared/captures, a recording node_sink, a signed test planet, and
// building/opening packets the way a remote peer would.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ctrl/node/node_core.h"
#include "engine/wire/compress.h"

namespace ztkit::ctrl::testing {

using wire::inet_address;

// Appends bytes (vector::insert after a 28-byte header trips a GCC 12 -Warray-bounds false
// positive).
inline void append_bytes(std::vector<std::uint8_t>& v, std::span<const std::uint8_t> b) {
  const std::size_t n = v.size();
  v.resize(n + b.size());
  if (!b.empty()) std::memcpy(v.data() + n, b.data(), b.size());
}

inline crypto::identity load_identity(const std::string& name) {
  std::ifstream in(std::string(ZTKIT_CAPTURES_DIR) + "/" + name + ".identity.secret");
  std::stringstream ss;
  ss << in.rdbuf();
  auto id = crypto::identity::from_string(ss.str());
  if (!id.ok()) {
    ADD_FAILURE() << "cannot load identity " << name << ": " << id.message();
    return {};
  }
  return std::move(id).value();
}

inline crypto::identity public_only(const crypto::identity& id) {
  return crypto::identity::from_string(id.to_string(false)).value();
}

inline inet_address v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
                       std::uint16_t port) {
  return inet_address::v4({a, b, c, d}, port);
}

// A planet naming `roots` (each at its endpoints), signed by a fresh world key.
struct test_planet {
  crypto::c25519_pair key = crypto::c25519_generate();
  wire::world planet;
  explicit test_planet(std::vector<wire::world_root> roots, std::uint64_t id = 0x7e57,
                       std::uint64_t ts = 1000) {
    planet = wire::world::make(wire::world::type::planet, id, ts, key.pub, std::move(roots), key);
  }
  wire::world update(std::uint64_t ts, std::vector<wire::world_root> roots) const {
    return wire::world::make(wire::world::type::planet, planet.id, ts, key.pub, std::move(roots), key);
  }
};

struct sent_datagram {
  socket_id local;
  inet_address to;
  std::vector<std::uint8_t> bytes;
  unsigned ttl;
};

struct recording_sink : node_sink {
  std::vector<sent_datagram> sent;
  std::vector<std::pair<zt_address, std::vector<std::uint8_t>>> messages;
  std::vector<std::pair<zt_address, std::int64_t>> echo_replies;
  std::vector<std::pair<zt_address, inet_address>> paths_learned, paths_lost;
  std::vector<std::pair<zt_address, inet_address>> external;
  std::vector<zt_address> online_peers, offline_peers, collisions, fatal;
  std::vector<std::pair<zt_address, std::uint8_t>> errors;
  std::vector<std::pair<zt_address, std::uint8_t>> network_packets;  // (from, verb)
  std::vector<bool> online;

  void send(socket_id local, const inet_address& to, std::span<const std::uint8_t> bytes,
            unsigned ttl) override {
    sent.push_back({local, to, {bytes.begin(), bytes.end()}, ttl});
  }
  void on_peer_online(zt_address a) override { online_peers.push_back(a); }
  void on_peer_offline(zt_address a) override { offline_peers.push_back(a); }
  void on_path_learned(zt_address a, socket_id, const inet_address& r) override {
    paths_learned.push_back({a, r});
  }
  void on_path_lost(zt_address a, socket_id, const inet_address& r) override {
    paths_lost.push_back({a, r});
  }
  void on_online(bool on) override { online.push_back(on); }
  void on_user_message(zt_address from, std::uint64_t type,
                       std::span<const std::uint8_t> data) override {
    std::vector<std::uint8_t> v(8);
    wire::store_be64(v.data(), type);
    v.insert(v.end(), data.begin(), data.end());
    messages.push_back({from, v});
  }
  void on_echo_reply(zt_address from, std::int64_t rtt) override { echo_replies.push_back({from, rtt}); }
  void on_external_address(zt_address r, const inet_address& a, bool) override {
    external.push_back({r, a});
  }
  void on_identity_collision(zt_address a) override { collisions.push_back(a); }
  void on_fatal_identity_collision(zt_address a) override { fatal.push_back(a); }
  void on_error_received(zt_address from, const wire::error_payload& e) override {
    errors.push_back({from, e.code});
  }
  void on_network_packet(peer& from, wire::const_packet_view p, socket_id,
                         const inet_address&) override {
    network_packets.push_back({from.address(), p.verb_value()});
  }
  std::vector<sent_datagram> take() { return std::exchange(sent, {}); }
};

// Keys between two identities (the first must hold its private key).
inline std::unique_ptr<peer> keys_between(const crypto::identity& me, const crypto::identity& them) {
  return std::move(peer::make(me, them).value());
}

// A packet as `from` would send it to `to`: header, verb, payload, armored with `suite`.
inline std::vector<std::uint8_t> make_packet(const crypto::identity& from, const crypto::identity& to,
                                             wire::verb v, std::span<const std::uint8_t> payload,
                                             wire::cipher_suite suite, std::uint64_t id,
                                             unsigned hops = 0) {
  std::vector<std::uint8_t> out(wire::packet_min_length, 0);
  auto view = wire::packet_view::checked(out).value();
  view.set_packet_id(id);
  view.set_destination(to.address());
  view.set_source(from.address());
  view.set_verb(v);
  append_bytes(out, payload);
  auto k = keys_between(from, to);
  EXPECT_EQ(wire::armor(out, k->keys(), suite), wire::armor_result::ok);
  wire::packet_view::checked(out)->set_hops(static_cast<std::uint8_t>(hops));
  return out;
}

template <typename T>
std::vector<std::uint8_t> make_verb(const crypto::identity& from, const crypto::identity& to,
                                    wire::verb v, const T& repr, wire::cipher_suite suite,
                                    std::uint64_t id, unsigned hops = 0) {
  auto payload = wire::emit_payload(repr);
  return make_packet(from, to, v, payload, suite, id, hops);
}

// An OK as `from` would answer our packet `in_re_id`.
template <typename Body>
std::vector<std::uint8_t> make_ok(const crypto::identity& from, const crypto::identity& to,
                                  wire::verb in_re, std::uint64_t in_re_id, const Body& body,
                                  wire::cipher_suite suite, std::uint64_t id, unsigned hops = 0) {
  wire::ok_payload ok;
  ok.in_re_verb = static_cast<std::uint8_t>(in_re);
  ok.in_re_packet_id = in_re_id;
  ok.body = body;
  return make_verb(from, to, wire::verb::ok, ok, suite, id, hops);
}

// A received packet opened by `me` (which knows `sender`): dearmored and uncompressed.
struct opened {
  bool ok = false;
  wire::packet_header header;
  std::uint64_t wire_id = 0;  // the packet ID as it travelled (for reply matching)
  std::vector<std::uint8_t> packet;
  std::span<const std::uint8_t> payload() const {
    return std::span<const std::uint8_t>(packet).subspan(wire::packet_idx_payload);
  }
};
inline opened open_packet(const crypto::identity& me, const crypto::identity& sender,
                          std::span<const std::uint8_t> bytes) {
  opened o;
  if (bytes.size() < wire::packet_min_length) return o;
  o.packet.assign(wire::packet_max_length, 0);
  std::copy(bytes.begin(), bytes.end(), o.packet.begin());
  o.wire_id = wire::load_be64(bytes.data());
  auto k = keys_between(me, sender);
  std::span<std::uint8_t> p(o.packet.data(), bytes.size());
  if (wire::dearmor(p, k->keys(), 0) != wire::armor_result::ok) return o;
  o.header = wire::packet_header::parse(std::span<const std::uint8_t>(p)).value();
  if (o.header.verb == static_cast<std::uint8_t>(wire::verb::hello)) {
    auto off = wire::hello_payload::masked_offset(p.subspan(wire::packet_idx_payload));
    if (off.ok()) {
      std::size_t start = wire::packet_idx_payload + *off;
      (void)wire::crypt_field(p, k->keys(), start, p.size() - start);
    }
  }
  auto u = wire::uncompress(o.packet, bytes.size());
  if (!u.ok()) return o;
  o.packet.resize(u.size);
  o.header = wire::packet_header::parse(std::span<const std::uint8_t>(o.packet)).value();
  o.ok = true;
  return o;
}

}  // namespace ztkit::ctrl::testing
