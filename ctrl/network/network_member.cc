#include "ctrl/network/network_member.h"

#include <utility>

#include "engine/wire/bytes.h"

namespace ztkit::ctrl {

const char* to_string(network_status s) {
  switch (s) {
    case network_status::requesting_configuration: return "REQUESTING_CONFIGURATION";
    case network_status::ok: return "OK";
    case network_status::access_denied: return "ACCESS_DENIED";
    case network_status::not_found: return "NOT_FOUND";
    case network_status::port_error: return "PORT_ERROR";
    case network_status::client_too_old: return "CLIENT_TOO_OLD";
    case network_status::authentication_required: return "AUTHENTICATION_REQUIRED";
  }
  return "UNKNOWN";
}

network_member::network_member(std::uint64_t network_id, zt_address self, network_io& io,
                               network_member_events events, options opt)
    : nwid_(network_id), self_(self), io_(io), events_(std::move(events)), opt_(std::move(opt)) {}

// Network::status(): a failure wins, then the port error, then "have a config".
network_status network_member::status() const {
  switch (failure_) {
    case failure::access_denied: return network_status::access_denied;
    case failure::not_found: return network_status::not_found;
    case failure::auth_required: return network_status::authentication_required;
    case failure::none: break;
  }
  if (port_error_ != 0) return network_status::port_error;
  return config_ ? network_status::ok : network_status::requesting_configuration;
}

void network_member::notify_status(network_status before) {
  const network_status now_status = status();
  if (now_status != before && events_.on_status) events_.on_status(nwid_, now_status);
}

void network_member::problem(const std::string& what) {
  if (events_.on_problem) events_.on_problem(nwid_, what);
}

void network_member::load_cached(std::int64_t now) {
  if (cache_loaded_) return;
  cache_loaded_ = true;
  if (opt_.state) {
    load_cache(now);
    if (auto st = opt_.state->add_network(nwid_); !st.ok()) problem(st.message());
  }
}

void network_member::join(std::int64_t now) {
  if (joined_) return;
  joined_ = true;
  load_cached(now);
  send_request(now);  // fast join: at once, not on the next tick
}

void network_member::load_cache(std::int64_t now) {
  auto bytes = opt_.state->load_network_config(nwid_);
  if (!bytes.ok()) {
    if (bytes.code() != errc::not_found) {
      ++counters_.cache_corrupt;
      problem(bytes.message());
    }
    return;
  }
  if (state_dir::is_placeholder(*bytes)) return;
  if (!apply(now, *bytes, /*from_cache=*/true, /*save=*/false)) {
    ++counters_.cache_corrupt;
    problem(opt_.state->network_path(nwid_).string() + ": cached network config is corrupt; ignored");
  }
}

void network_member::leave() {
  // A join still waiting for the node to come online has already loaded (and recorded) the
  // network: leaving it must forget it too.
  if (!joined_ && !cache_loaded_) return;
  cache_loaded_ = false;
  const network_status before = status();
  joined_ = false;
  config_.reset();
  config_confirmed_ = false;
  assembler_.reset();
  pending_.clear();
  failure_ = failure::none;
  if (opt_.state)
    if (auto st = opt_.state->remove_network(nwid_); !st.ok()) problem(st.message());
  notify_status(before);
}

std::vector<std::uint8_t> network_member::request_payload() const {
  wire::config_request req;
  req.network_id = nwid_;
  req.metadata = wire::config_request::default_metadata(opt_.os_arch);
  if (config_) {  // Network::requestConfiguration sends the revision/timestamp we hold
    req.revision = config_->revision;
    req.timestamp = static_cast<std::uint64_t>(config_->timestamp);
  }
  return req.to_bytes();
}

void network_member::send_request(std::int64_t now) {
  const auto payload = request_payload();
  last_request_ = now;
  requested_ = true;
  if (io_.send_verb(now, controller(), wire::verb::network_config_request, payload, true))
    ++counters_.requests_sent;
}

// Node::processBackgroundTasks: `if (now - lastConfigUpdate >= ZT_NETWORK_AUTOCONF_DELAY ||
// !hasConfig()) requestConfiguration()` once per 5 s tick. A config only from the cache, or a
// controller error, counts as "no config" so the member keeps asking every 5 s.
void network_member::on_tick(std::int64_t now) {
  if (!joined_) return;
  replay_pending(now);
  const bool settled = config_confirmed_ && failure_ == failure::none;
  const bool due = !requested_ || now - last_request_ >= request_interval_no_config;
  if (!due) return;
  if (!settled || now - last_config_update_ >= refresh_interval) send_request(now);
}

void network_member::on_config_ok(std::int64_t now, zt_address from, std::uint64_t packet_id,
                                  std::span<const std::uint8_t> body) {
  if (!joined_) return;
  handle_chunk(now, from, packet_id, body, false);
}

void network_member::on_network_config(std::int64_t now, zt_address from, std::uint64_t packet_id,
                                       std::span<const std::uint8_t> payload) {
  if (!joined_) return;
  handle_chunk(now, from, packet_id, payload, true);
}

void network_member::replay_pending(std::int64_t now) {
  if (pending_.empty() || !io_.identity_of(controller())) return;
  auto queue = std::exchange(pending_, {});
  for (auto& c : queue) handle_chunk(now, c.from, c.packet_id, c.body, c.pushed);
}

// Network::handleConfigChunk, then setConfiguration and (for a push) the OK in-re ECHO ack.
void network_member::handle_chunk(std::int64_t now, zt_address from, std::uint64_t packet_id,
                                  std::span<const std::uint8_t> body, bool pushed) {
  auto chunk = wire::config_chunk::parse(body);
  if (!chunk.ok() || chunk->network_id != nwid_) {
    ++counters_.chunks_rejected;
    return;
  }
  const crypto::identity* ctl = io_.identity_of(controller());
  if (!ctl) {
    // 1.14 drops it (the identity is unknown) and relies on the next request; we keep a few
    // so that the config applies as soon as the WHOIS answer arrives.
    if (pending_.size() >= max_pending) {
      pending_.pop_front();
      ++counters_.chunks_dropped;
    }
    pending_.push_back({from, packet_id, {body.begin(), body.end()}, pushed});
    ++counters_.chunks_pending;
    return;
  }
  if (!assembler_) assembler_.emplace(nwid_, *ctl);
  auto added = assembler_->add(*chunk, from, packet_id);
  if (!added.ok()) {
    ++counters_.chunks_rejected;
    return;
  }
  ++counters_.chunks_accepted;
  if (!added->has_value()) return;
  const auto& done = **added;
  const bool parsed = apply(now, done.dictionary, false, true);
  if (parsed && pushed) {
    // IncomingPacket::_doNETWORK_CONFIG answers OK with in-re ECHO (sic):
    // [1 0x08][8 packet id][8 nwid][8 config update id].
    std::vector<std::uint8_t> ack(25);
    ack[0] = static_cast<std::uint8_t>(wire::verb::echo);
    wire::store_be64(ack.data() + 1, packet_id);
    wire::store_be64(ack.data() + 9, nwid_);
    wire::store_be64(ack.data() + 17, done.update_id);
    if (io_.send_verb(now, from, wire::verb::ok, ack, false)) ++counters_.acks_sent;
  }
}

// Network::setConfiguration: must parse, be for us and this network; identical = no-op.
bool network_member::apply(std::int64_t now, std::span<const std::uint8_t> dict, bool from_cache,
                           bool save) {
  auto parsed = wire::network_config::parse(dict);
  if (!parsed.ok()) {
    ++counters_.configs_rejected;
    return false;
  }
  if (parsed->issued_to != self_ || parsed->network_id != nwid_) {
    ++counters_.configs_rejected;
    return !from_cache;  // still acknowledged like 1.14 (the chunk itself was fine)
  }
  const network_status before = status();
  if (!from_cache) {
    failure_ = failure::none;
    config_confirmed_ = true;
    last_config_update_ = now;
  }
  if (config_ && *config_ == *parsed) {
    ++counters_.configs_unchanged;
    notify_status(before);
    return true;
  }
  config_ = std::make_shared<const wire::network_config>(std::move(parsed).value());
  ++counters_.configs_applied;
  if (save && opt_.state)
    if (auto st = opt_.state->save_network_config(nwid_, dict); !st.ok()) problem(st.message());
  if (events_.on_config) events_.on_config(nwid_, config_, from_cache);
  notify_status(before);
  return true;
}

void network_member::set_failure(failure f) {
  const network_status before = status();
  failure_ = f;
  notify_status(before);
}

// IncomingPacket::_doERROR: honoured only from this network's controller, in-re
// NETWORK_CONFIG_REQUEST for this network.
void network_member::on_error(std::int64_t now, zt_address from, const wire::error_payload& e) {
  (void)now;
  if (!joined_ || from != controller() ||
      e.in_re_verb != static_cast<std::uint8_t>(wire::verb::network_config_request) ||
      !e.network_id || *e.network_id != nwid_) {
    ++counters_.errors_ignored;
    return;
  }
  switch (e.error()) {
    case wire::error_code::obj_not_found:
    case wire::error_code::unsupported_operation: set_failure(failure::not_found); break;
    case wire::error_code::network_access_denied: set_failure(failure::access_denied); break;
    case wire::error_code::network_authentication_required: set_failure(failure::auth_required); break;
    default: ++counters_.errors_ignored; break;
  }
}

void network_member::set_port_error(int code) {
  const network_status before = status();
  port_error_ = code;
  notify_status(before);
}

}  // namespace ztkit::ctrl
