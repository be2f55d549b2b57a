// The member side of one joined network (ZeroTierOne 1.14 Network.cpp: requestConfiguration,
// handleConfigChunk, setConfiguration, status; Node::processBackgroundTasks; IncomingPacket
// _doNETWORK_CONFIG / _doERROR; zerotier-protocol.md §5.1-§5.3, §3 ERROR), as a pure state
// machine: time comes in as `now`, packets go out through network_io, nothing reads a clock.
//
//   join(now)      loads networks.d/<nwid>.conf (if a state_dir is given) so managed IPs are
//                  known at once, then sends NETWORK_CONFIG_REQUEST immediately (fast join: not
//                  on the next 5 s tick as 1.14 does).
//   on_tick(now)   re-requests like 1.14's background task: every 5 s while we hold no config
//                  (or after an error), every 60 s (ZT_NETWORK_AUTOCONF_DELAY) once we do.
//   on_config_ok / on_network_config
//                  chunks of OK(NETWORK_CONFIG_REQUEST) / NETWORK_CONFIG through a
//                  config_assembler checked with the controller identity; a chunk that arrives
//                  before that identity is known is kept (at most max_pending) and replayed when
//                  it is. A completed config is applied atomically as a new immutable snapshot.
//                  A completed NETWORK_CONFIG push is acknowledged with OK in-re ECHO (1.14).
//   on_error       ERROR in-re NETWORK_CONFIG_REQUEST for this network from its controller only.
//
// Where this differs from 1.14.1:
//   - The first request leaves at join (1.14: next background tick, up to 5 s later).
//   - CLIENT_TOO_OLD is never set by 1.14's core either; PORT_ERROR comes from set_port_error.
//   - No SSO (AUTHENTICATION_REQUIRED is reported as a status, its dictionary is ignored).
//   - Fast-propagate re-sending of chunks (flag 0x01) to other members is not done.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ctrl/network/network_io.h"
#include "ctrl/state/state_dir.h"
#include "engine/wire/config_chunks.h"
#include "engine/wire/network_config.h"
#include "engine/wire/verbs.h"

namespace ztkit::ctrl {

// ZT_VirtualNetworkStatus.
enum class network_status : std::uint8_t {
  requesting_configuration = 0,
  ok = 1,
  access_denied = 2,
  not_found = 3,
  port_error = 4,
  client_too_old = 5,
  authentication_required = 6,
};
const char* to_string(network_status s);

struct network_member_events {
  std::function<void(std::uint64_t nwid, network_status)> on_status;
  // A new config is in force (static_ips, routes, mtu, ... in the snapshot). `from_cache`:
  // loaded from networks.d at join, not yet confirmed by the controller.
  std::function<void(std::uint64_t nwid, std::shared_ptr<const wire::network_config>, bool from_cache)>
      on_config;
  // A problem worth a log line (corrupt cached config, save failure).
  std::function<void(std::uint64_t nwid, const std::string&)> on_problem;
};

struct network_member_counters {
  std::uint64_t requests_sent = 0;
  std::uint64_t chunks_accepted = 0;
  std::uint64_t chunks_rejected = 0;   // malformed, wrong network, bad signature, ...
  std::uint64_t chunks_pending = 0;    // kept until the controller identity is known
  std::uint64_t chunks_dropped = 0;    // pending queue full
  std::uint64_t configs_applied = 0;
  std::uint64_t configs_rejected = 0;  // complete but unparsable, or not for us
  std::uint64_t configs_unchanged = 0;
  std::uint64_t errors_ignored = 0;    // ERROR not from the controller or not for us
  std::uint64_t acks_sent = 0;
  std::uint64_t cache_corrupt = 0;
};

struct network_member_options {
  std::string os_arch = "linux/x86_64";  // metadata `o`
  state_dir* state = nullptr;            // networks.d persistence (none if null)
};

class network_member {
 public:
  using options = network_member_options;
  static constexpr std::int64_t request_interval_no_config = 5000;  // ZT_PING_CHECK_INTERVAL
  static constexpr std::int64_t refresh_interval = 60000;           // ZT_NETWORK_AUTOCONF_DELAY
  static constexpr std::size_t max_pending = 16;

  network_member(std::uint64_t network_id, zt_address self, network_io& io,
                 network_member_events events = {}, options opt = {});

  std::uint64_t network_id() const { return nwid_; }
  zt_address controller() const { return zt_address(nwid_ >> 24); }

  void join(std::int64_t now);
  // The first half of join(): loads networks.d/<nwid>.conf (and records the network as
  // joined there) without asking the controller, for a join that must wait until the node is
  // online: the cached addresses are up at once. join() calls it if it was not called.
  void load_cached(std::int64_t now);
  // Stops requesting and forgets the config; removes networks.d/<nwid>.conf. 1.14 sends nothing.
  void leave();
  void on_tick(std::int64_t now);

  // OK(NETWORK_CONFIG_REQUEST): `body` after [in-re verb][in-re packet id]; `packet_id` of the OK.
  void on_config_ok(std::int64_t now, zt_address from, std::uint64_t packet_id,
                    std::span<const std::uint8_t> body);
  // NETWORK_CONFIG (0x0c) payload.
  void on_network_config(std::int64_t now, zt_address from, std::uint64_t packet_id,
                         std::span<const std::uint8_t> payload);
  void on_error(std::int64_t now, zt_address from, const wire::error_payload& e);

  // The tap could not be brought up (Network::setPortError). 0 clears it.
  void set_port_error(int code);

  network_status status() const;
  bool joined() const { return joined_; }
  std::shared_ptr<const wire::network_config> config() const { return config_; }
  std::int64_t last_request() const { return last_request_; }
  const network_member_counters& counters() const { return counters_; }

  // The NETWORK_CONFIG_REQUEST payload we send now (exposed for tests and captures).
  std::vector<std::uint8_t> request_payload() const;

 private:
  enum class failure : std::uint8_t { none, access_denied, not_found, auth_required };
  struct pending_chunk {
    zt_address from;
    std::uint64_t packet_id;
    std::vector<std::uint8_t> body;
    bool pushed;
  };

  void send_request(std::int64_t now);
  void handle_chunk(std::int64_t now, zt_address from, std::uint64_t packet_id,
                    std::span<const std::uint8_t> body, bool pushed);
  void replay_pending(std::int64_t now);
  // Network::setConfiguration. Returns whether the config parsed (for the ack).
  bool apply(std::int64_t now, std::span<const std::uint8_t> dict, bool from_cache, bool save);
  void load_cache(std::int64_t now);
  void set_failure(failure f);
  void notify_status(network_status before);
  void problem(const std::string& what);

  std::uint64_t nwid_;
  zt_address self_;
  network_io& io_;
  network_member_events events_;
  options opt_;
  bool joined_ = false;
  bool cache_loaded_ = false;
  failure failure_ = failure::none;
  int port_error_ = 0;
  std::shared_ptr<const wire::network_config> config_;
  bool config_confirmed_ = false;  // came from the controller (not only the cache)
  std::int64_t last_request_ = 0;
  bool requested_ = false;
  std::int64_t last_config_update_ = 0;
  std::optional<wire::config_assembler> assembler_;
  std::deque<pending_chunk> pending_;
  network_member_counters counters_;
};

}  // namespace ztkit::ctrl
