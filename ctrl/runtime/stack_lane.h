// A lane of a joined network's IP stack: a netstack::interface and the application endpoints
// (API sockets) living on it, on one shard thread. Lane 0 is the network_stack on shard 0 (it
// also holds the port, ZeroTier's virtual switch); lane k >= 1 is a flow_lane on shard k with
// the TCP flows that hash to k (flow_steer.h). Application endpoints see only this interface,
// so an API socket works the same on any lane.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "engine/buf/packet_buffer.h"
#include "netstack/iface/interface.h"

namespace ztkit::ctrl {

class stack_lane;
class client_inbox;

// An application endpoint living on a lane (an API socket): it moves data between the
// application's queues and the interface's sockets on the lane's thread.
//
// A client that serves one TCP socket (tcp_socket_index() >= 0: an API stream) is visited
// only when it may have work: its socket was activated or is active
// (tcp_socket_set::take_app_candidates), or its application asked (client_inbox::notify),
// or it just joined. Other clients (listeners, UDP sockets) are visited on every pass. So a
// lane's pass costs what its busy connections need, not one call per open connection.
class stack_client {
 public:
  virtual ~stack_client() = default;
  // After frames reached the interface: sockets may have data.
  virtual void on_input(stack_lane& lane, std::int64_t now) = 0;
  // Every loop pass of the lane's thread: queued application sends go into the stack.
  // Returning false detaches the client (it closed its sockets first).
  virtual bool on_poll(stack_lane& lane, std::int64_t now) = 0;
  // Work left that the next pass can do at once (queued sends the stack had no room for):
  // the lane's thread then does not sleep.
  virtual bool wants_pass() const { return false; }
  // Data the application handed over and the stack has not taken yet (a stopping node waits
  // for it, briefly).
  virtual bool holds_data() const { return false; }
  // The slot index (tcp_handle::index) of the TCP socket this client serves; -1 if none.
  // Fixed from attach() until on_poll returns false.
  virtual std::int64_t tcp_socket_index() const { return -1; }

 private:
  friend class stack_lane;
  friend class client_inbox;
  static constexpr std::size_t detached = std::numeric_limits<std::size_t>::max();
  std::size_t lane_pos_ = detached;  // in the lane's socket clients (lane thread)
  std::uint64_t visited_pass_ = 0;   // lane thread
  std::atomic<bool> queued_{false};  // in the inbox
};

// Where application threads queue the socket clients they gave work (bytes written, room made
// by a read, close, options): the lane visits those at its next pass. A client is queued once
// until visited (one atomic exchange per call after that); the lock is taken only to queue.
// Clients hold their lane's inbox weakly: the inbox holds queued clients strongly, and a lane
// that is gone (network left, node stopped) must not keep them alive through it.
class client_inbox {
 public:
  // Any thread; then wake the lane's thread. `share` makes the owning pointer to `c` (called
  // only when c is not queued yet).
  template <typename Share>
  static void notify(const std::weak_ptr<client_inbox>& where, stack_client& c, Share&& share) {
    if (c.queued_.exchange(true, std::memory_order_acq_rel)) return;
    const std::shared_ptr<client_inbox> in = where.lock();
    if (!in) {  // not on a lane yet, or the lane is gone
      c.queued_.store(false, std::memory_order_release);
      return;
    }
    std::lock_guard lock(in->mu_);
    in->queued_.push_back(share());
    in->any_.store(true, std::memory_order_release);
  }
  // The lane's thread (no lock while nothing is queued: it looks twice per pass).
  void take(std::vector<std::shared_ptr<stack_client>>& out) {
    if (!any_.load(std::memory_order_acquire)) return;
    std::lock_guard lock(mu_);
    out.swap(queued_);
    any_.store(false, std::memory_order_relaxed);
  }

 private:
  std::mutex mu_;
  std::vector<std::shared_ptr<stack_client>> queued_;
  std::atomic<bool> any_{false};
};

class stack_lane {
 public:
  explicit stack_lane(std::uint64_t nwid, unsigned index) : nwid_(nwid), index_(index) {}
  virtual ~stack_lane() = default;
  stack_lane(const stack_lane&) = delete;
  stack_lane& operator=(const stack_lane&) = delete;

  // The pool a lane's interface builds its frames in: per slab headroom + Ethernet header +
  // MTU, rounded up to a 1 KiB multiple.
  static buf::buffer_pool::config frame_pool_config(std::size_t mtu) {
    constexpr std::size_t headroom = 64;
    return {.slab_size = (headroom + 14 + mtu + 1023) / 1024 * 1024, .count = 512, .headroom = headroom};
  }

  std::uint64_t network_id() const { return nwid_; }
  // 0: shard 0 (the network_stack); k: shard k.
  unsigned lane_index() const { return index_; }
  // Null until the network's first config.
  virtual netstack::interface* iface() = 0;
  virtual const netstack::interface* iface() const = 0;
  // Sends what the interface queued during a call made on it (socket sends, connects).
  virtual void flush(std::int64_t now) = 0;

  // Safe from inside a client's callback (a listener attaching an accepted stream): the new
  // client joins after the current pass.
  void attach(std::shared_ptr<stack_client> c) { new_clients_.push_back(std::move(c)); }
  // Where this lane's socket clients are queued by their applications.
  const std::shared_ptr<client_inbox>& inbox() const { return inbox_; }
  bool clients_want_pass() const {
    for (const auto& c : other_clients_)
      if (c->wants_pass()) return true;
    return !new_clients_.empty();
  }
  // Every client (a stopping node waits for their data; O(clients)).
  bool clients_hold_data() const {
    for (const auto& c : other_clients_)
      if (c->holds_data()) return true;
    for (const auto& c : socket_clients_)
      if (c->holds_data()) return true;
    return false;
  }
  std::size_t client_count() const { return other_clients_.size() + socket_clients_.size(); }

 protected:
  // Frames reached the interface: clients hear it (socket clients only if their socket moved).
  void clients_input(std::int64_t now) { visit(now, true); }
  // A loop pass: clients move what their applications queued; detached ones leave.
  void clients_poll(std::int64_t now) { visit(now, false); }

 private:
  void visit(std::int64_t now, bool input);
  void visit_socket_client(std::int64_t now, stack_client* c) {
    if (c->lane_pos_ == stack_client::detached || c->visited_pass_ == pass_) return;
    c->visited_pass_ = pass_;
    if (!c->on_poll(*this, now)) remove_socket_client(c);
  }
  void adopt_clients();
  void remove_socket_client(stack_client* c);

  std::uint64_t nwid_;
  unsigned index_;
  std::shared_ptr<client_inbox> inbox_ = std::make_shared<client_inbox>();
  std::vector<std::shared_ptr<stack_client>> other_clients_, new_clients_;
  std::vector<std::shared_ptr<stack_client>> socket_clients_;
  std::vector<stack_client*> by_socket_;             // socket slot index -> its client
  std::vector<stack_client*> fresh_;                 // adopted, not yet visited
  std::vector<std::shared_ptr<stack_client>> asked_;  // scratch: the inbox's content
  std::vector<std::uint32_t> candidates_;            // scratch: take_app_candidates
  std::uint64_t pass_ = 0;
};

}  // namespace ztkit::ctrl
