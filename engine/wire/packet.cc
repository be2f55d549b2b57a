// Names and the header repr (packet.h).
#include "engine/wire/packet.h"

#include <string>

namespace ztkit::wire {

std::string_view cipher_suite_name(std::uint8_t suite) {
  switch (suite) {
    case 0: return "NONE";
    case 1: return "SALSA2012";
    case 2: return "TRUSTED_PATH";
    case 3: return "AES_GMAC_SIV";
    default: return "?";
  }
}

std::string_view verb_name(std::uint8_t v) {
  switch (v) {
    case 0x00: return "NOP";
    case 0x01: return "HELLO";
    case 0x02: return "ERROR";
    case 0x03: return "OK";
    case 0x04: return "WHOIS";
    case 0x05: return "RENDEZVOUS";
    case 0x06: return "FRAME";
    case 0x07: return "EXT_FRAME";
    case 0x08: return "ECHO";
    case 0x09: return "MULTICAST_LIKE";
    case 0x0a: return "NETWORK_CREDENTIALS";
    case 0x0b: return "NETWORK_CONFIG_REQUEST";
    case 0x0c: return "NETWORK_CONFIG";
    case 0x0d: return "MULTICAST_GATHER";
    case 0x0e: return "MULTICAST_FRAME";
    case 0x10: return "PUSH_DIRECT_PATHS";
    case 0x12: return "ACK";
    case 0x13: return "QOS_MEASUREMENT";
    case 0x14: return "USER_MESSAGE";
    case 0x15: return "REMOTE_TRACE";
    case 0x16: return "PATH_NEGOTIATION_REQUEST";
    default: return "UNKNOWN";
  }
}

std::string_view verb_name(verb v) { return verb_name(static_cast<std::uint8_t>(v)); }

bool verb_known(std::uint8_t v) { return verb_name(v) != "UNKNOWN"; }

std::string_view error_code_name(std::uint8_t c) {
  switch (c) {
    case 0x00: return "NONE";
    case 0x01: return "INVALID_REQUEST";
    case 0x02: return "BAD_PROTOCOL_VERSION";
    case 0x03: return "OBJ_NOT_FOUND";
    case 0x04: return "IDENTITY_COLLISION";
    case 0x05: return "UNSUPPORTED_OPERATION";
    case 0x06: return "NEED_MEMBERSHIP_CERTIFICATE";
    case 0x07: return "NETWORK_ACCESS_DENIED";
    case 0x08: return "UNWANTED_MULTICAST";
    case 0x09: return "NETWORK_AUTHENTICATION_REQUIRED";
    default: return "UNKNOWN";
  }
}

std::string_view error_code_name(error_code c) {
  return error_code_name(static_cast<std::uint8_t>(c));
}

packet_header packet_header::parse(const_packet_view v) {
  packet_header h;
  h.packet_id = v.packet_id();
  h.destination = v.destination();
  h.source = v.source();
  h.fragmented = v.fragmented();
  h.cipher = v.cipher();
  h.hops = v.hops();
  h.mac = v.mac_be64();
  h.verb = v.verb_value();
  h.compressed = v.compressed();
  return h;
}

result<packet_header> packet_header::parse(std::span<const std::uint8_t> packet) {
  const auto v = const_packet_view::checked(packet);
  if (!v) {
    return error{errc::invalid_argument,
                 "packet too short: " + std::to_string(packet.size()) + " bytes, need at least " +
                     std::to_string(packet_min_length)};
  }
  return parse(*v);
}

void packet_header::emit(writer& w) const {
  std::uint8_t* p = w.reserve(buffer_len());
  if (p == nullptr) return;
  // A packet_view over the reserved bytes is valid: exactly 28 of them.
  emit(*packet_view::checked(std::span<std::uint8_t>(p, buffer_len())));
}

void packet_header::emit(packet_view v) const {
  v.set_packet_id(packet_id);
  v.set_destination(destination);
  v.set_source(source);
  v.set_flags(0);
  v.set_cipher(cipher & 7);
  v.set_fragmented(fragmented);
  v.set_hops(hops);
  v.set_mac_be64(mac);
  v.set_verb(static_cast<wire::verb>(verb & verb_mask), compressed);
}

}  // namespace ztkit::wire
