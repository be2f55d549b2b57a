// TCP streams and listeners on a joined network's managed addresses (ztkit's own TCP,
// netstack/tcp: RFC 9293 with SACK, window scaling, timestamps, CUBIC).
//
//   auto l = ztkit::TcpListener::listen(node, nwid, {{}, 8080});
//   auto s = l->accept(std::chrono::seconds(30));
//   auto c = ztkit::TcpStream::connect(node, nwid, *ztkit::SocketAddress::parse("10.147.17.2:8080"));
//   c->write_all(bytes);  auto n = s->read(buf);   // 0 = the peer closed its side
//
// A stream lives on the node's thread; bytes cross threads through two lock-free SPSC pipes
// (send and receive) of send_buffer / recv_buffer bytes, on top of the TCP socket's own
// buffers. Any application thread may use a stream (calls in one direction serialize among
// themselves). fd() is readable while there are bytes to read, at EOF and on errors: add it
// to epoll / asio / libuv and call read() with a zero timeout.
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

struct TcpOptions {
  // SO_SNDBUF / SO_RCVBUF: the pipe to the node, and the TCP socket's ring as much again. The
  // receive window auto-tunes up to recv_buffer: 16 MiB covers 1 Gbit/s x 100 ms (12.5 MB).
  // Pages are resident only once used (an idle stream costs a few KiB whatever the size).
  std::size_t send_buffer = 256 * 1024;
  std::size_t recv_buffer = 256 * 1024;
  bool nodelay = false;                  // TCP_NODELAY: no Nagle
  std::chrono::milliseconds keepalive_idle{0};  // SO_KEEPALIVE + TCP_KEEPIDLE; 0: off (RFC 1122 default)
  // TCP_KEEPINTVL / TCP_KEEPCNT: probe spacing and unanswered probes before timed_out. Used by
  // connect(); accepted streams keep the stack's 75 s / 9.
  std::chrono::milliseconds keepalive_interval{75000};
  unsigned keepalive_count = 9;
  // SO_LINGER. nullopt: close() returns at once; what was written is still delivered, then a
  // FIN, in the background. Zero: close() resets the connection (RST), dropping unsent data.
  // N > 0: close() waits up to N until everything written, FIN included, is acknowledged, and
  // returns timed_out if it was not (delivery then goes on in the background).
  std::optional<std::chrono::milliseconds> linger;
  // SO_RCVTIMEO / SO_SNDTIMEO: how long read() and write()/write_all() wait when called
  // without a timeout (negative: forever).
  std::chrono::milliseconds read_timeout{-1};
  std::chrono::milliseconds write_timeout{-1};
  // O_NONBLOCK: read() and write() without a timeout return would_block instead of waiting.
  bool non_blocking = false;
};

struct TcpStats {
  std::uint64_t bytes_sent = 0;      // acknowledged by the peer
  std::uint64_t bytes_received = 0;
  std::uint64_t retransmits = 0;
  std::uint32_t srtt_ms = 0;
  std::uint32_t cwnd = 0;
  std::uint32_t mss = 0;
};

class TcpStream {
 public:
  // Connects from the network's address that routes to `remote`. Waits up to `timeout`.
  static Expected<TcpStream> connect(Node& node, std::uint64_t nwid, SocketAddress remote,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                     TcpOptions options = {});

  TcpStream(TcpStream&&) noexcept;
  TcpStream& operator=(TcpStream&&) noexcept;
  ~TcpStream();  // close()

  // Up to buf.size() bytes; 0 at EOF (the peer shut down its side and everything was read).
  // Waits up to `timeout` for at least one byte (negative: forever; 0: would_block at once;
  // none given: the stream's read timeout, TcpOptions::read_timeout / non_blocking).
  Expected<std::size_t> read(std::span<std::byte> buf,
                             std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // Queues up to data.size() bytes (at least one unless timed out / would_block). Without a
  // timeout: the stream's write timeout.
  Expected<std::size_t> write(std::span<const std::byte> data,
                              std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // Queues all of `data`, waiting for room as needed (`timeout` bounds the whole call).
  Expected<void> write_all(std::span<const std::byte> data,
                           std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // Half-close: a FIN after what was written; reads continue.
  Expected<void> shutdown_write();
  // Graceful: what was written is still delivered, then FIN (see TcpOptions::linger for what
  // close() waits for; timed_out if the linger time passed first). Idempotent: a closed or
  // moved-from stream returns at once.
  Expected<void> close();
  // RST now; queued data is dropped.
  void abort();

  SocketAddress local_address() const;
  SocketAddress peer_address() const;
  int fd() const;
  TcpStats stats() const;
  Expected<void> set_nodelay(bool on);
  // The options of TcpOptions, changed on an open stream (closed: Errc::closed).
  Expected<void> set_keepalive(std::chrono::milliseconds idle);  // 0: off
  Expected<void> set_linger(std::optional<std::chrono::milliseconds> linger);
  Expected<void> set_read_timeout(std::chrono::milliseconds timeout);
  Expected<void> set_write_timeout(std::chrono::milliseconds timeout);
  Expected<void> set_nonblocking(bool on);
  bool is_open() const;  // false after close() / abort() and for a moved-from stream

  struct State;

 private:
  friend class TcpListener;
  friend struct poll_access;
  explicit TcpStream(std::shared_ptr<State> s);
  std::shared_ptr<State> s_;
};

class TcpListener {
 public:
  // Listens on `local` (ip none: every address of the network) with a SYN backlog of
  // `backlog` (SYN cookies beyond it).
  static Expected<TcpListener> listen(Node& node, std::uint64_t nwid, SocketAddress local,
                                      std::size_t backlog = 128, TcpOptions accepted = {});
  TcpListener(TcpListener&&) noexcept;
  TcpListener& operator=(TcpListener&&) noexcept;
  ~TcpListener();

  // The next established connection; waits up to `timeout`.
  Expected<TcpStream> accept(std::chrono::milliseconds timeout = std::chrono::milliseconds(-1));
  SocketAddress local_address() const;
  int fd() const;  // readable while a connection waits
  void close();

  struct State;

 private:
  friend struct poll_access;
  explicit TcpListener(std::shared_ptr<State> s);
  std::shared_ptr<State> s_;
};

}  // namespace ztkit
