#include "engine/io/uring_backend.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ztkit::io {

namespace {

constexpr std::size_t scratch_bytes = 65536;
constexpr std::size_t gro_min_room = 65535 + 256;
constexpr std::uint32_t rx_name_bytes = 32;  // sockaddr_in6 (28) rounded to 8
constexpr std::uint32_t rx_ctrl_bytes = 64;  // room for a UDP_GRO cmsg

// Degradations are said once per process, not once per backend (one per shard).
void note_once(std::atomic<bool>& said, const char* text) {
  if (!said.exchange(true)) std::fprintf(stderr, "ztkit: io_uring: %s\n", text);
}
std::atomic<bool> said_flags, said_buf_ring, said_multishot, said_gso, said_gro, said_cancel;

std::int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

unsigned floor_pow2(unsigned v) {
  unsigned p = 1;
  while (p * 2 <= v) p *= 2;
  return p;
}

}  // namespace

status uring_backend::probe() {
  io_uring r;
  const int ret = io_uring_queue_init(4, &r, 0);
  if (ret < 0) {
    std::string why = std::strerror(-ret);
    if (FILE* f = std::fopen("/proc/sys/kernel/io_uring_disabled", "r")) {
      int v = 0;
      if (std::fscanf(f, "%d", &v) == 1 && v != 0)
        why += " (kernel.io_uring_disabled=" + std::to_string(v) + ")";
      std::fclose(f);
    }
    return error{errc::unsupported, "io_uring unavailable: io_uring_queue_init: " + why};
  }
  io_uring_queue_exit(&r);
  return {};
}

uring_backend::uring_backend(buf::buffer_pool& pool, const uring_config& cfg)
    : pool_(pool), cfg_(cfg) {
  cfg_.sq_entries = std::clamp(cfg_.sq_entries, 8u, 32768u);
  cfg_.buf_ring_entries = floor_pow2(std::clamp(cfg_.buf_ring_entries, 1u, 32768u));
  cfg_.tx_slots = std::max(cfg_.tx_slots, 1u);
  cfg_.single_shot_ops = std::clamp(cfg_.single_shot_ops, 1u, 1024u);
}

uring_backend::~uring_backend() { close(); }

status uring_backend::open(const socket_options& options) {
  if (ring_open_) return error{errc::failed_precondition, "io_uring backend: already open"};
  const bool want_gro = options.gro && pool_.slab_size() >= gro_min_room;
  if (options.gro && !want_gro && pool_.slab_size() >= 9000)
    note_once(said_gro, "slabs too small for 64 KiB GRO batches: UDP GRO off");
  auto s = open_udp_socket(options, want_gro);
  if (!s.ok()) return s.status();
  sock_ = *s;
  if (want_gro && !sock_.gro) note_once(said_gro, "UDP_GRO refused by the kernel: GRO off");
  gso_ = options.gso && !cfg_.force_no_gso && kernel_has_udp_gso();
  if (options.gso && !cfg_.force_no_gso && !gso_)
    note_once(said_gso, "UDP_SEGMENT unavailable: one sendmsg per segment");

  io_uring_params p{};
  p.cq_entries = cfg_.sq_entries * 4;
  const unsigned base = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
  unsigned flags = base | IORING_SETUP_TASKRUN_FLAG |
                   (cfg_.defer_taskrun ? IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
                                             IORING_SETUP_R_DISABLED
                                       : IORING_SETUP_COOP_TASKRUN);
  p.flags = flags;
  int ret = io_uring_queue_init_params(cfg_.sq_entries, &ring_, &p);
  if (ret == -EINVAL) {
    note_once(said_flags, "kernel refuses COOP/DEFER_TASKRUN setup flags: plain ring");
    cfg_.defer_taskrun = false;
    p = io_uring_params{};
    p.cq_entries = cfg_.sq_entries * 4;
    p.flags = IORING_SETUP_CQSIZE;
    ret = io_uring_queue_init_params(cfg_.sq_entries, &ring_, &p);
  }
  if (ret < 0) {
    ::close(sock_.fd);
    sock_.fd = -1;
    return error{errc::unsupported,
                 std::string("io_uring backend: io_uring_queue_init: ") + std::strerror(-ret)};
  }
  ring_open_ = true;
  started_ = false;
  event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0) {
    const int err = errno;
    close();
    return error{errc::io_error, std::string("io_uring backend: eventfd: ") + std::strerror(err)};
  }

  const std::size_t cap = pool_.capacity();
  lent_.assign(cap, 0);
  ready_.assign(cap, ready_entry{});
  ready_head_ = ready_count_ = 0;
  cqes_.assign(p.cq_entries, nullptr);
  tx_ = std::make_unique<tx_slot[]>(cfg_.tx_slots);
  tx_free_.clear();
  tx_free_.reserve(cfg_.tx_slots);
  for (unsigned i = cfg_.tx_slots; i-- > 0;) tx_free_.push_back(i);
  tx_queued_.clear();
  tx_queued_.reserve(cfg_.tx_slots);
  scratch_ = std::make_unique<std::uint8_t[]>(scratch_bytes);
  recv_ops_n_ = static_cast<unsigned>(std::min<std::size_t>(cfg_.single_shot_ops, std::max<std::size_t>(1, cap / 2)));
  recv_ops_ = std::make_unique<recv_op[]>(recv_ops_n_);
  for (unsigned i = 0; i < recv_ops_n_; ++i) recv_ops_[i].armed = false;
  recv_armed_ = pollin_armed_ = wake_armed_ = false;
  inflight_ = 0;

  mode_ = rx_mode::single_shot;
  if (!cfg_.force_single_shot) {
    // The provided-buffer ring: entries point into pool slabs, at lend_offset_ so that the
    // payload lands at the pool's default headroom after the recvmsg_out header, the name
    // and the control block the kernel writes in front of it.
    const unsigned entries = cfg_.buf_ring_entries;
    buf_ring_bytes_ = (entries * sizeof(io_uring_buf) + 4095) / 4096 * 4096;
    void* mem = ::mmap(nullptr, buf_ring_bytes_, PROT_READ | PROT_WRITE,
                       MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem != MAP_FAILED) {
      buf_ring_ = static_cast<io_uring_buf_ring*>(mem);
      io_uring_buf_ring_init(buf_ring_);
      io_uring_buf_reg reg{};
      reg.ring_addr = reinterpret_cast<std::uintptr_t>(buf_ring_);
      reg.ring_entries = entries;
      reg.bgid = 0;
      const int r = io_uring_register_buf_ring(&ring_, &reg, 0);
      if (r == 0) {
        mode_ = rx_mode::multishot;
        buf_ring_mask_ = io_uring_buf_ring_mask(entries);
      } else {
        ::munmap(buf_ring_, buf_ring_bytes_);
        buf_ring_ = nullptr;
        note_once(said_buf_ring, "no provided-buffer rings: single-shot recvmsg");
      }
    }
  }
  const std::size_t by_bytes = std::max<std::size_t>(4, cfg_.lend_bytes / std::max<std::size_t>(1, pool_.slab_size()));
  lend_target_ = std::min({std::size_t{cfg_.buf_ring_entries}, std::max<std::size_t>(1, cap / 2), by_bytes});
  in_ring_ = 0;
  const std::uint32_t ctrl = sock_.gro ? rx_ctrl_bytes : 0;
  rx_header_ = sizeof(io_uring_recvmsg_out) + rx_name_bytes + ctrl;
  const std::size_t headroom = pool_.default_headroom();
  lend_offset_ = headroom > rx_header_ ? static_cast<std::uint32_t>((headroom - rx_header_) & ~std::size_t{7}) : 0;
  rx_msg_ = msghdr{};
  rx_msg_.msg_namelen = rx_name_bytes;
  rx_msg_.msg_controllen = ctrl;

  if (!cfg_.defer_taskrun) {
    // Receiving starts now; with DEFER_TASKRUN it starts on the owning thread's first call.
    ensure_started();
    io_uring_submit(&ring_);
  }
  return {};
}

io_uring_sqe* uring_backend::get_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (!sqe) {
    io_uring_submit(&ring_);
    ++counters_.submits;
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

bool uring_backend::ensure_started() {
  if (started_) return true;
  // io_uring_enable_rings() is declared by liburing 2.3 but missing from its library.
  if (cfg_.defer_taskrun &&
      ::syscall(__NR_io_uring_register, ring_.ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0) < 0)
    return false;
  started_ = true;
  refill_ring();
  arm();
  return true;
}

void uring_backend::refill_ring() {
  if (mode_ != rx_mode::multishot || !buf_ring_) return;
  int added = 0;
  const std::uint32_t len = static_cast<std::uint32_t>(pool_.slab_size() - lend_offset_);
  std::uint32_t index;
  while (in_ring_ < lend_target_ && pool_.available() > 0 && pool_.take_index(index)) {
    if (index > 0xffff) {  // buffer ids are 16 bits
      pool_.return_index(index);
      break;
    }
    io_uring_buf_ring_add(buf_ring_, pool_.slab_data(index) + lend_offset_, len,
                          static_cast<unsigned short>(index), buf_ring_mask_, added++);
    lent_[index] = 1;
    ++in_ring_;
  }
  if (added) io_uring_buf_ring_advance(buf_ring_, added);
}

void uring_backend::arm_single(recv_op& op, std::uint32_t i) {
  const std::size_t headroom = pool_.default_headroom();
  op.msg = msghdr{};
  op.iov = {pool_.slab_data(op.index) + headroom, pool_.slab_size() - headroom};
  op.msg.msg_name = &op.addr;
  op.msg.msg_namelen = sizeof(op.addr);
  op.msg.msg_iov = &op.iov;
  op.msg.msg_iovlen = 1;
  if (sock_.gro) {
    std::memset(op.ctrl, 0, sizeof(op.ctrl));
    op.msg.msg_control = op.ctrl;
    op.msg.msg_controllen = sizeof(op.ctrl);
  }
  io_uring_sqe* sqe = get_sqe();
  // MSG_TRUNC: the result is the datagram's real length, so truncation shows.
  io_uring_prep_recvmsg(sqe, sock_.fd, &op.msg, MSG_TRUNC);
  io_uring_sqe_set_data64(sqe, make_tag(tag::recv_one, i));
  op.armed = true;
  ++inflight_;
}

void uring_backend::arm() {
  if (!started_) return;
  if (!wake_armed_) {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_read(sqe, event_fd_, &wake_value_, sizeof(wake_value_), 0);
    io_uring_sqe_set_data64(sqe, make_tag(tag::wake, 0));
    wake_armed_ = true;
    ++inflight_;
  }
  bool receiving = false;
  if (mode_ == rx_mode::multishot) {
    if (!recv_armed_ && in_ring_ > 0) {
      io_uring_sqe* sqe = get_sqe();
      io_uring_prep_recvmsg_multishot(sqe, sock_.fd, &rx_msg_, MSG_TRUNC);
      sqe->flags |= IOSQE_BUFFER_SELECT;
      sqe->buf_group = 0;
      io_uring_sqe_set_data64(sqe, make_tag(tag::recv, 0));
      recv_armed_ = true;
      ++inflight_;
    }
    receiving = recv_armed_;
  } else {
    for (unsigned i = 0; i < recv_ops_n_; ++i) {
      recv_op& op = recv_ops_[i];
      if (!op.armed && pool_.available() > 0 && pool_.take_index(op.index)) arm_single(op, i);
      receiving |= op.armed;
    }
  }
  if (!receiving) {
    // No slab to receive into: drop what is queued (counted) and wait for more data, so the
    // socket never holds a backlog nobody can take.
    drain_dropping();
    if (!pollin_armed_) {
      io_uring_sqe* sqe = get_sqe();
      io_uring_prep_poll_add(sqe, sock_.fd, POLLIN);
      io_uring_sqe_set_data64(sqe, make_tag(tag::pollin, 0));
      pollin_armed_ = true;
      ++inflight_;
    }
  }
}

void uring_backend::drain_dropping() {
  for (;;) {
    const ssize_t r = ::recv(sock_.fd, scratch_.get(), scratch_bytes, MSG_DONTWAIT);
    if (r < 0) return;
    ++counters_.rx_dropped_no_buffer;
  }
}

void uring_backend::push_ready(std::uint32_t index, std::uint32_t headroom, std::uint32_t len,
                               std::uint16_t segment, const inet_address& from) {
  if (segment >= len) segment = 0;
  ready_entry& e = ready_[(ready_head_ + ready_count_) % ready_.size()];
  e = ready_entry{index, headroom, len, segment, from};
  ++ready_count_;
  counters_.rx_datagrams += segment ? (len + segment - 1) / segment : 1;
  counters_.rx_bytes += len;
}

void uring_backend::on_recv(const io_uring_cqe* cqe, bool closing) {
  if (!(cqe->flags & IORING_CQE_F_MORE)) {
    recv_armed_ = false;
    --inflight_;
  }
  if (cqe->flags & IORING_CQE_F_BUFFER) {
    const std::uint32_t bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
    if (bid >= lent_.size() || !lent_[bid]) return;  // cannot happen; never trust it blindly
    lent_[bid] = 0;
    --in_ring_;
    std::uint8_t* base = pool_.slab_data(bid) + lend_offset_;
    io_uring_recvmsg_out* o = cqe->res >= 0 ? io_uring_recvmsg_validate(base, cqe->res, &rx_msg_) : nullptr;
    if (closing || !o) {
      pool_.return_index(bid);
      return;
    }
    if (o->flags & MSG_TRUNC) {
      ++counters_.rx_truncated;
      pool_.return_index(bid);
      return;
    }
    auto* payload = static_cast<std::uint8_t*>(io_uring_recvmsg_payload(o, &rx_msg_));
    const std::uint32_t len = io_uring_recvmsg_payload_length(o, cqe->res, &rx_msg_);
    const auto* name = static_cast<const sockaddr*>(io_uring_recvmsg_name(o));
    const inet_address from = from_sockaddr(name, std::min<socklen_t>(o->namelen, rx_name_bytes));
    const std::uint16_t seg =
        sock_.gro ? gro_segment_from_control(reinterpret_cast<const std::uint8_t*>(name) + rx_name_bytes,
                                             std::min<std::uint32_t>(o->controllen, rx_msg_.msg_controllen))
                  : 0;
    push_ready(bid, static_cast<std::uint32_t>(payload - pool_.slab_data(bid)), len, seg, from);
    return;
  }
  if (cqe->res == -EINVAL || cqe->res == -EOPNOTSUPP) {
    if (!closing && counters_.rx_datagrams == 0 && mode_ == rx_mode::multishot) {
      // The kernel has buffer rings but not multishot recvmsg (before 6.0).
      note_once(said_multishot, "no multishot recvmsg: single-shot recvmsg");
      io_uring_unregister_buf_ring(&ring_, 0);
      ::munmap(buf_ring_, buf_ring_bytes_);
      buf_ring_ = nullptr;
      for (std::size_t i = 0; i < lent_.size(); ++i)
        if (lent_[i]) {
          lent_[i] = 0;
          pool_.return_index(static_cast<std::uint32_t>(i));
        }
      in_ring_ = 0;
      mode_ = rx_mode::single_shot;
    }
  }
  // -ENOBUFS: the ring ran dry; arm() refills it and re-arms, or drains while the pool is empty.
}

void uring_backend::on_recv_one(const io_uring_cqe* cqe, std::uint32_t i, bool closing) {
  recv_op& op = recv_ops_[i];
  op.armed = false;
  --inflight_;
  const std::size_t headroom = pool_.default_headroom();
  if (closing || cqe->res < 0) {
    pool_.return_index(op.index);
    return;
  }
  if (static_cast<std::size_t>(cqe->res) > op.iov.iov_len) {
    ++counters_.rx_truncated;
    pool_.return_index(op.index);
    return;
  }
  const inet_address from = from_sockaddr(reinterpret_cast<const sockaddr*>(&op.addr), op.msg.msg_namelen);
  const std::uint16_t seg =
      sock_.gro ? gro_segment_from_control(op.ctrl, std::min<std::size_t>(op.msg.msg_controllen, sizeof(op.ctrl))) : 0;
  push_ready(op.index, static_cast<std::uint32_t>(headroom), static_cast<std::uint32_t>(cqe->res), seg, from);
}

void uring_backend::release_tx(std::uint32_t slot) {
  const std::uint32_t owner = tx_[slot].owner;
  if (--tx_[owner].refs == 0) {
    tx_[owner].buffer = {};
    tx_free_.push_back(owner);
  }
  if (slot != owner) tx_free_.push_back(slot);
}

void uring_backend::on_send(const io_uring_cqe* cqe, std::uint32_t slot) {
  --inflight_;
  if (cqe->res < 0) {
    counters_.tx_errors += tx_[slot].datagrams;
  } else {
    counters_.tx_datagrams += tx_[slot].datagrams;
    counters_.tx_bytes += static_cast<std::uint64_t>(cqe->res);
  }
  release_tx(slot);
}

void uring_backend::on_cqe(const io_uring_cqe* cqe, bool closing) {
  const std::uint64_t ud = io_uring_cqe_get_data64(cqe);
  const auto t = static_cast<tag>(ud >> 32);
  const auto i = static_cast<std::uint32_t>(ud);
  switch (t) {
    case tag::recv: on_recv(cqe, closing); break;
    case tag::recv_one: on_recv_one(cqe, i, closing); break;
    case tag::send: on_send(cqe, i); break;
    case tag::wake:
      wake_armed_ = false;
      --inflight_;
      if (cqe->res > 0) {
        ++counters_.wakeups;
        woken_ = true;
      }
      break;
    case tag::pollin:
      pollin_armed_ = false;
      --inflight_;
      break;
    case tag::cancel:
      if (cqe->res == -EINVAL) note_once(said_cancel, "IORING_ASYNC_CANCEL_ANY unsupported");
      break;
    default: break;  // liburing's own timeouts
  }
}

void uring_backend::reap(bool closing) {
  for (;;) {
    const unsigned n = io_uring_peek_batch_cqe(&ring_, cqes_.data(), static_cast<unsigned>(cqes_.size()));
    for (unsigned k = 0; k < n; ++k) on_cqe(cqes_[k], closing);
    io_uring_cq_advance(&ring_, n);
    if (n < cqes_.size()) break;
  }
  if (!closing) refill_ring();
}

std::size_t uring_backend::deliver(std::span<rx_datagram> out) {
  const std::size_t n = std::min(out.size(), ready_count_);
  for (std::size_t k = 0; k < n; ++k) {
    const ready_entry& e = ready_[ready_head_];
    ready_head_ = (ready_head_ + 1) % ready_.size();
    out[k].buffer = pool_.adopt(e.index, e.headroom, e.len);
    out[k].from = e.from;
    out[k].segment_size = e.segment_size;
  }
  ready_count_ -= n;
  return n;
}

bool uring_backend::send(tx_datagram&& d) {
  const std::size_t size = d.buffer.size();
  const bool split = d.segment_size > 0 && size > d.segment_size && !gso_;
  const std::size_t pieces = split ? (size + d.segment_size - 1) / d.segment_size : 1;
  if (ring_open_ && tx_free_.size() < pieces && started_) {
    if (cfg_.defer_taskrun) io_uring_get_events(&ring_);
    reap(false);
  }
  if (!ring_open_ || !d.buffer || tx_free_.size() < pieces) {
    ++counters_.tx_dropped_queue_full;
    d.buffer = {};
    return false;
  }
  std::uint8_t* data = d.buffer.data();
  std::uint32_t owner = 0;
  for (std::size_t p = 0; p < pieces; ++p) {
    const std::uint32_t slot = tx_free_.back();
    tx_free_.pop_back();
    if (p == 0) owner = slot;
    tx_slot& s = tx_[slot];
    s.owner = owner;
    s.msg = msghdr{};
    const socklen_t alen = to_sockaddr_for(d.to, sock_.family, s.addr);
    const std::size_t off = split ? p * d.segment_size : 0;
    const std::size_t len = split ? std::min<std::size_t>(d.segment_size, size - off) : size;
    s.iov = {data + off, len};
    s.msg.msg_name = &s.addr;
    s.msg.msg_namelen = alen;
    s.msg.msg_iov = &s.iov;
    s.msg.msg_iovlen = 1;
    s.datagrams = 1;
    if (!split && d.segment_size > 0 && size > d.segment_size) {
      set_udp_segment_cmsg(s.msg, s.ctrl, d.segment_size);
      s.datagrams = static_cast<std::uint32_t>((size + d.segment_size - 1) / d.segment_size);
    }
    tx_queued_.push_back(slot);
  }
  tx_[owner].refs = static_cast<std::uint32_t>(pieces);
  tx_[owner].buffer = std::move(d.buffer);
  return true;
}

void uring_backend::flush() {
  if (!ring_open_ || !ensure_started()) return;
  for (std::uint32_t slot : tx_queued_) {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_sendmsg(sqe, sock_.fd, &tx_[slot].msg, 0);
    io_uring_sqe_set_data64(sqe, make_tag(tag::send, slot));
    ++inflight_;
  }
  tx_queued_.clear();
  if (io_uring_sq_ready(&ring_) == 0) return;
  io_uring_submit(&ring_);
  ++counters_.submits;
}

bool uring_backend::wait(std::int64_t timeout_ns) {
  const std::int64_t deadline = timeout_ns > 0 ? now_ns() + timeout_ns : 0;
  for (;;) {
    int ret;
    io_uring_cqe* cqe = nullptr;
    if (timeout_ns < 0) {
      ret = io_uring_submit_and_wait(&ring_, 1);
    } else {
      const std::int64_t left = std::max<std::int64_t>(deadline - now_ns(), 0);
      __kernel_timespec ts{left / 1000000000, left % 1000000000};
      ret = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    }
    reap(false);
    arm();
    if (ready_count_ > 0 || woken_) return true;
    if (ret == -ETIME || (timeout_ns > 0 && now_ns() >= deadline)) return false;
    if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) return false;
  }
}

std::size_t uring_backend::poll(std::span<rx_datagram> out, std::int64_t timeout_ns) {
  if (!ring_open_ || !ensure_started()) return 0;
  woken_ = false;
  if (out.empty()) {  // still reaps: send completions release their slabs
    if (cfg_.defer_taskrun) io_uring_get_events(&ring_);
    reap(false);
    return 0;
  }
  if (ready_count_ < out.size()) {
    if (cfg_.defer_taskrun || io_uring_sq_ready(&ring_) > 0) io_uring_submit_and_get_events(&ring_);
    reap(false);
    arm();
    if (ready_count_ == 0 && timeout_ns != 0 && !woken_) wait(timeout_ns);
    else if (io_uring_sq_ready(&ring_) > 0) io_uring_submit(&ring_);
  }
  return deliver(out);
}

void uring_backend::wake() {
  const std::uint64_t one = 1;
  if (event_fd_ >= 0) (void)!::write(event_fd_, &one, sizeof(one));
}

void uring_backend::close() {
  if (!ring_open_) return;
  for (std::uint32_t slot : tx_queued_) release_tx(slot);
  tx_queued_.clear();
  if (started_) {
    // Cancel every request, then reap until each has posted its last completion, so that no
    // slab is still lent to the kernel when it goes back to the pool.
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
    io_uring_sqe_set_data64(sqe, make_tag(tag::cancel, 0));
    const int r = io_uring_submit(&ring_);
    if (r != -EEXIST) {  // -EEXIST: another thread owns a SINGLE_ISSUER ring; exit cancels
      const std::int64_t deadline = now_ns() + 2000000000;
      while (inflight_ > 0 && now_ns() < deadline) {
        io_uring_cqe* cqe;
        __kernel_timespec ts{0, 10000000};
        io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
        reap(true);
      }
    }
  }
  if (buf_ring_) {
    io_uring_unregister_buf_ring(&ring_, 0);
    ::munmap(buf_ring_, buf_ring_bytes_);
    buf_ring_ = nullptr;
  }
  io_uring_queue_exit(&ring_);
  ring_open_ = false;
  started_ = false;
  for (std::size_t i = 0; i < lent_.size(); ++i)
    if (lent_[i]) {
      lent_[i] = 0;
      pool_.return_index(static_cast<std::uint32_t>(i));
    }
  in_ring_ = 0;
  for (; ready_count_ > 0; --ready_count_) {
    pool_.return_index(ready_[ready_head_].index);
    ready_head_ = (ready_head_ + 1) % ready_.size();
  }
  for (unsigned i = 0; i < recv_ops_n_; ++i)
    if (recv_ops_[i].armed) {
      recv_ops_[i].armed = false;
      pool_.return_index(recv_ops_[i].index);
    }
  for (unsigned i = 0; i < cfg_.tx_slots && tx_; ++i) tx_[i].buffer = {};
  recv_armed_ = pollin_armed_ = wake_armed_ = false;
  inflight_ = 0;
  if (event_fd_ >= 0) ::close(event_fd_);
  event_fd_ = -1;
  if (sock_.fd >= 0) ::close(sock_.fd);
  sock_.fd = -1;
}

}  // namespace ztkit::io
