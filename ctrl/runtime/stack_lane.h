// A lane of a joined network's IP stack: a netstack::interface and the application endpoints
// (API sockets) living on it, on one shard thread. Lane 0 is the network_stack on shard 0 (it
// also holds the port, ZeroTier's virtual switch); lane k >= 1 is a flow_lane on shard k with
// the TCP flows that hash to k (flow_steer.h). Application endpoints see only this interface,
// so an API socket works the same on any lane.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "netstack/iface/interface.h"

namespace ztkit::ctrl {

class stack_lane;

// An application endpoint living on a lane (an API socket): it moves data between the
// application's queues and the interface's sockets on the lane's thread.
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
};

class stack_lane {
 public:
  explicit stack_lane(std::uint64_t nwid, unsigned index) : nwid_(nwid), index_(index) {}
  virtual ~stack_lane() = default;
  stack_lane(const stack_lane&) = delete;
  stack_lane& operator=(const stack_lane&) = delete;

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
  bool clients_want_pass() const {
    for (const auto& c : clients_)
      if (c->wants_pass()) return true;
    return !new_clients_.empty();
  }
  bool clients_hold_data() const {
    for (const auto& c : clients_)
      if (c->holds_data()) return true;
    return false;
  }

 protected:
  // Frames reached the interface: every client hears it.
  void clients_input(std::int64_t now) {
    adopt_clients();
    for (std::size_t i = 0; i < clients_.size(); ++i) clients_[i]->on_input(*this, now);
    adopt_clients();
  }
  // A loop pass: every client moves what its application queued; detached ones leave.
  void clients_poll(std::int64_t now) {
    adopt_clients();
    for (std::size_t i = 0; i < clients_.size();) {
      if (clients_[i]->on_poll(*this, now)) {
        ++i;
      } else {
        clients_[i] = std::move(clients_.back());
        clients_.pop_back();
      }
    }
    adopt_clients();
  }

 private:
  void adopt_clients() {
    for (auto& c : new_clients_) clients_.push_back(std::move(c));
    new_clients_.clear();
  }
  std::uint64_t nwid_;
  unsigned index_;
  std::vector<std::shared_ptr<stack_client>> clients_, new_clients_;
};

}  // namespace ztkit::ctrl
