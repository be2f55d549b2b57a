// The relay engine of `zt expose` and `zt proxy`: bytes both ways between a ztkit TcpStream and
// a kernel TCP socket, with half-close, bounded buffers and counters; a bounded pool of
// connection threads; and the accept loop both commands run.
//
// Why threads and not one epoll loop: a ztkit TcpStream's fd() says only "readable" (bytes,
// EOF, error); no public descriptor says that its full send pipe has room again (ztkit::poll in
// poll.h can wait for that, but only over ztkit sockets, never together with kernel sockets),
// so one loop over both kinds could wait for ztkit writability only by polling on a timer. A
// blocking TcpStream::write() does wait for exactly that event. So each connection has two pumps (one thread each), and each pump
// blocks where its back-pressure is: on reading its source (poll on the source's readiness fd
// and the connection's cancel eventfd) or on writing its destination. A pump holds one buffer
// of `buffer_size` bytes and reads nothing more until that buffer was written, so a slow side
// stops the other side's reading (and its TCP window closes) instead of growing a queue.
// The number of connections is capped (--max-connections), so threads are bounded (2 each).
// The accept loop itself is one epoll loop over the listeners' readiness fds, a signalfd, the
// pool's "a connection finished" eventfd and an optional stats timerfd: no sleeps, no polling.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "ztkit/address.h"
#include "ztkit/tcp.h"

namespace ztkit::tools {

inline constexpr std::size_t relay_buffer_size = 64 * 1024;

struct relay_counters {
  std::atomic<std::uint64_t> accepted{0};   // connections taken
  std::atomic<std::uint64_t> active{0};
  std::atomic<std::uint64_t> completed{0};  // ended cleanly (EOF both ways)
  std::atomic<std::uint64_t> failed{0};     // refused, reset, timed out, cancelled
  std::atomic<std::uint64_t> rejected{0};   // over --max-connections
  std::atomic<std::uint64_t> bytes_to_zt{0};    // from the kernel side into the ZeroTier network
  std::atomic<std::uint64_t> bytes_from_zt{0};  // from the network to the kernel side
  std::atomic<std::uint64_t> datagrams_to_zt{0}, datagrams_from_zt{0};  // SOCKS5 UDP ASSOCIATE
  // "connections accepted=.. active=.. completed=.. failed=.. rejected=.. bytes to_zt=.. from_zt=.."
  std::string summary() const;
};

// Cancels one connection from any thread: its pumps wake (eventfd) and its kernel socket is
// shut down both ways (a blocked recv/send returns).
class cancel_token {
 public:
  cancel_token();
  ~cancel_token();
  cancel_token(const cancel_token&) = delete;
  cancel_token& operator=(const cancel_token&) = delete;
  void attach(int kernel_fd);  // shut down on cancel (the caller keeps ownership)
  void detach();
  void cancel();
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  int fd() const { return efd_; }  // readable once cancelled

 private:
  int efd_ = -1;
  std::atomic<bool> cancelled_{false};
  std::mutex mu_;
  int kfd_ = -1;
};

struct relay_result {
  std::uint64_t to_zt = 0, from_zt = 0;
  bool clean = false;  // both directions reached EOF
  std::string error;
};

// Relays between `z` and the connected kernel socket `kfd` until both directions ended: EOF on
// one side becomes shutdown_write / shutdown(SHUT_WR) on the other (half-close), an error or
// a cancel resets both. `first_to_zt` is sent to `z` first (bytes a client sent early). Ends
// with `z` closed (or aborted) and `kfd` closed.
relay_result relay(TcpStream z, int kfd, cancel_token& cancel, relay_counters& counters,
                   std::span<const std::byte> first_to_zt = {});

// Connection threads, at most `max` at once.
class connection_pool {
 public:
  explicit connection_pool(std::size_t max);
  ~connection_pool();  // stop()
  // Runs fn(token) on a new thread; false when `max` are running.
  bool spawn(std::function<void(cancel_token&)> fn);
  int done_fd() const { return done_efd_; }  // readable when a thread finished: call reap()
  void reap();
  std::size_t running();
  void stop();  // cancels every connection and joins every thread

 private:
  struct entry {
    std::thread thread;
    cancel_token token;
    std::atomic<bool> done{false};
  };
  std::size_t max_;
  int done_efd_ = -1;
  std::mutex mu_;
  std::list<entry> entries_;
};

// ---- Kernel sockets ----
// "127.0.0.1:80", "[::1]:80", "localhost:80" -> a connected TCP socket (blocking), or -1 with
// `error` set. Waits up to `timeout` (and no longer than until `cancel`).
int kernel_connect(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout,
                   const cancel_token* cancel, std::string& error);
// A listening TCP socket on host:port (port 0: any); its real port in *bound_port.
int kernel_listen(const std::string& host, std::uint16_t port, std::uint16_t* bound_port, std::string& error);
// "host:port" / "[v6]:port" split (port 1..65535, or 0 when allow_zero).
std::optional<std::pair<std::string, std::uint16_t>> parse_host_port(std::string_view s, bool allow_zero = false);
// One recv() of up to buf.size() bytes, waiting until `deadline` or a cancel: >0 bytes, 0 at EOF,
// -1 on error / timeout / cancel.
long recv_some(int fd, std::span<std::uint8_t> buf, const cancel_token& cancel,
               std::chrono::steady_clock::time_point deadline);
bool send_all(int fd, std::span<const std::uint8_t> data);
// Closes with an RST (SO_LINGER 0) instead of a FIN.
void close_with_reset(int fd);
ztkit::SocketAddress to_socket_address(const void* sockaddr_storage_ptr);

// ---- The accept loop ----
struct serve_source {
  int fd;                       // readable when there is something to accept
  std::function<void()> ready;  // called on readiness (accept all that is waiting)
};
// Blocks SIGINT/SIGTERM (call before any thread starts, the node's included: they inherit
// the mask) so that serve() receives them through a signalfd; ignores SIGPIPE.
void block_stop_signals();
// Runs until SIGINT/SIGTERM: the sources, the pool's reaping, and a stats line on stderr every
// `stats_interval` (0: never). Returns the signal's name.
std::string serve(const std::vector<serve_source>& sources, connection_pool& pool,
                  std::chrono::seconds stats_interval, const std::function<std::string()>& stats_line);

}  // namespace ztkit::tools
