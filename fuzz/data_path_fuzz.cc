// libFuzzer target: a shard's data path (ctrl/node/data_path.h) fed with hostile datagrams.
// The input is a sequence of records [1 kind][2 length][bytes]: kind 0 hands the bytes over as
// a datagram from a known peer's address; kind 1 has the peer's own data path send them as a
// FRAME (bit 0 of the kind byte's high nibble: compressed), so that valid, fragmented and
// compressed packets reach reassembly, LZ4 and delivery; kind 2 armors them as a packet from
// the peer with verb bytes[0] (flags included: 0x80 claims LZ4) under Salsa20/12 or AES-GMAC-SIV;
// kind 3 advances the clock and expires reassembly. Nothing may crash, every delivered packet
// is a data verb within the maximum packet length, and a raw result leaves the datagram as it
// was.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include "ctrl/node/data_path.h"
#include "ctrl/node/packet_io.h"
#include "engine/wire/bytes.h"

namespace {

using namespace ztkit;

struct checking_sink final : ctrl::data_path_sink {
  std::vector<std::vector<std::uint8_t>> sent;
  std::size_t delivered = 0;
  void on_data_packet(std::int64_t, zt_address, wire::const_packet_view p) override {
    const auto v = p.verb();
    if (v != wire::verb::frame && v != wire::verb::ext_frame) __builtin_trap();
    if (p.bytes().size() > wire::packet_max_length) __builtin_trap();
    ++delivered;
  }
  void send(ctrl::socket_id, const wire::inet_address&, std::span<const std::uint8_t> d) override {
    sent.emplace_back(d.begin(), d.end());
  }
};

std::shared_ptr<const ctrl::peer_directory> directory(zt_address self, zt_address peer,
                                                      std::shared_ptr<const wire::peer_keys> k,
                                                      const wire::inet_address& at) {
  auto d = std::make_shared<ctrl::peer_directory>();
  d->self = self;
  ctrl::peer_route r;
  r.address = peer;
  r.keys = std::move(k);
  r.cipher = wire::cipher_suite::aes_gmac_siv;
  r.routable = true;
  r.to = at;
  d->peers.emplace(peer.value(), r);
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto keys = [] {
    std::uint8_t k[48];
    for (int i = 0; i < 48; ++i) k[i] = static_cast<std::uint8_t>(i * 7 + 1);
    return std::make_shared<const wire::peer_keys>(k);
  }();
  const zt_address self(0x1122334455ULL), peer(0x66778899aaULL);
  const auto self_at = wire::inet_address::v4({10, 0, 0, 1}, 9993);
  const auto peer_at = wire::inet_address::v4({10, 0, 0, 2}, 9993);
  ctrl::data_path dp(ctrl::data_path_config{.random_seed = 1});
  ctrl::data_path theirs(ctrl::data_path_config{.random_seed = 2});
  dp.set_directory(directory(self, peer, keys, peer_at));
  theirs.set_directory(directory(peer, self, keys, self_at));
  checking_sink sink, their_sink;
  std::int64_t now = 1000;
  auto feed = [&](std::vector<std::uint8_t> d) {
    const auto before = d;
    auto r = dp.on_datagram(now, 0, peer_at, d, sink);
    if (r.what == ctrl::data_path::rx_result::kind::raw && d != before) __builtin_trap();
    if (!r.packet.empty() && r.packet.size() > wire::packet_max_length) __builtin_trap();
  };
  ctrl::packet_id_source ids(3, 0);
  std::size_t at = 0;
  while (at + 3 <= size) {
    const std::uint8_t kind = data[at];
    std::size_t len = wire::load_be16(data + at + 1);
    at += 3;
    len = std::min(len, size - at);
    std::span<const std::uint8_t> bytes(data + at, len);
    at += len;
    switch (kind & 3) {
      case 0: feed({bytes.begin(), bytes.end()}); break;
      case 1: {
        if (theirs.send(now, self, wire::verb::frame, bytes, (kind & 0x10) != 0, their_sink))
          for (auto& d : std::exchange(their_sink.sent, {})) feed(std::move(d));
        break;
      }
      case 2: {
        if (bytes.empty()) break;
        std::vector<std::uint8_t> p;
        ctrl::write_header(p, ids.next(), self, peer, wire::verb::frame);
        p[wire::packet_idx_verb] = bytes[0];
        p.insert(p.end(), bytes.begin() + 1, bytes.end());
        if (p.size() > wire::packet_max_length) break;
        const auto suite = (kind & 0x10) ? wire::cipher_suite::poly1305_salsa2012
                                         : wire::cipher_suite::aes_gmac_siv;
        if (wire::armor(p, *keys, suite) == wire::armor_result::ok) feed(std::move(p));
        break;
      }
      default:
        now += 1000 + len;
        dp.expire(now);
        break;
    }
  }
  dp.clear_notes();
  return 0;
}
