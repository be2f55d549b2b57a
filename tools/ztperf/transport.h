// ztperf's transports: the same stream / datagram / listener shapes over ztkit's public API
// (a joined network of a Node) or over plain kernel sockets bound to one local address.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "ztkit/address.h"
#include "ztkit/error.h"
#include "ztkit/tcp.h"

namespace ztkit {
class Node;
}

namespace ztperf {

using ztkit::Errc;
using ztkit::Error;
using ztkit::Expected;
using ztkit::IpAddress;
using ztkit::SocketAddress;
using millis = std::chrono::milliseconds;

class Stream {
 public:
  virtual ~Stream() = default;
  // Up to buf.size() bytes, 0 at EOF; waits up to `timeout` (negative: forever).
  virtual Expected<std::size_t> read(std::span<std::byte> buf, millis timeout) = 0;
  virtual Expected<void> write_all(std::span<const std::byte> data, millis timeout) = 0;
  virtual void shutdown_write() = 0;
  virtual Expected<void> set_nodelay(bool on) = 0;
  virtual ztkit::TcpStats stats() const = 0;  // retransmits, srtt_ms, cwnd, mss
  virtual SocketAddress peer() const = 0;
};

class Listener {
 public:
  virtual ~Listener() = default;
  virtual Expected<std::unique_ptr<Stream>> accept(millis timeout) = 0;
  virtual std::uint16_t port() const = 0;
};

class Datagram {
 public:
  virtual ~Datagram() = default;
  // would_block when the send queue is full (the caller retries).
  virtual Expected<std::size_t> send_to(std::span<const std::byte> data, const SocketAddress& to) = 0;
  virtual Expected<std::size_t> recv_from(std::span<std::byte> buf, SocketAddress* from,
                                          millis timeout) = 0;
  virtual std::uint16_t port() const = 0;
  virtual std::uint64_t send_errors() const = 0;  // refused by the stack
  virtual std::uint64_t receive_drops() const = 0;  // dropped by a full receive queue (ztkit)
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual const char* name() const = 0;  // "ztkit" or "kernel"
  virtual Expected<std::unique_ptr<Listener>> listen(std::uint16_t port) = 0;
  virtual Expected<std::unique_ptr<Stream>> connect(const SocketAddress& to, millis timeout,
                                                    bool nodelay) = 0;
  virtual Expected<std::unique_ptr<Datagram>> bind_udp(std::uint16_t port) = 0;
};

// Streams and sockets on network `nwid` of `node` (which must outlive the transport).
std::unique_ptr<Transport> make_ztkit_transport(ztkit::Node& node, std::uint64_t nwid);
// Kernel TCP/UDP sockets bound to `local` (an IPv4 or IPv6 address).
std::unique_ptr<Transport> make_kernel_transport(const IpAddress& local);

}  // namespace ztperf
