// The fallback backend: epoll for readiness, recvmmsg/sendmmsg in batches, an eventfd for
// wake(). Used where io_uring is unavailable (old kernel, seccomp, io_uring_disabled) or when
// asked for. Same semantics and counters as uring_backend (engine/io/backend.h).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>

#include "engine/io/backend.h"
#include "engine/io/socket_address.h"

namespace ztkit::io {

struct epoll_config {
  unsigned batch = 64;       // datagrams per recvmmsg / sendmmsg call
  unsigned tx_queue = 1024;  // datagrams queued between flush() calls (GSO fallback: segments)
};

class epoll_backend final : public backend {
 public:
  explicit epoll_backend(buf::buffer_pool& pool, const epoll_config& cfg = {});
  ~epoll_backend() override;

  std::string_view name() const override { return "epoll"; }
  status open(const socket_options& options) override;
  inet_address local_address() const override { return sock_.local; }
  bool send(tx_datagram&& d) override;
  void flush() override;
  std::size_t poll(std::span<rx_datagram> out, std::int64_t timeout_ns) override;
  void wake() override;
  int wake_fd() const override { return event_fd_; }
  void close() override;
  const backend_counters& counters() const override { return counters_; }

  bool gso() const { return gso_; }
  bool gro() const { return sock_.gro; }

 private:
  struct tx_entry {
    buf::packet_buffer buffer;  // empty for the 2nd.. segments of a split GSO send
    sockaddr_storage addr;
    iovec iov;
    std::uint32_t datagrams;
    alignas(8) std::uint8_t ctrl[udp_segment_cmsg_space];
  };

  std::size_t receive_batch(std::span<rx_datagram> out);
  void drain_dropping();
  void drain_eventfd();

  buf::buffer_pool& pool_;
  epoll_config cfg_;
  udp_socket sock_;
  int epoll_fd_ = -1;
  int event_fd_ = -1;
  bool gso_ = false;
  std::size_t rx_room_ = 0;  // payload bytes a slab takes after the default headroom

  // Receive batch state, allocated once at open().
  std::unique_ptr<mmsghdr[]> rx_msgs_;
  std::unique_ptr<iovec[]> rx_iov_;
  std::unique_ptr<sockaddr_storage[]> rx_addr_;
  std::unique_ptr<std::uint8_t[]> rx_ctrl_;
  std::unique_ptr<std::uint32_t[]> rx_index_;
  std::unique_ptr<std::uint8_t[]> scratch_;  // drop target while the pool is empty

  std::unique_ptr<tx_entry[]> tx_;
  std::unique_ptr<mmsghdr[]> tx_msgs_;
  std::size_t tx_count_ = 0;

  backend_counters counters_;
};

}  // namespace ztkit::io
