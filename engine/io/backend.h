// The narrow I/O interface every shard talks to (architecture.md; style.md principle 7). Three
// implementations sit behind it and the rest of the engine cannot tell them apart:
//   io_uring  - multishot recvmsg into a provided-buffer ring, batched sendmsg, UDP GSO/GRO
//   epoll     - recvmmsg/sendmmsg, used when io_uring is unavailable or asked for
//   sim       - an in-memory network for tests (engine/io/sim/sim_network.h), virtual clock
//
// Threading: a backend belongs to one shard thread; only wake() may be called from elsewhere.
// Buffers: received datagrams arrive in packet_buffers from the shard's pool; datagrams to send
// move in as packet_buffers and their slabs return to the pool once the kernel is done.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "engine/base/result.h"
#include "engine/buf/packet_buffer.h"
#include "engine/wire/inet_address.h"

namespace ztkit::io {

using wire::inet_address;

struct rx_datagram {
  buf::packet_buffer buffer;  // the datagram (or, with GRO, several: see segment_size)
  inet_address from;
  // Nonzero when the kernel coalesced equal-sized datagrams (UDP GRO): the buffer holds
  // consecutive datagrams of this size, the last one possibly shorter.
  std::uint16_t segment_size = 0;
};

struct tx_datagram {
  buf::packet_buffer buffer;
  inet_address to;
  // Nonzero: the buffer holds datagrams of this size for the same destination, to be sent as
  // one UDP GSO (UDP_SEGMENT) send; the last one may be shorter.
  std::uint16_t segment_size = 0;
};

struct socket_options {
  inet_address bind = inet_address::v4({0, 0, 0, 0}, 0);  // port 0: the kernel picks one
  bool reuse_port = false;                 // SO_REUSEPORT (one socket per shard)
  int receive_buffer_bytes = 4 << 20;      // SO_RCVBUF (best effort)
  int send_buffer_bytes = 4 << 20;         // SO_SNDBUF (best effort)
  bool gro = true;                         // ask for UDP GRO where the backend supports it
  bool gso = true;                         // use UDP GSO for segment_size sends
};

struct backend_counters {
  std::uint64_t rx_datagrams = 0;
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_datagrams = 0;
  std::uint64_t tx_bytes = 0;
  std::uint64_t rx_dropped_no_buffer = 0;  // pool empty: the datagram was dropped
  std::uint64_t rx_truncated = 0;          // larger than a slab
  std::uint64_t tx_dropped_queue_full = 0; // send queue full before flush()
  std::uint64_t tx_errors = 0;             // the kernel refused a send
  std::uint64_t submits = 0;               // io_uring_submit / sendmmsg calls
  std::uint64_t wakeups = 0;
};

class backend {
 public:
  virtual ~backend() = default;

  virtual std::string_view name() const = 0;

  // Opens and binds the UDP socket. Errors name the address and the reason.
  virtual status open(const socket_options& options) = 0;
  virtual inet_address local_address() const = 0;

  // Queues a datagram; nothing leaves before flush(). Returns false (and counts a drop) if
  // the send queue is full; the buffer is then released.
  virtual bool send(tx_datagram&& d) = 0;
  // Hands everything queued to the kernel: one submit (io_uring) or sendmmsg batch per call.
  virtual void flush() = 0;

  // Moves up to out.size() received datagrams into `out`, waiting at most `timeout_ns` for the
  // first one (0: do not wait; negative: wait until a datagram or a wake()). Returns how many.
  virtual std::size_t poll(std::span<rx_datagram> out, std::int64_t timeout_ns) = 0;

  // Interrupts a poll() in progress; callable from any thread.
  virtual void wake() = 0;
  // The eventfd behind wake() (writing 1 to it is what wake() does), or -1 when there is none
  // (the simulated network). A caller may dup() it to wake this backend from threads that can
  // outlive it: a write to the dup after close() reaches no poll and is harmless.
  virtual int wake_fd() const { return -1; }

  // Cancels everything in flight, returns every buffer to its pool, closes the socket.
  // Idempotent; the destructor calls it.
  virtual void close() = 0;

  virtual const backend_counters& counters() const = 0;
};

enum class backend_kind { io_uring, epoll, automatic };

// Makes a backend of `kind` on `pool` (automatic: io_uring if the kernel allows it, else epoll,
// said once on stderr). Errors: the kind is unavailable here, with the reason.
result<std::unique_ptr<backend>> make_backend(backend_kind kind, buf::buffer_pool& pool);

}  // namespace ztkit::io
