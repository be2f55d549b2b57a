// Waiting on many ztkit sockets at once, like poll(2):
//
//   std::array items{ztkit::PollItem(listener, ztkit::PollItem::readable),
//                    ztkit::PollItem(stream, ztkit::PollItem::readable | ztkit::PollItem::writable),
//                    ztkit::PollItem(udp, ztkit::PollItem::readable)};
//   auto n = ztkit::poll(items, std::chrono::seconds(1));   // items[i].revents say what is ready
//
// Readiness is level-triggered and checked on the sockets' own state; the wait itself is one
// poll(2) on their readiness descriptors (the fd()s, plus a "room to write" descriptor per
// stream / UDP socket), so it takes no CPU while nothing happens. For an event loop of your
// own (epoll, asio, libuv), use each socket's fd() instead.
//
//   readable  TcpStream: bytes to read, EOF or an error (read() will not block);
//             TcpListener: a connection to accept; UdpSocket: a datagram queued.
//   writable  TcpStream: room in the send buffer (or an error: write() will not block);
//             UdpSocket: room in the send queue.
//   error     (always reported) the stream failed (reset, timed out) or the node stopped.
//   hangup    (always reported) the peer finished sending (EOF) or the stream is gone.
//   invalid   (always reported) the socket object is closed or moved from (like POLLNVAL).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include "ztkit/error.h"

namespace ztkit {

class TcpStream;
class TcpListener;
class UdpSocket;

struct PollItem {
  static constexpr unsigned readable = 1, writable = 2, error = 4, hangup = 8, invalid = 16;
  enum class Kind : std::uint8_t { tcp_stream, tcp_listener, udp };

  PollItem(TcpStream& s, unsigned wanted) : kind(Kind::tcp_stream), socket(&s), events(wanted) {}
  PollItem(TcpListener& l, unsigned wanted) : kind(Kind::tcp_listener), socket(&l), events(wanted) {}
  PollItem(UdpSocket& u, unsigned wanted) : kind(Kind::udp), socket(&u), events(wanted) {}

  Kind kind;
  void* socket;          // the TcpStream / TcpListener / UdpSocket named by `kind`
  unsigned events = 0;   // wanted: readable | writable
  unsigned revents = 0;  // set by poll(): the wanted events that are ready, plus error/hangup/invalid
};

// Waits until at least one item has revents, or `timeout` passes (negative: forever; zero:
// check and return at once). The number of items with revents (0: the timeout passed), or
// invalid_argument (more than 65536 items) / io_error (poll(2) failed). Any thread may call it;
// the sockets may be used by other threads meanwhile.
Expected<std::size_t> poll(std::span<PollItem> items, std::chrono::milliseconds timeout);

}  // namespace ztkit
