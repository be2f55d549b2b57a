// Whole-file reads and atomic whole-file writes for the state directory (architecture.md, "The
// state directory"): a reader sees either the old file or the new one, never a partial one,
// even across a crash or power loss.
//
// atomic_write: create a temporary file beside the target (".<name>.tmp.XXXXXX", same folder so
// rename(2) stays on one filesystem), write everything, fsync it, rename it over the target,
// then fsync the folder so the rename itself is durable. On any failure the temporary file is
// removed and the target is untouched. A crash can still leave a temporary file behind;
// remove_stale_temp_files() sweeps those at start-up.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "engine/base/result.h"

namespace ztkit::ctrl {

// Writes `bytes` to `path` atomically with permission bits `mode` (not subject to the umask:
// identity.secret must be 0600 whatever the umask). Errors are errc::io_error naming the path
// and the system's reason.
status atomic_write(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                    mode_t mode);
status atomic_write(const std::filesystem::path& path, std::string_view text, mode_t mode);

// Reads a whole regular file of at most `max_bytes`. Errors name the path and the reason:
// errc::not_found when it does not exist, errc::data_loss when it is larger than `max_bytes`
// or not a regular file, errc::io_error for any other system error.
result<std::vector<std::uint8_t>> read_file(const std::filesystem::path& path,
                                            std::size_t max_bytes);

// True for the names atomic_write gives its temporary files.
bool is_temp_file_name(std::string_view name);

// Removes temporary files left in `dir` by an interrupted atomic_write; returns how many.
std::size_t remove_stale_temp_files(const std::filesystem::path& dir);

}  // namespace ztkit::ctrl
