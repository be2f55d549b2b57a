#include "engine/io/backend.h"

#include <atomic>
#include <cstdio>

#include "engine/io/epoll_backend.h"
#include "engine/io/uring_backend.h"

namespace ztkit::io {

result<std::unique_ptr<backend>> make_backend(backend_kind kind, buf::buffer_pool& pool) {
  switch (kind) {
    case backend_kind::io_uring: {
      status s = uring_backend::probe();
      if (!s.ok()) return error{s.code(), s.message()};
      return std::unique_ptr<backend>(std::make_unique<uring_backend>(pool));
    }
    case backend_kind::epoll:
      return std::unique_ptr<backend>(std::make_unique<epoll_backend>(pool));
    case backend_kind::automatic: {
      // Probed once per process: the answer does not change, and every shard asks.
      static const status probed = uring_backend::probe();
      if (probed.ok()) return std::unique_ptr<backend>(std::make_unique<uring_backend>(pool));
      static std::atomic<bool> said{false};
      if (!said.exchange(true))
        std::fprintf(stderr, "ztkit: %s; using the epoll backend\n", probed.message().c_str());
      return std::unique_ptr<backend>(std::make_unique<epoll_backend>(pool));
    }
  }
  return error{errc::invalid_argument, "make_backend: unknown backend kind"};
}

}  // namespace ztkit::io
