// SOCKS5 messages (RFC 1928, username/password per RFC 1929): parsers over bytes that hold no
// state and do no I/O, and the replies as byte strings. Each parser checks lengths before it
// reads, says `incomplete` while the bytes so far are a valid prefix (read more and call again),
// and otherwise `ok` with how many bytes the message took, or an error.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ztkit::tools::socks5 {

inline constexpr std::uint8_t version = 5;
inline constexpr std::uint8_t auth_version = 1;  // RFC 1929 §2

// RFC 1928 §3 method numbers.
enum class method : std::uint8_t { no_auth = 0x00, gssapi = 0x01, user_pass = 0x02, none_acceptable = 0xff };
// RFC 1928 §4 commands.
enum class command : std::uint8_t { connect = 1, bind = 2, udp_associate = 3 };
// RFC 1928 §5 address types.
enum class atyp : std::uint8_t { ipv4 = 1, domain = 3, ipv6 = 4 };
// RFC 1928 §6 reply codes.
enum class reply : std::uint8_t {
  succeeded = 0,
  general_failure = 1,
  not_allowed = 2,
  network_unreachable = 3,
  host_unreachable = 4,
  connection_refused = 5,
  ttl_expired = 6,
  command_not_supported = 7,
  address_type_not_supported = 8,
};

enum class status {
  ok,
  incomplete,           // a valid prefix: more bytes needed
  bad_version,          // not SOCKS 5 (or not RFC 1929 version 1)
  no_methods,           // NMETHODS = 0
  bad_reserved,         // RSV is not zero
  bad_command,          // CMD not 1..3 (reply command_not_supported)
  bad_address_type,     // ATYP not 1, 3, 4 (reply address_type_not_supported)
  empty_field,          // a zero-length domain name or user name
};
const char* to_string(status s);

// DST.ADDR + DST.PORT (or BND.*): an IPv4/IPv6 address or a domain name of 1..255 octets.
struct address {
  atyp type = atyp::ipv4;
  std::array<std::uint8_t, 16> ip{};  // IPv4 in the first 4
  std::string domain;
  std::uint16_t port = 0;
};
std::string to_string(const address& a);  // "10.1.2.3:80", "[fd00::1]:80", "name:80"

struct parsed {
  status st = status::incomplete;
  std::size_t size = 0;  // bytes taken when ok
  bool ok() const { return st == status::ok; }
};

// RFC 1928 §3: VER NMETHODS METHODS[NMETHODS].
struct greeting {
  std::vector<std::uint8_t> methods;
  bool offers(method m) const;
};
parsed parse_greeting(std::span<const std::uint8_t> in, greeting& out);

// RFC 1929 §2: VER(1) ULEN UNAME PLEN PASSWD.
struct credentials {
  std::string user, pass;
};
parsed parse_credentials(std::span<const std::uint8_t> in, credentials& out);

// RFC 1928 §4: VER CMD RSV ATYP DST.ADDR DST.PORT. On bad_command / bad_address_type the
// fields read so far are set (the caller still answers with the matching reply code).
struct request {
  std::uint8_t cmd = 0;
  address dst;
};
parsed parse_request(std::span<const std::uint8_t> in, request& out);

// RFC 1928 §7: RSV(2) FRAG ATYP DST.ADDR DST.PORT DATA. A UDP datagram is whole or nothing, so
// a short one is an error (incomplete) the caller drops; `size` is the header's length.
struct udp_header {
  std::uint8_t frag = 0;
  address dst;
};
parsed parse_udp_header(std::span<const std::uint8_t> in, udp_header& out);

// The answers.
std::vector<std::uint8_t> method_selection(method m);       // VER METHOD
std::vector<std::uint8_t> auth_status(bool success);        // VER(1) STATUS
std::vector<std::uint8_t> reply_message(reply rep, const address& bnd);  // VER REP RSV ATYP BND
std::vector<std::uint8_t> udp_header_bytes(const address& a);           // RSV FRAG(0) ATYP ADDR PORT

}  // namespace ztkit::tools::socks5
