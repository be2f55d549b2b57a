// The io_uring backend (architecture.md, shard box): multishot recvmsg into a provided-buffer
// ring whose buffers are slabs lent from the shard's pool (buffer id = slab index), batched
// sendmsg with one submit per flush(), UDP GSO/GRO, wake() through an eventfd read armed in
// the ring. Modelled on liburing's examples/io_uring-udp.c.
//
// Features are probed at open(); a missing one degrades, said once on stderr:
//   no provided-buffer ring or multishot recvmsg -> single-shot recvmsg, one slab per op
//   no UDP_SEGMENT -> segment_size sends go out as one sendmsg per segment
//   no UDP_GRO (or slabs too small for 64 KiB) -> datagrams arrive one by one
//   no SINGLE_ISSUER/DEFER_TASKRUN/COOP_TASKRUN -> a plain ring
// Pool exhaustion: when the buffer ring runs dry and the pool has no slab to refill it, the
// socket is drained into a scratch buffer (rx_dropped_no_buffer) and a POLLIN waits for data;
// receiving resumes as soon as slabs come back.
#pragma once

#include <liburing.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/io/backend.h"
#include "engine/io/socket_address.h"

namespace ztkit::io {

struct uring_config {
  unsigned sq_entries = 1024;       // submission queue; the completion queue is 4x
  unsigned buf_ring_entries = 1024; // most slabs lent to the kernel at once (power of two)
  // Most slab bytes lent at once (at least 4 slabs). The ring is consumed in FIFO order, so
  // lending more than the caches hold makes every receive land in cold memory: with 66 KiB
  // GRO slabs a 256-slab ring (17 MB) measured ~15% slower in the UDP echo than 16-32 slabs.
  // The default keeps 1024 slabs of 2 KiB.
  std::size_t lend_bytes = 2 << 20;
  unsigned tx_slots = 1024;         // sends queued or in flight
  unsigned single_shot_ops = 32;    // receives kept armed in single-shot mode
  // IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN: faster, but then open(), poll(), flush(),
  // send() and close() must all run on one thread (the ring is enabled on first use).
  bool defer_taskrun = false;
  bool force_single_shot = false;   // tests: take the degraded receive path
  bool force_no_gso = false;        // tests: take the GSO fallback path
};

class uring_backend final : public backend {
 public:
  explicit uring_backend(buf::buffer_pool& pool, const uring_config& cfg = {});
  ~uring_backend() override;

  std::string_view name() const override { return "io_uring"; }
  status open(const socket_options& options) override;
  inet_address local_address() const override { return sock_.local; }
  bool send(tx_datagram&& d) override;
  void flush() override;
  std::size_t poll(std::span<rx_datagram> out, std::int64_t timeout_ns) override;
  void wake() override;
  int wake_fd() const override { return event_fd_; }
  void close() override;
  const backend_counters& counters() const override { return counters_; }

  bool multishot() const { return mode_ == rx_mode::multishot; }
  bool gso() const { return gso_; }
  bool gro() const { return sock_.gro; }
  // Slabs lent to the kernel's provided-buffer ring right now.
  std::size_t lent() const { return in_ring_; }

  // Whether io_uring works in this process (queue_init succeeds); the reason when not.
  static status probe();

 private:
  enum class rx_mode { multishot, single_shot };
  enum class tag : std::uint32_t { recv = 1, recv_one, send, wake, pollin, cancel };

  struct ready_entry {
    std::uint32_t index;
    std::uint32_t headroom;
    std::uint32_t len;
    std::uint16_t segment_size;
    inet_address from;
  };
  struct tx_slot {
    buf::packet_buffer buffer;  // only in the slot that owns the slab
    msghdr msg;
    iovec iov;
    sockaddr_storage addr;
    std::uint32_t owner;        // the slot whose buffer this send reads
    std::uint32_t refs;         // on the owner: sends still reading its buffer
    std::uint32_t datagrams;
    alignas(8) std::uint8_t ctrl[udp_segment_cmsg_space];
  };
  struct recv_op {  // single-shot mode
    msghdr msg;
    iovec iov;
    sockaddr_storage addr;
    std::uint32_t index;
    bool armed;
    alignas(8) std::uint8_t ctrl[64];
  };

  static std::uint64_t make_tag(tag t, std::uint32_t i) {
    return (static_cast<std::uint64_t>(t) << 32) | i;
  }
  io_uring_sqe* get_sqe();
  bool ensure_started();
  void refill_ring();
  void arm();
  void arm_single(recv_op& op, std::uint32_t i);
  void reap(bool closing);
  void on_cqe(const io_uring_cqe* cqe, bool closing);
  void on_recv(const io_uring_cqe* cqe, bool closing);
  void on_recv_one(const io_uring_cqe* cqe, std::uint32_t i, bool closing);
  void on_send(const io_uring_cqe* cqe, std::uint32_t i);
  void push_ready(std::uint32_t index, std::uint32_t headroom, std::uint32_t len,
                  std::uint16_t segment, const inet_address& from);
  void drain_dropping();
  std::size_t deliver(std::span<rx_datagram> out);
  bool wait(std::int64_t timeout_ns);
  void release_tx(std::uint32_t slot);

  buf::buffer_pool& pool_;
  uring_config cfg_;
  udp_socket sock_;
  io_uring ring_{};
  bool ring_open_ = false;
  bool started_ = false;      // rings enabled and the first receive armed
  bool foreign_close_ = false;
  int event_fd_ = -1;
  bool gso_ = false;
  rx_mode mode_ = rx_mode::multishot;

  // Provided-buffer ring (multishot mode).
  io_uring_buf_ring* buf_ring_ = nullptr;
  std::size_t buf_ring_bytes_ = 0;
  unsigned buf_ring_mask_ = 0;
  std::size_t lend_target_ = 0;
  std::size_t in_ring_ = 0;                 // slabs the kernel holds
  std::vector<std::uint8_t> lent_;          // per slab index: held by the kernel
  std::uint32_t lend_offset_ = 0;           // where in a slab the kernel's buffer starts
  std::uint32_t rx_header_ = 0;             // recvmsg_out + name + control before the payload
  msghdr rx_msg_{};                         // the multishot template (name/control sizes)

  std::unique_ptr<recv_op[]> recv_ops_;     // single-shot mode
  unsigned recv_ops_n_ = 0;

  // Operations whose last completion has not arrived.
  bool recv_armed_ = false;
  bool pollin_armed_ = false;
  bool wake_armed_ = false;
  std::size_t inflight_ = 0;
  bool woken_ = false;
  std::uint64_t wake_value_ = 0;

  std::vector<ready_entry> ready_;          // received, not yet handed out (ring buffer)
  std::size_t ready_head_ = 0, ready_count_ = 0;

  std::unique_ptr<tx_slot[]> tx_;
  std::vector<std::uint32_t> tx_free_;
  std::vector<std::uint32_t> tx_queued_;
  std::unique_ptr<std::uint8_t[]> scratch_;

  std::vector<io_uring_cqe*> cqes_;
  backend_counters counters_;
};

}  // namespace ztkit::io
