// Helpers for tests that run real processes (zt, zerotier-one): children started with their
// output in a log file and always killed by PID and reaped, bounded waits, temporary folders,
// a free UDP port. Header-only; every wait is bounded by its caller's deadline.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ztkit::test {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

inline std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A UDP port on 127.0.0.1 that was free a moment ago (-1 if none could be had).
inline int free_udp_port() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

// Polls pred() until it holds or the deadline passes; pred's last answer.
template <typename F>
bool wait_until(clock_type::time_point deadline, F pred,
                std::chrono::milliseconds every = std::chrono::milliseconds(20)) {
  while (clock_type::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(every);
  }
  return pred();
}

// A fresh folder under the system temp folder, removed with everything in it.
struct temp_dir {
  fs::path path;
  explicit temp_dir(std::string_view prefix = "ztkit-test") {
    std::string templ = (fs::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    if (::mkdtemp(templ.data()) != nullptr) path = templ;
  }
  ~temp_dir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

// Child processes of this test: all of them are stopped (TERM, then KILL after a grace period)
// and reaped when this object goes, whatever happened in the test.
class children {
 public:
  explicit children(std::chrono::milliseconds grace = std::chrono::milliseconds(3000))
      : grace_(grace) {}
  ~children() { kill_all(); }
  children(const children&) = delete;
  children& operator=(const children&) = delete;

  // Starts args[0] with argv `args`, stdout and stderr into `log`. `in_child`, if given, runs in
  // the child just before exec (e.g. to enter a network namespace); false makes it exit 126.
  // Returns the PID (-1 on failure).
  pid_t spawn(const std::vector<std::string>& args, const fs::path& log,
              const std::function<bool()>& in_child = {}) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      FILE* f = std::fopen(log.c_str(), "w");
      if (f == nullptr) _exit(127);
      ::dup2(fileno(f), 1);
      ::dup2(fileno(f), 2);
      if (in_child && !in_child()) _exit(126);
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      std::perror("execv");
      _exit(127);
    }
    if (pid > 0) pids_.push_back(pid);
    return pid;
  }

  // Waits up to `ms` for `pid` to exit: its exit status (128 + signal if killed), or -1 if it is
  // still running.
  int wait_exit(pid_t pid, int ms) {
    const auto end = clock_type::now() + std::chrono::milliseconds(ms);
    for (;;) {
      int st = 0;
      if (::waitpid(pid, &st, WNOHANG) == pid) {
        std::erase(pids_, pid);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
      if (clock_type::now() >= end) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  void kill_all() {
    for (const pid_t pid : pids_) ::kill(pid, SIGTERM);
    for (const pid_t pid : pids_) {
      const auto end = clock_type::now() + grace_;
      bool reaped = false;
      while (!reaped && clock_type::now() < end) {
        int st = 0;
        if (::waitpid(pid, &st, WNOHANG) == pid) reaped = true;
        else std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (!reaped) {
        ::kill(pid, SIGKILL);
        int st = 0;
        ::waitpid(pid, &st, 0);
      }
    }
    pids_.clear();
  }

 private:
  std::chrono::milliseconds grace_;
  std::vector<pid_t> pids_;
};

// The rest of the first line of `log` that starts with `prefix` ("" if none): how the process
// tests read what a child printed ("controller network <nwid>", "... address <ip>").
inline std::string line_after(const std::string& log, const std::string& prefix) {
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  return {};
}

}  // namespace ztkit::test
