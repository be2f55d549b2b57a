// Joining a network on the wire (zerotier-protocol.md §5.1, §5.2; ZeroTierOne 1.14
// Network::requestConfiguration, Node::ncSendConfig, Network::handleConfigChunk; netconf.json
// `chunks_ok`, `chunks_push`, `large_config`):
//
//   NETWORK_CONFIG_REQUEST payload: [8 nwid][2 dict len][metadata dict][8 revision][8 timestamp]
//   chunk body (OK(NETWORK_CONFIG_REQUEST) after [1 in-re 0x0b][8 packet id], or NETWORK_CONFIG):
//     [8 nwid][2 n][n data][1 flags][8 update id][4 total length][4 offset]
//     [1 signature type = 1][2 signature length = 96][96 signature over nwid..offset]
//   A body ending right after the data is a legacy single-chunk config (accepted only from the
//   controller itself).
//
// config_assembler is the bounded reassembler of Network::handleConfigChunk: 3 updates at a
// time (the least recently touched slot is reused), duplicate chunks (by signature) ignored,
// each chunk verified with the controller identity, total < the netconf capacity, at most 474
// chunks per update; the dictionary bytes come out when the byte count reaches the total.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "engine/base/result.h"
#include "engine/base/zt_address.h"
#include "engine/crypto/c25519.h"
#include "engine/crypto/identity.h"
#include "engine/wire/bytes.h"
#include "engine/wire/dictionary.h"

namespace ztkit::wire {

struct config_request {
  std::uint64_t network_id = 0;
  dictionary metadata;
  std::uint64_t revision = 0;   // of the config we hold (0: none)
  std::uint64_t timestamp = 0;  // of the config we hold (0: none)

  // The metadata 1.14.1 sends (v 7, vend 1, pv 0xc, 1.14.1, mr/mc/mcr/mt, f 0, revr 1, o).
  static dictionary default_metadata(std::string_view os_arch);

  // Revision and timestamp may be absent (older senders): they then read as 0. The metadata
  // must fit 1.14's 1024-byte metadata dictionary.
  static result<config_request> parse(std::span<const std::uint8_t> payload);
  void emit(writer& w) const;
  std::size_t buffer_len() const;
  std::vector<std::uint8_t> to_bytes() const;
  bool operator==(const config_request&) const = default;
};

struct config_chunk {
  static constexpr std::size_t max_data = 10024 - (28 + 256);  // 9740, per Node::ncSendConfig
  static constexpr std::uint8_t flag_fast_propagate = 0x01;

  std::uint64_t network_id = 0;
  std::vector<std::uint8_t> data;
  bool legacy = false;  // body ended after the data: no fields below
  std::uint8_t flags = 0;
  std::uint64_t update_id = 0;
  std::uint32_t total_length = 0;
  std::uint32_t offset = 0;
  crypto::c25519_signature signature{};

  // Rejects truncation, offset + n > total, total >= the netconf capacity, and a signature
  // type other than 1 or length other than 96. Bytes after the signature are ignored.
  static result<config_chunk> parse(std::span<const std::uint8_t> body);
  void emit(writer& w) const;
  std::size_t buffer_len() const;
  std::vector<std::uint8_t> to_bytes() const;

  std::vector<std::uint8_t> signing_bytes() const;  // nwid .. offset
  status sign(const crypto::identity& controller);
  bool verify(const crypto::identity& controller) const;

  // Node::ncSendConfig: cuts `dict` into signed chunks of at most max_data bytes.
  static result<std::vector<config_chunk>> split(std::span<const std::uint8_t> dict,
                                                 std::uint64_t network_id,
                                                 std::uint64_t update_id,
                                                 const crypto::identity& controller,
                                                 std::uint8_t flags = 0);
  bool operator==(const config_chunk&) const = default;
};

class config_assembler {
 public:
  static constexpr std::size_t max_updates = 3;  // ZT_NETWORK_MAX_INCOMING_UPDATES
  static constexpr std::size_t max_chunks = dictionary::netconf_capacity / 1024 + 1;

  struct completed {
    std::uint64_t update_id = 0;
    std::vector<std::uint8_t> dictionary;
  };

  // `controller` is the network's controller identity (nwid >> 24).
  config_assembler(std::uint64_t network_id, crypto::identity controller);

  // Feeds one chunk from `source` (packet_id: the carrying packet, used as the update ID of
  // legacy chunks). Returns the dictionary when this chunk completes an update, nullopt if more
  // are needed or the chunk is a duplicate, an error if it must be dropped (wrong network,
  // bad signature, legacy chunk not from the controller, inconsistent lengths, too many chunks).
  result<std::optional<completed>> add(const config_chunk& chunk, zt_address source,
                                       std::uint64_t packet_id);

 private:
  struct slot {
    std::uint64_t update_id = 0;
    std::uint64_t touched = 0;
    std::uint32_t total = 0;
    std::size_t have_bytes = 0;
    bool done = false;
    std::vector<std::uint64_t> chunk_ids;
    std::vector<std::uint8_t> data;
  };
  std::uint64_t network_id_;
  crypto::identity controller_;
  std::uint64_t clock_ = 0;
  std::array<slot, max_updates> slots_{};
};

}  // namespace ztkit::wire
