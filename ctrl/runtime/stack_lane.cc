#include "ctrl/runtime/stack_lane.h"

namespace ztkit::ctrl {

void stack_lane::adopt_clients() {
  for (auto& c : new_clients_) {
    const std::int64_t idx = c->tcp_socket_index();
    if (idx < 0) {
      other_clients_.push_back(std::move(c));
      continue;
    }
    const auto i = static_cast<std::size_t>(idx);
    if (i >= by_socket_.size()) by_socket_.resize(i + 1, nullptr);
    by_socket_[i] = c.get();
    c->lane_pos_ = socket_clients_.size();
    fresh_.push_back(c.get());
    socket_clients_.push_back(std::move(c));
  }
  new_clients_.clear();
}

void stack_lane::remove_socket_client(stack_client* c) {
  const std::int64_t idx = c->tcp_socket_index();
  if (idx >= 0 && static_cast<std::size_t>(idx) < by_socket_.size() &&
      by_socket_[static_cast<std::size_t>(idx)] == c)
    by_socket_[static_cast<std::size_t>(idx)] = nullptr;
  const std::size_t pos = c->lane_pos_;
  c->lane_pos_ = stack_client::detached;
  if (pos != socket_clients_.size() - 1) {
    socket_clients_[pos] = std::move(socket_clients_.back());
    socket_clients_[pos]->lane_pos_ = pos;
  }
  socket_clients_.pop_back();  // may free c: nothing of it is used after this
}

void stack_lane::visit(std::int64_t now, bool input) {
  adopt_clients();
  ++pass_;
  // Clients without a socket of their own: every pass.
  for (std::size_t i = 0; i < other_clients_.size();) {
    if (input) {
      other_clients_[i++]->on_input(*this, now);
    } else if (other_clients_[i]->on_poll(*this, now)) {
      ++i;
    } else {
      other_clients_[i] = std::move(other_clients_.back());
      other_clients_.pop_back();
    }
  }
  // Socket clients: the ones their applications asked for, the new ones, and those whose
  // sockets may have news; each once per pass.
  // (The new ones first: fresh_ holds plain pointers, and only a visit removes a client.)
  for (std::size_t i = 0; i < fresh_.size(); ++i) visit_socket_client(now, fresh_[i]);
  fresh_.clear();
  inbox_->take(asked_);
  for (auto& c : asked_) {
    c->queued_.store(false, std::memory_order_release);  // a later call queues it again
    visit_socket_client(now, c.get());
  }
  asked_.clear();
  if (netstack::interface* ifc = iface()) {
    candidates_.clear();
    ifc->tcp().take_app_candidates(candidates_);
    for (const std::uint32_t i : candidates_)
      if (i < by_socket_.size() && by_socket_[i] != nullptr) visit_socket_client(now, by_socket_[i]);
  }
  adopt_clients();
}

}  // namespace ztkit::ctrl
