// A byte area for large, mostly idle buffers (a TCP socket's rings, an API stream's pipes):
// 64 KiB and more are pages mapped for it alone (mmap: no allocator header on the first page,
// nothing zeroed by us), so the area costs no resident memory until bytes are written into it.
// Smaller areas come from new[] (uninitialised). Issue 11: 10,000 idle connections per node at
// <= 4 KiB each; measured with bench/tcp_memory.cc.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

namespace ztkit::buf {

struct page_area_deleter {
  std::size_t bytes = 0;
  bool mapped = false;
  void operator()(std::uint8_t* p) const {
    if (mapped)
      ::munmap(p, bytes);
    else
      delete[] p;
  }
};
using page_area = std::unique_ptr<std::uint8_t[], page_area_deleter>;

inline constexpr std::size_t page_area_map_threshold = 64 * 1024;

// Throws std::bad_alloc when the memory cannot be had (as new[] does).
inline page_area make_page_area(std::size_t bytes) {
  if (bytes == 0) return page_area(nullptr, page_area_deleter{});
  if (bytes >= page_area_map_threshold) {
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return page_area(static_cast<std::uint8_t*>(p), page_area_deleter{bytes, true});
  }
  return page_area(new std::uint8_t[bytes], page_area_deleter{bytes, false});
}

}  // namespace ztkit::buf
