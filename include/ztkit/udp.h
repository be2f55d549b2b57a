// UDP sockets on a joined network's managed addresses.
//
//   auto s = ztkit::UdpSocket::bind(node, nwid, {{}, 7777});    // any address, port 7777
//   std::array<std::byte, 2048> buf;
//   ztkit::SocketAddress from;
//   auto n = s->recv_from(buf, &from, std::chrono::seconds(1));
//   s->send_to(std::span(buf.data(), *n), from);
//
// Any thread may use a socket (several at once: sends are serialized among themselves, and so
// are receives). Received datagrams wait in a bounded queue (recv_queue datagrams; more are
// dropped and counted, as a kernel socket would). fd() is an eventfd-backed descriptor that is
// readable while datagrams are queued: add it to epoll/asio/libuv for a non-blocking loop.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "ztkit/address.h"
#include "ztkit/error.h"

namespace ztkit {

class Node;

struct UdpOptions {
  std::size_t recv_queue = 1024;  // datagrams (power of two after rounding up)
  std::size_t send_queue = 1024;
  bool broadcast = false;         // SO_BROADCAST
  // SO_RCVTIMEO: how long recv_from() waits when called without a timeout (negative: forever).
  std::chrono::milliseconds recv_timeout{-1};
  // O_NONBLOCK: recv_from() without a timeout returns would_block at once.
  bool non_blocking = false;
};

struct UdpCounters {
  std::uint64_t received = 0;
  std::uint64_t dropped_full = 0;  // arrived while the receive queue was full
  std::uint64_t sent = 0;
  std::uint64_t send_errors = 0;   // refused by the stack (no route, too large)
};

class UdpSocket {
 public:
  // Binds on network `nwid` to `local` (ip none: every address of the network; port 0: an
  // ephemeral port). The network must be joined and have its config.
  static Expected<UdpSocket> bind(Node& node, std::uint64_t nwid, SocketAddress local,
                                  UdpOptions options = {});

  UdpSocket(UdpSocket&&) noexcept;
  UdpSocket& operator=(UdpSocket&&) noexcept;
  ~UdpSocket();  // closes

  // Queues one datagram (at most 65507 bytes). would_block if the send queue is full.
  Expected<std::size_t> send_to(std::span<const std::byte> data, const SocketAddress& to);
  // One datagram into `buf` (truncated if larger: the full size is returned). Waits up to
  // `timeout` (negative: forever; zero: would_block at once if none; none given: the socket's
  // UdpOptions::recv_timeout / non_blocking).
  Expected<std::size_t> recv_from(std::span<std::byte> buf, SocketAddress* from,
                                  std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  Expected<void> set_recv_timeout(std::chrono::milliseconds timeout);
  Expected<void> set_nonblocking(bool on);
  bool is_open() const;  // false after close() and for a moved-from socket
  SocketAddress local_address() const;
  int fd() const;  // readable while a datagram is queued
  UdpCounters counters() const;
  void close();

  struct State;

 private:
  friend struct poll_access;
  explicit UdpSocket(std::shared_ptr<State> s);
  std::shared_ptr<State> s_;
};

}  // namespace ztkit
