// A planet for a self-hosted root: this node as the single root at one stable endpoint, signed
// by a world key kept in the state folder.
//
//   <state>/root.world.secret   "<public hex>:<private hex>" (C25519, 64 + 64 bytes), mode 0600
//   <state>/planet              the signed planet (binary World, type planet)
//
// The world key is created on first use and reused afterwards, so a planet made later (new
// endpoint, new timestamp) is a valid update of an earlier one for nodes that hold it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "ctrl/state/state_dir.h"
#include "engine/base/result.h"
#include "engine/crypto/c25519.h"
#include "engine/crypto/identity.h"
#include "engine/wire/inet_address.h"
#include "engine/wire/world.h"

namespace ztkit::ctrl {

// "ztkit" in ASCII: the world ID of planets made by make_root_planet.
inline constexpr std::uint64_t ztkit_root_world_id = 0x7a746b6974ULL;

std::filesystem::path root_world_secret_path(const state_dir& dir);

// Loads <state>/root.world.secret, or creates it (0600) if absent. A present but corrupt file is
// an error (never silently replaced: nodes holding the planet would refuse its updates).
result<crypto::c25519_pair> load_or_create_world_key(const state_dir& dir);

// Makes the planet naming `self` (public part used) as the single root at `endpoints`, signed
// by the state folder's world key, timestamped `timestamp_ms`, and saves it as <state>/planet.
result<wire::world> make_root_planet(state_dir& dir, const crypto::identity& self,
                                     std::vector<wire::inet_address> endpoints,
                                     std::uint64_t timestamp_ms);

// Reads a planet file given on a command line: must parse, be a planet, and be signed by its
// own update key (as make_root_planet's are). Errors name the path and the reason.
result<wire::world> read_planet_file(const std::filesystem::path& path);

}  // namespace ztkit::ctrl
