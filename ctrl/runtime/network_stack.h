// One joined network's local end: the network_port (ZeroTier's virtual switch port) wired to a
// netstack::interface (our IP stack on that network) with the buffer pool the stack builds its
// frames in. Frames the port delivers go into the interface; frames the interface emits go out
// through the port; a frame the interface answers while the port is still inside a call is sent
// after the call returns (the port is never re-entered).
//
// Created at the network's first config; the interface gets the config's managed IPv4/IPv6
// addresses, routes and MTU (the MTU of the first config: a later change needs a re-join, the
// interface's buffers are sized for it, counted in mtu_changes_ignored). Pure like its parts:
// every call takes `now`; the runner thread owns it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "ctrl/network/network_port.h"
#include "engine/buf/packet_buffer.h"
#include "netstack/iface/interface.h"

namespace ztkit::ctrl {

class network_stack;

// An application endpoint living on the stack (an API socket): it moves data between the
// application's queues and the interface's sockets on the runner thread.
class stack_client {
 public:
  virtual ~stack_client() = default;
  // After frames reached the interface: sockets may have data.
  virtual void on_input(network_stack& st, std::int64_t now) = 0;
  // Every loop pass of the runner: queued application sends go into the stack. Returning
  // false detaches the client (it closed its sockets first).
  virtual bool on_poll(network_stack& st, std::int64_t now) = 0;
  // Work left that the next pass can do at once (queued sends the stack had no room for):
  // the runner then does not sleep.
  virtual bool wants_pass() const { return false; }
  // Data the application handed over and the stack has not taken yet (a stopping node waits
  // for it, briefly).
  virtual bool holds_data() const { return false; }
};

struct network_stack_counters {
  std::uint64_t mtu_changes_ignored = 0;
};

class network_stack {
 public:
  network_stack(std::uint64_t nwid, zt_address self, network_io& io,
                network_port::options opt = {}, std::size_t max_tcp_sockets = 1024);

  std::uint64_t network_id() const { return port_.network_id(); }

  void set_config(std::int64_t now, std::shared_ptr<const wire::network_config> config);
  // An ICMP/ICMPv6 echo request from our stack (replies: iface()->take_echo_reply()).
  void send_ping(std::int64_t now, const wire::inet_address& dst, std::uint16_t ident,
                 std::uint16_t seq, std::span<const std::uint8_t> data);
  // Runs fn(port) (an inbound verb) at `now`; what the stack answers goes out afterwards. In
  // a batch (begin_batch .. end_batch: a loop pass's received datagrams) the answers, the
  // clients' on_input and the stack's output run once, at end_batch: they cost O(sockets and
  // clients), which per frame made every idle connection slow down every busy one.
  template <typename F>
  void port_call(std::int64_t now, F&& fn) {
    now_of_call_ = now;
    delivered_ = false;
    fn(port_);
    if (batching_) {
      batch_delivered_ |= delivered_;
      return;
    }
    send_taken(now);
    if (delivered_) after_delivery(now);
  }
  void begin_batch() { batching_ = true; }
  void end_batch(std::int64_t now) {
    batching_ = false;
    now_of_call_ = now;
    send_taken(now);
    if (std::exchange(batch_delivered_, false)) after_delivery(now);
  }
  // Called (runner thread) after frames reached the interface: sockets may have data now.
  // The application's hook for readiness without polling; keep it short.
  void set_on_input(std::function<void(network_stack&, std::int64_t now)> fn) {
    on_input_ = std::move(fn);
  }
  // Safe from inside a client's callback (a listener attaching an accepted stream): the new
  // client joins after the current pass.
  // Something written by the application is still on its way (client queues, TCP data or FINs).
  bool delivering() const {
    for (const auto& c : clients_)
      if (c->holds_data()) return true;
    return iface_ && iface_->tcp().delivering();
  }
  bool wants_pass() const {
    for (const auto& c : clients_)
      if (c->wants_pass()) return true;
    return !new_clients_.empty();
  }
  void attach(std::shared_ptr<stack_client> c) { new_clients_.push_back(std::move(c)); }
  // Interface timers and queued socket datagrams, then the port's timers.
  void poll(std::int64_t now);
  // Sends what the interface queued during a call made on it (socket sends, pings).
  void flush(std::int64_t now);

  network_port& port() { return port_; }
  const network_port& port() const { return port_; }
  // Null until the first config.
  netstack::interface* iface() { return iface_.get(); }
  const netstack::interface* iface() const { return iface_.get(); }
  const network_stack_counters& counters() const { return counters_; }

 private:
  void take(std::span<buf::packet_buffer> frames);
  // Frames reached the interface: the application's hook, the clients, then the stack's output.
  void after_delivery(std::int64_t now) {
    if (on_input_) on_input_(*this, now);
    adopt_clients();
    for (std::size_t i = 0; i < clients_.size(); ++i) clients_[i]->on_input(*this, now);
    adopt_clients();
    flush(now);
  }
  void send_taken(std::int64_t now);

  std::uint64_t nwid_;
  zt_address self_;
  network_port port_;
  std::unique_ptr<buf::buffer_pool> pool_;
  std::unique_ptr<netstack::interface> iface_;
  std::vector<buf::packet_buffer> out_;  // interface frames waiting for the port
  std::function<void(network_stack&, std::int64_t)> on_input_;
  std::vector<std::shared_ptr<stack_client>> clients_, new_clients_;
  void adopt_clients() {
    for (auto& c : new_clients_) clients_.push_back(std::move(c));
    new_clients_.clear();
  }
  bool delivered_ = false;
  bool batching_ = false, batch_delivered_ = false;
  std::int64_t now_of_call_ = 0;  // for frames the port delivers inside a call
  std::int64_t next_port_tick_ = 0;
  std::uint32_t mtu_ = 0;
  std::size_t max_tcp_sockets_ = 1024;
  network_stack_counters counters_;
};

}  // namespace ztkit::ctrl
