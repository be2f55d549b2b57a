// The node's state directory, laid out as zerotier-one 1.14's home folder where they overlap
// (service/OneService.cpp nodeStateGetFunction/nodeStatePutFunction; zerotier-protocol.md §7):
//
//   identity.secret               "<address>:0:<public hex>:<private hex>", mode 0600
//   identity.public               "<address>:0:<public hex>"
//   planet                        binary World (type planet) overriding the built-in one
//   moons.d/<16 hex id>.moon      binary World (type moon), one per orbited moon
//   peers.d/<10 hex addr>.peer    peer_cache_entry (peer_cache.h); deleted after 30 days
//   networks.d/<16 hex nwid>.conf netconf dictionary as received, "\n" until the first one
//
// Every write is atomic (atomic_file.h). Every file read is checked before use: a missing file
// is normal, a truncated or corrupt one is an error naming the path and the reason, counted in
// corrupt_files(), kept in recent_problems(), and never used. The identity is the exception
// that stops the node: a corrupt identity.secret is never replaced by a new identity.
//
// Not thread-safe: the control thread owns it. No clock is read; expiry takes `now`.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "ctrl/state/peer_cache.h"
#include "engine/base/result.h"
#include "engine/base/zt_address.h"
#include "engine/crypto/identity.h"
#include "engine/wire/world.h"

namespace ztkit::ctrl {

// OneService cleans peers.d of files older than 30 days (2592000000 ms).
inline constexpr std::int64_t peer_cache_max_age_ms = 2592000000LL;

// What load_planet chose, and why.
struct planet_choice {
  enum class source { builtin, file };
  wire::world planet;
  source from = source::builtin;
  // Set when a `planet` file exists but was not used: "<path>: <reason>". Empty otherwise.
  std::string file_problem;
};

class state_dir {
 public:
  static constexpr mode_t dir_mode = 0700;
  static constexpr mode_t secret_mode = 0600;
  static constexpr mode_t public_mode = 0644;
  static constexpr std::size_t max_recent_problems = 32;

  // Opens `path`, creating it (and missing parents) with mode 0700 if it does not exist. Fails
  // if it is not a folder or we cannot write to it. Sweeps temporary files left by a crash.
  static result<state_dir> open(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return dir_; }
  std::filesystem::path identity_secret_path() const { return dir_ / "identity.secret"; }
  std::filesystem::path identity_public_path() const { return dir_ / "identity.public"; }
  std::filesystem::path planet_path() const { return dir_ / "planet"; }
  std::filesystem::path moon_path(std::uint64_t world_id) const;
  std::filesystem::path peer_path(zt_address address) const;
  std::filesystem::path network_path(std::uint64_t nwid) const;

  // --- identity -------------------------------------------------------------------------
  // First start (no identity.secret): generates an identity and writes identity.secret (0600)
  // and identity.public. Afterwards: loads identity.secret and checks it fully (parses, has a
  // private key, passes the memory-hard check, the private key yields the public key); on any
  // failure returns errc::data_loss naming the path and the reason and the node must not start.
  // Refuses as well when identity.secret is missing but identity.public exists (the secret was
  // lost: making a new address silently would be worse). identity.public is rewritten when
  // missing or not matching. A group/other-readable identity.secret is tightened to 0600.
  result<crypto::identity> load_or_create_identity();

  // --- planet ---------------------------------------------------------------------------
  // Topology::Topology's order: a `planet` file is adopted whatever its ID if it parses, is a
  // planet, and its signature verifies (by its own update key, as a freshly made planet is
  // signed; or by `builtin`'s update key, as an update of the built-in planet is; or it equals
  // `builtin`); otherwise it is reported and `builtin` is used. Then `builtin` replaces the
  // adopted planet only by the World update rule (same ID, newer, signed by the adopted
  // planet's update key).
  planet_choice load_planet(const wire::world& builtin = wire::earth_planet());
  status save_planet(const wire::world& planet);

  // The World update rule for a planet or moon we hold: if current.should_be_replaced_by(update)
  // then `current` becomes `update` and is saved (planet or moons.d). Returns false when the
  // update is refused; an error when it was adopted but could not be saved.
  result<bool> accept_world_update(wire::world& current, const wire::world& update);

  // --- moons.d --------------------------------------------------------------------------
  std::vector<std::uint64_t> list_moons();
  // Checks: parses, is a moon, its ID matches the file name, signed by its own update key.
  result<wire::world> load_moon(std::uint64_t world_id);
  // Every moon that loads; the others are reported and skipped.
  std::vector<wire::world> load_moons();
  status save_moon(const wire::world& moon);  // orbit
  status remove_moon(std::uint64_t world_id);  // deorbit (not an error if absent)

  // --- peers.d --------------------------------------------------------------------------
  std::vector<zt_address> list_peers();
  // Checks the format, that the identity is the file's address and passes locallyValidate.
  result<peer_cache_entry> load_peer(zt_address address);
  status save_peer(const peer_cache_entry& entry);
  status remove_peer(zt_address address);
  // Deletes files in peers.d last modified more than 30 days before `now_ms` (ms since the
  // epoch), as OneService does hourly. Returns how many were deleted.
  std::size_t expire_peers(std::int64_t now_ms);

  // --- networks.d -----------------------------------------------------------------------
  std::vector<std::uint64_t> list_networks();  // presence = joined
  // Raw bytes; is_placeholder() tells "joined, no config yet" apart.
  result<std::vector<std::uint8_t>> load_network_config(std::uint64_t nwid);
  status save_network_config(std::uint64_t nwid, std::span<const std::uint8_t> dictionary);
  // Marks a network joined: writes the "\n" placeholder unless a config is already stored.
  status add_network(std::uint64_t nwid);
  status remove_network(std::uint64_t nwid);  // leave (not an error if absent)
  // Network::Network reads a config only from more than one byte.
  static bool is_placeholder(std::span<const std::uint8_t> conf) { return conf.size() <= 1; }

  // --- corrupt files --------------------------------------------------------------------
  // A node's shard (networks.d) and control thread (peers.d, moons.d) may both report: these
  // two are guarded.
  std::uint64_t corrupt_files() const {
    std::lock_guard lock(*mu_);
    return corrupt_files_;
  }
  std::deque<error> recent_problems() const {
    std::lock_guard lock(*mu_);
    return recent_problems_;
  }

 private:
  explicit state_dir(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // Counts and records a corrupt file; returns the error for chaining.
  error report(error e);
  status ensure_subdir(const char* name);
  std::vector<std::string> names_in(const char* subdir) const;

  std::filesystem::path dir_;
  std::shared_ptr<std::mutex> mu_ = std::make_shared<std::mutex>();  // shared_ptr: movable
  std::uint64_t corrupt_files_ = 0;
  std::deque<error> recent_problems_;
};

}  // namespace ztkit::ctrl
