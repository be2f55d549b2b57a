// data_path: the shard's half of the node (architecture.md, "shard k"): received datagrams ->
// fragment reassembly -> dearmor in place -> FRAME / EXT_FRAME to the netstack; and frames
// from the netstack -> compose -> LZ4 (with back-off) -> armor -> fragment -> send. It reads
// peers only from an immutable peer_directory the control side (node_core) publishes, and
// keeps no state the control side owns: whatever it cannot finish goes to the control side,
// whole and unchanged where it could not read it, already dearmored where it could
// (zerotier-protocol.md §4.1, §4.2; the same rules as node_core's rx.cc / tx.cc):
//   - not for us (relaying), cipher 0 (HELLO), a sender not in the directory (WHOIS) or from
//     ourselves: the datagram, or the reassembled packet, as received (raw / whole);
//   - any other verb from a known peer: the dearmored packet (dearmored).
// What the control side must still learn from the packets the data path consumed (the peer
// was heard on a path, a path was used to send, traffic and drop counts) is collected in
// `notes` and handed over once per batch (node_core::absorb), so liveness, path learning,
// keepalives and metrics stay where they were.
//
// One thread owns a data_path (a shard); it does no I/O and reads no clock (`now` is passed).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "ctrl/node/packet_io.h"
#include "ctrl/node/peer_directory.h"
#include "engine/wire/packet.h"
#include "engine/wire/reassembly.h"

namespace ztkit::ctrl {

class data_path_sink {
 public:
  virtual ~data_path_sink() = default;
  // A FRAME or EXT_FRAME from `from`, dearmored and uncompressed (valid during the call).
  virtual void on_data_packet(std::int64_t now, zt_address from, wire::const_packet_view p) = 0;
  virtual void send(socket_id local, const wire::inet_address& to,
                    std::span<const std::uint8_t> datagram) = 0;
};

struct data_path_config {
  std::size_t mtu = wire::default_phys_mtu;
  bool balanced_fragments = true;  // node_config::balanced_fragments
  // 0: packet IDs from libsodium's CSPRNG; else a fixed seed (deterministic simulations).
  std::uint64_t random_seed = 0;
};

// What happened on the data path since the control side last took the notes.
struct data_path_notes {
  struct heard {  // packets consumed from `peer` that arrived on (local, from) with `hops`
    zt_address peer;
    socket_id local = 0;
    wire::inet_address from;
    std::uint8_t hops = 0;
    std::uint8_t verb = 0;  // the last one's
  };
  struct used {  // packets sent to `peer` on (local, to)
    zt_address peer;
    socket_id local = 0;
    wire::inet_address to;
    bool relayed = false;
  };
  std::vector<heard> received;
  std::vector<used> sent;
  // Traffic by verb ([0] direct, [1] relayed), as node_counters counts it.
  std::array<std::array<std::uint64_t, 32>, 2> rx_packets{}, rx_bytes{}, tx_packets{}, tx_bytes{};
  std::uint64_t rx_datagrams = 0;      // datagrams the data path consumed
  std::uint64_t rx_bad_mac = 0;
  std::uint64_t rx_bad_compression = 0;
  std::uint64_t rx_fragment_drops = 0;
  std::uint64_t rx_malformed = 0;      // verb payload too short to name its network
  std::uint64_t tx_datagrams = 0;

  bool empty() const { return received.empty() && sent.empty() && rx_datagrams == 0 && tx_datagrams == 0; }
};

struct data_path_counters {
  std::uint64_t rx_consumed = 0;      // datagrams finished here (delivered, or dropped and noted)
  std::uint64_t rx_frames = 0;        // FRAME/EXT_FRAME packets delivered
  std::uint64_t to_control_raw = 0;   // datagrams handed over as received
  std::uint64_t to_control_whole = 0; // reassembled packets handed over unread
  std::uint64_t to_control_dearmored = 0;
  std::uint64_t tx_packets = 0;
  std::uint64_t tx_not_routable = 0;  // send() refused: the control side sends it
  std::uint64_t tx_too_big = 0;
};

class data_path {
 public:
  explicit data_path(data_path_config config = {});

  // The directory in force from now on (null: nothing is known, everything goes to control).
  void set_directory(std::shared_ptr<const peer_directory> d);
  const peer_directory* directory() const { return dir_.get(); }

  struct rx_result {
    enum class kind : std::uint8_t {
      consumed,   // delivered or dropped (noted)
      raw,        // the datagram as received: node_core::on_datagram
      whole,      // a reassembled packet, unread: node_core::on_packet
      dearmored,  // a known peer's packet, dearmored: node_core::on_dearmored
    } what = kind::consumed;
    std::span<std::uint8_t> packet;  // whole / dearmored: valid until the next call
  };
  // A datagram from `from` on our socket `local`. `datagram` may be changed in place (dearmor)
  // only when the result is consumed or dearmored; raw leaves it as it was.
  rx_result on_datagram(std::int64_t now, socket_id local, const wire::inet_address& from,
                        std::span<std::uint8_t> datagram, data_path_sink& sink);

  // Sends `v` (a data verb: FRAME, EXT_FRAME) to `to` by the directory's route. False (nothing
  // sent) when `to` has no route here or the packet is too big: the control side sends it.
  bool send(std::int64_t now, zt_address to, wire::verb v, std::span<const std::uint8_t> payload,
            bool compress, data_path_sink& sink);

  // Expires incomplete reassemblies (call from a timer).
  void expire(std::int64_t now) { reasm_.expire(now); }

  // What the control side must learn (node_core::absorb), then clear_notes() (which keeps the
  // vectors' capacity: no allocation per batch).
  const data_path_notes& notes() const { return notes_; }
  void clear_notes();
  const data_path_counters& counters() const { return counters_; }
  const wire::reassembly_counters& reassembly_counters() const { return reasm_.counters(); }

 private:
  // A head or fragment went into reassembly: the packet if that completed it.
  rx_result on_piece(std::int64_t now, socket_id local, const wire::inet_address& from,
                     const wire::reassembly_outcome& out, data_path_sink& sink);
  rx_result on_packet(std::int64_t now, socket_id local, const wire::inet_address& from,
                      std::span<std::uint8_t> packet, bool whole, data_path_sink& sink);
  void note_heard(zt_address peer, socket_id local, const wire::inet_address& from,
                  std::uint8_t hops, std::uint8_t verb);
  void note_sent(zt_address peer, socket_id local, const wire::inet_address& to, bool relayed);

  data_path_config config_;
  std::shared_ptr<const peer_directory> dir_;
  wire::reassembly_table reasm_;
  packet_id_source ids_;
  std::unordered_map<std::uint64_t, compress_backoff> lz4_;  // per peer, as peer::lz4
  // Sized once (packet_max_length): a reassembled packet, an uncompressed one, a composed one.
  std::vector<std::uint8_t> whole_, big_, out_;
  data_path_notes notes_;
  data_path_counters counters_;
};

}  // namespace ztkit::ctrl
