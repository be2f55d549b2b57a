// Decoding real ZeroTier traffic: every UDP datagram of a capture is reassembled (fragments),
// dearmored with the key agreed between its two ZeroTier endpoints (at least one of whose
// identity.secret files the decoder holds), LZ4-expanded, and its verb payload parsed completely
// with the engine's own wire codecs. Used by `ztdump` and by the capture tests, so both see the
// same thing.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/result.h"
#include "engine/crypto/identity.h"
#include "tools/ztdump/capture.h"

namespace ztkit::capture {

struct decoded_packet {
  std::uint32_t frame = 0;  // the datagram that completed the packet (the head if in one piece)
  std::uint32_t pieces = 1; // datagrams it arrived in (head + fragments)
  double seconds = 0;
  wire::inet_address underlay_src, underlay_dst;
  zt_address source, destination;
  std::uint8_t cipher = 0;
  std::uint8_t hops = 0;
  std::uint8_t verb = 0;
  std::uint8_t in_re_verb = 0;  // for OK and ERROR
  bool compressed = false;
  bool relayed = false;         // hops > 0, or the underlay peer is another node than the source
  std::size_t wire_length = 0;  // the armored packet, after reassembly
  std::string kind;             // "HELLO", "OK(WHOIS)", "ERROR(MULTICAST_FRAME)", ...
  std::string summary;          // a short description of the payload
  std::string failure;          // why it did not decode; empty when it did
  bool ok() const { return failure.empty(); }
};

struct decode_report {
  std::vector<decoded_packet> packets;
  std::uint32_t datagrams = 0;
  std::uint32_t non_zerotier = 0;      // datagrams too short to be ZeroTier (NAT-punch junk)
  std::uint32_t pending_fragments = 0; // pieces of packets that never completed
  std::map<std::string, int> kinds;    // kind -> count, over decoded packets
  int failures() const;
};

class decoder {
 public:
  // Identities whose secrets let us agree keys; public-only identities are fine for peers.
  explicit decoder(std::vector<crypto::identity> identities);
  ~decoder();
  decoder(const decoder&) = delete;
  decoder& operator=(const decoder&) = delete;

  // Reads every `*.identity.secret` (and `*.identity.public`) file in `dir`.
  static result<std::unique_ptr<decoder>> from_directory(const std::string& dir);

  decode_report decode(const capture_file& capture);

 private:
  struct state;
  std::unique_ptr<state> s_;
};

}  // namespace ztkit::capture
