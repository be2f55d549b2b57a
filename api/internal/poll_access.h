// What ztkit::poll (api/poll.cc) needs from inside the sockets, implemented next to each
// socket's state (tcp.cc, udp.cc). A friend of TcpStream, TcpListener and UdpSocket.
#pragma once

#include <array>

#include "ztkit/poll.h"
#include "ztkit/tcp.h"
#include "ztkit/udp.h"

namespace ztkit {

struct poll_access {
  // The PollItem bits of the socket now, for `wanted`. With `rearm`, the wake-up descriptors of
  // wanted events that are not ready are cleared first and the state is read again, so that
  // the descriptors of fds() become readable only when something changes (no lost wake-up:
  // producers set them after changing the state).
  static unsigned check(const TcpStream& s, unsigned wanted, bool rearm);
  static unsigned check(const TcpListener& l, unsigned wanted, bool rearm);
  static unsigned check(const UdpSocket& u, unsigned wanted, bool rearm);
  // Descriptors that turn readable when a wanted event may have become ready (-1: none).
  static std::array<int, 2> fds(const TcpStream& s, unsigned wanted);
  static std::array<int, 2> fds(const TcpListener& l, unsigned wanted);
  static std::array<int, 2> fds(const UdpSocket& u, unsigned wanted);
};

}  // namespace ztkit
