// What ztkit::poll (api/poll.cc) needs from inside the sockets, implemented next to each
// socket's state (tcp.cc, udp.cc). A friend of TcpStream, TcpListener and UdpSocket.
#pragma once

#include <array>

#include "api/internal/ready_fd.h"
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

// check()'s rearm step, shared by the sockets: `state()` reads the PollItem bits; for each
// wanted event not ready, its descriptor is cleared, and then the state is read once more.
template <typename State>
unsigned rearm_readiness(unsigned wanted, ready_fd& readable, ready_fd& writable, State&& state) {
  const unsigned r = state();
  bool cleared = false;
  if ((wanted & PollItem::readable) && !(r & PollItem::readable)) {
    readable.clear();
    cleared = true;
  }
  if ((wanted & PollItem::writable) && !(r & PollItem::writable)) {
    writable.clear();
    cleared = true;
  }
  return cleared ? state() : r;
}

}  // namespace ztkit
