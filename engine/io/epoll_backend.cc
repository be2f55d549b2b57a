#include "engine/io/epoll_backend.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ztkit::io {

namespace {
std::int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
constexpr std::size_t scratch_bytes = 65536;
// Coalesced (GRO) datagrams reach 64 KiB; smaller slabs would truncate them, so GRO is only
// asked for when a slab can hold that much.
constexpr std::size_t gro_min_room = 65535;
}  // namespace

epoll_backend::epoll_backend(buf::buffer_pool& pool, const epoll_config& cfg)
    : pool_(pool), cfg_(cfg) {
  cfg_.batch = std::clamp(cfg_.batch, 1u, 1024u);
  cfg_.tx_queue = std::max(cfg_.tx_queue, 1u);
}

epoll_backend::~epoll_backend() { close(); }

status epoll_backend::open(const socket_options& options) {
  if (sock_.fd >= 0) return error{errc::failed_precondition, "epoll backend: already open"};
  rx_room_ = pool_.slab_size() - pool_.default_headroom();
  auto s = open_udp_socket(options, options.gro && rx_room_ >= gro_min_room);
  if (!s.ok()) return s.status();
  sock_ = *s;
  gso_ = options.gso && kernel_has_udp_gso();

  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || event_fd_ < 0) {
    const int err = errno;
    close();
    return error{errc::io_error, std::string("epoll backend: epoll/eventfd: ") + std::strerror(err)};
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = sock_.fd;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, sock_.fd, &ev);
  ev.data.fd = event_fd_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, event_fd_, &ev);

  const unsigned b = cfg_.batch;
  rx_msgs_ = std::make_unique<mmsghdr[]>(b);
  rx_iov_ = std::make_unique<iovec[]>(b);
  rx_addr_ = std::make_unique<sockaddr_storage[]>(b);
  rx_ctrl_ = std::make_unique<std::uint8_t[]>(b * 64);
  rx_index_ = std::make_unique<std::uint32_t[]>(b);
  scratch_ = std::make_unique<std::uint8_t[]>(scratch_bytes);
  tx_ = std::make_unique<tx_entry[]>(cfg_.tx_queue);
  tx_msgs_ = std::make_unique<mmsghdr[]>(cfg_.tx_queue);
  tx_count_ = 0;
  return {};
}

bool epoll_backend::send(tx_datagram&& d) {
  const std::size_t size = d.buffer.size();
  const bool split = d.segment_size > 0 && size > d.segment_size && !gso_;
  const std::size_t pieces = split ? (size + d.segment_size - 1) / d.segment_size : 1;
  if (sock_.fd < 0 || !d.buffer || tx_count_ + pieces > cfg_.tx_queue) {
    ++counters_.tx_dropped_queue_full;
    d.buffer = {};
    return false;
  }
  std::uint8_t* data = d.buffer.data();
  for (std::size_t p = 0; p < pieces; ++p) {
    tx_entry& e = tx_[tx_count_];
    mmsghdr& m = tx_msgs_[tx_count_];
    ++tx_count_;
    std::memset(&m, 0, sizeof(m));
    const socklen_t alen = to_sockaddr_for(d.to, sock_.family, e.addr);
    const std::size_t off = split ? p * d.segment_size : 0;
    const std::size_t len = split ? std::min<std::size_t>(d.segment_size, size - off) : size;
    e.iov = {data + off, len};
    m.msg_hdr.msg_name = &e.addr;
    m.msg_hdr.msg_namelen = alen;
    m.msg_hdr.msg_iov = &e.iov;
    m.msg_hdr.msg_iovlen = 1;
    e.datagrams = 1;
    if (!split && d.segment_size > 0 && size > d.segment_size) {
      set_udp_segment_cmsg(m.msg_hdr, e.ctrl, d.segment_size);
      e.datagrams = static_cast<std::uint32_t>((size + d.segment_size - 1) / d.segment_size);
    }
    // The first entry owns the slab; it is released after the whole batch has gone.
    if (p == 0) e.buffer = std::move(d.buffer);
  }
  return true;
}

void epoll_backend::flush() {
  std::size_t i = 0;
  while (i < tx_count_) {
    const std::size_t n = std::min<std::size_t>(tx_count_ - i, cfg_.batch);
    ++counters_.submits;
    const int r = ::sendmmsg(sock_.fd, &tx_msgs_[i], static_cast<unsigned>(n), 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      // The first datagram of the batch was refused (EAGAIN: socket buffer full, or an
      // unreachable destination): count it and go on with the next one.
      counters_.tx_errors += tx_[i].datagrams;
      ++i;
      continue;
    }
    for (int k = 0; k < r; ++k) {
      counters_.tx_datagrams += tx_[i + k].datagrams;
      counters_.tx_bytes += tx_msgs_[i + k].msg_len;
    }
    i += static_cast<std::size_t>(r);
  }
  for (std::size_t k = 0; k < tx_count_; ++k) tx_[k].buffer = {};
  tx_count_ = 0;
}

void epoll_backend::drain_dropping() {
  // The pool is empty: datagrams are read into scratch and dropped (counted), so the socket
  // never backs up with data nobody can hold.
  for (;;) {
    const unsigned b = cfg_.batch;
    for (unsigned k = 0; k < b; ++k) {
      std::memset(&rx_msgs_[k], 0, sizeof(mmsghdr));
      rx_iov_[k] = {scratch_.get(), scratch_bytes};
      rx_msgs_[k].msg_hdr.msg_iov = &rx_iov_[k];
      rx_msgs_[k].msg_hdr.msg_iovlen = 1;
    }
    const int r = ::recvmmsg(sock_.fd, rx_msgs_.get(), b, MSG_DONTWAIT, nullptr);
    if (r <= 0) return;
    counters_.rx_dropped_no_buffer += static_cast<unsigned>(r);
    if (static_cast<unsigned>(r) < b) return;
  }
}

std::size_t epoll_backend::receive_batch(std::span<rx_datagram> out) {
  std::size_t produced = 0;
  const std::size_t headroom = pool_.default_headroom();
  while (produced < out.size()) {
    const unsigned want =
        static_cast<unsigned>(std::min<std::size_t>(cfg_.batch, out.size() - produced));
    unsigned took = 0;
    while (took < want && pool_.take_index(rx_index_[took])) ++took;
    if (took == 0) {
      drain_dropping();
      break;
    }
    for (unsigned k = 0; k < took; ++k) {
      msghdr& h = rx_msgs_[k].msg_hdr;
      std::memset(&rx_msgs_[k], 0, sizeof(mmsghdr));
      rx_iov_[k] = {pool_.slab_data(rx_index_[k]) + headroom, rx_room_};
      h.msg_iov = &rx_iov_[k];
      h.msg_iovlen = 1;
      h.msg_name = &rx_addr_[k];
      h.msg_namelen = sizeof(sockaddr_storage);
      if (sock_.gro) {
        h.msg_control = &rx_ctrl_[k * 64];
        h.msg_controllen = 64;
      }
    }
    const int r = ::recvmmsg(sock_.fd, rx_msgs_.get(), took, MSG_DONTWAIT, nullptr);
    const unsigned got = r > 0 ? static_cast<unsigned>(r) : 0;
    for (unsigned k = 0; k < got; ++k) {
      const msghdr& h = rx_msgs_[k].msg_hdr;
      const std::size_t len = rx_msgs_[k].msg_len;
      if (h.msg_flags & MSG_TRUNC) {
        ++counters_.rx_truncated;
        pool_.return_index(rx_index_[k]);
        continue;
      }
      rx_datagram& d = out[produced++];
      d.buffer = pool_.adopt(rx_index_[k], headroom, len);
      d.from = from_sockaddr(reinterpret_cast<const sockaddr*>(&rx_addr_[k]), h.msg_namelen);
      d.segment_size = sock_.gro ? gro_segment_from_control(h.msg_control, h.msg_controllen) : 0;
      if (d.segment_size >= len) d.segment_size = 0;
      counters_.rx_datagrams += d.segment_size ? (len + d.segment_size - 1) / d.segment_size : 1;
      counters_.rx_bytes += len;
    }
    for (unsigned k = got; k < took; ++k) pool_.return_index(rx_index_[k]);
    if (got < took) break;  // the socket is empty
  }
  return produced;
}

void epoll_backend::drain_eventfd() {
  std::uint64_t v;
  if (::read(event_fd_, &v, sizeof(v)) == sizeof(v)) ++counters_.wakeups;
}

std::size_t epoll_backend::poll(std::span<rx_datagram> out, std::int64_t timeout_ns) {
  if (sock_.fd < 0 || out.empty()) return 0;
  // A caller that may wait asks epoll first (level-triggered: it returns at once if datagrams
  // are queued); a receive before it would mostly fail with EAGAIN: a caller waits when it had
  // nothing to do, and then usually nothing has arrived. One system call fewer per wake-up.
  if (timeout_ns == 0) return receive_batch(out);
  // EINTR (a signal, or io_uring task work on this thread) restarts with the time left.
  const std::int64_t deadline = timeout_ns > 0 ? now_ns() + timeout_ns : 0;
  epoll_event events[2];
  int r;
  for (;;) {
    if (timeout_ns < 0) {
      r = ::epoll_wait(epoll_fd_, events, 2, -1);
    } else {
      const std::int64_t left = std::max<std::int64_t>(deadline - now_ns(), 0);
      timespec ts{static_cast<time_t>(left / 1000000000), static_cast<long>(left % 1000000000)};
      r = ::epoll_pwait2(epoll_fd_, events, 2, &ts, nullptr);
      if (r < 0 && errno == ENOSYS)
        r = ::epoll_wait(epoll_fd_, events, 2, static_cast<int>((left + 999999) / 1000000));
    }
    if (r >= 0 || errno != EINTR) break;
  }
  bool readable = false;
  for (int i = 0; i < r; ++i) {
    if (events[i].data.fd == event_fd_) drain_eventfd();
    else readable = true;
  }
  return readable ? receive_batch(out) : 0;
}

void epoll_backend::wake() {
  const std::uint64_t one = 1;
  if (event_fd_ >= 0) (void)!::write(event_fd_, &one, sizeof(one));
}

void epoll_backend::close() {
  // Every syscall here is synchronous, so nothing is in flight: release what is queued.
  for (std::size_t k = 0; k < tx_count_; ++k) tx_[k].buffer = {};
  tx_count_ = 0;
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (event_fd_ >= 0) ::close(event_fd_);
  if (sock_.fd >= 0) ::close(sock_.fd);
  epoll_fd_ = event_fd_ = -1;
  sock_.fd = -1;
}

}  // namespace ztkit::io
