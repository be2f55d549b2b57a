// ztkit::poll: readiness from the sockets' own state, the wait on their readiness descriptors
// with poll(2). A pass checks every item; if none is ready, a second pass clears the wake-up
// descriptors of what is wanted but not ready and checks again (poll_access::check with
// rearm), and only then sleeps in poll(2) until one of them is written. Waits are cut into
// slices of at most 1 s so that a node stopping under a blocked poll is noticed (its sockets
// then report error).
#include "ztkit/poll.h"

#include <poll.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "api/internal/poll_access.h"

namespace ztkit {

namespace {

unsigned check(const PollItem& it, bool rearm) {
  const unsigned wanted = it.events & (PollItem::readable | PollItem::writable);
  switch (it.kind) {
    case PollItem::Kind::tcp_stream: return poll_access::check(*static_cast<const TcpStream*>(it.socket), wanted, rearm);
    case PollItem::Kind::tcp_listener: return poll_access::check(*static_cast<const TcpListener*>(it.socket), wanted, rearm);
    case PollItem::Kind::udp: return poll_access::check(*static_cast<const UdpSocket*>(it.socket), wanted, rearm);
  }
  return PollItem::invalid;
}

std::array<int, 2> fds_of(const PollItem& it) {
  const unsigned wanted = it.events & (PollItem::readable | PollItem::writable);
  switch (it.kind) {
    case PollItem::Kind::tcp_stream: return poll_access::fds(*static_cast<const TcpStream*>(it.socket), wanted);
    case PollItem::Kind::tcp_listener: return poll_access::fds(*static_cast<const TcpListener*>(it.socket), wanted);
    case PollItem::Kind::udp: return poll_access::fds(*static_cast<const UdpSocket*>(it.socket), wanted);
  }
  return {-1, -1};
}

}  // namespace

Expected<std::size_t> poll(std::span<PollItem> items, std::chrono::milliseconds timeout) {
  if (items.size() > 65536) return Error(Errc::invalid_argument, "poll takes at most 65536 items");
  using clock_type = std::chrono::steady_clock;
  const auto deadline = clock_type::now() + timeout;
  std::vector<pollfd> pfds;
  for (bool rearm = false;; rearm = true) {
    std::size_t ready = 0;
    for (auto& it : items) {
      it.revents = it.socket ? check(it, rearm) : PollItem::invalid;
      if (it.revents != 0) ++ready;
    }
    if (ready > 0 || timeout.count() == 0) return ready;
    if (!rearm) continue;  // the second pass clears stale wake-ups before sleeping
    int wait_ms = 1000;
    if (timeout.count() > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
      if (left.count() <= 0) return std::size_t{0};
      wait_ms = static_cast<int>(std::min<std::int64_t>(left.count() + 1, 1000));
    }
    pfds.clear();
    for (const auto& it : items)
      for (int fd : fds_of(it))
        if (fd >= 0) pfds.push_back({fd, POLLIN, 0});
    if (::poll(pfds.data(), pfds.size(), wait_ms) < 0 && errno != EINTR)
      return Error(Errc::io_error, std::string("poll: ") + std::strerror(errno));
  }
}

}  // namespace ztkit
