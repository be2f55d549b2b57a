#include "ctrl/state/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace ztkit::ctrl {
namespace {

constexpr std::string_view temp_marker = ".tmp.";
constexpr std::size_t temp_suffix_len = 6;  // mkstemp's XXXXXX

error io_failure(const std::filesystem::path& path, std::string_view what, int err) {
  return error{errc::io_error,
               path.string() + ": " + std::string(what) + ": " + std::strerror(err)};
}

// Closes a descriptor on every path out of a function.
class fd_guard {
 public:
  explicit fd_guard(int fd) : fd_(fd) {}
  ~fd_guard() { if (fd_ >= 0) ::close(fd_); }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  int get() const { return fd_; }
  // Closes now and reports close(2)'s error (NFS reports write errors only here).
  int close_now() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

std::filesystem::path folder_of(const std::filesystem::path& path) {
  std::filesystem::path dir = path.parent_path();
  return dir.empty() ? std::filesystem::path(".") : dir;
}

status fsync_folder(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_failure(dir, "cannot open folder to sync it", errno);
  fd_guard guard(fd);
  // Some filesystems cannot sync a folder (EINVAL): the rename is then as durable as it gets.
  if (::fsync(fd) != 0 && errno != EINVAL) return io_failure(dir, "fsync of folder", errno);
  return {};
}

}  // namespace

bool is_temp_file_name(std::string_view name) {
  if (name.size() < 1 + temp_marker.size() + temp_suffix_len || name[0] != '.') return false;
  const std::size_t marker_at = name.size() - temp_suffix_len - temp_marker.size();
  return name.substr(marker_at, temp_marker.size()) == temp_marker;
}

status atomic_write(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                    mode_t mode) {
  const std::filesystem::path dir = folder_of(path);
  // Built by appends: g++ 12 warns falsely (-Wrestrict) on "." + std::string&&.
  std::string name(1, '.');
  name += path.filename().string();
  name += temp_marker;
  name += "XXXXXX";
  std::string tmp = (dir / name).string();
  const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);  // created 0600: never readable by others
  if (fd < 0) return io_failure(path, "cannot create a temporary file beside it", errno);
  fd_guard guard(fd);
  auto fail = [&](std::string_view what) -> status {
    const int err = errno;
    ::unlink(tmp.c_str());
    return io_failure(path, what, err);
  };

  if (::fchmod(fd, mode) != 0) return fail("cannot set the temporary file's mode");
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("fsync");
  if (guard.close_now() != 0) return fail("close");
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot rename the temporary file over it");
  return fsync_folder(dir);
}

status atomic_write(const std::filesystem::path& path, std::string_view text, mode_t mode) {
  return atomic_write(
      path, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), mode);
}

result<std::vector<std::uint8_t>> read_file(const std::filesystem::path& path,
                                            std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return error{errc::not_found, path.string() + ": " + std::strerror(err)};
    return io_failure(path, "cannot open", err);
  }
  fd_guard guard(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return io_failure(path, "fstat", errno);
  if (!S_ISREG(st.st_mode)) {
    return error{errc::data_loss, path.string() + ": not a regular file"};
  }
  // Read to the end rather than trusting st_size (the file may change under us), but never
  // more than max_bytes + 1: one byte more than allowed proves the file is too large.
  std::vector<std::uint8_t> out;
  out.resize(std::min<std::size_t>(max_bytes + 1, static_cast<std::size_t>(st.st_size) + 1));
  std::size_t got = 0;
  for (;;) {
    if (got == out.size()) {
      if (out.size() > max_bytes) break;
      out.resize(std::min<std::size_t>(max_bytes + 1, out.size() * 2));
    }
    const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_failure(path, "read", errno);
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got > max_bytes) {
    return error{errc::data_loss,
                 path.string() + ": larger than " + std::to_string(max_bytes) + " bytes"};
  }
  out.resize(got);
  return out;
}

std::size_t remove_stale_temp_files(const std::filesystem::path& dir) {
  std::size_t removed = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!is_temp_file_name(name)) continue;
    std::error_code ec2;
    if (!it->is_regular_file(ec2) || ec2) continue;
    if (std::filesystem::remove(it->path(), ec2)) ++removed;
  }
  return removed;
}

}  // namespace ztkit::ctrl
