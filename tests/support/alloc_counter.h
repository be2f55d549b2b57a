// Counts heap allocations by replacing the global operator new/delete, for the zero-allocation
// tests. Include in exactly ONE source file of a test binary: the replacements below are
// definitions. Every form of operator new (plain, array, nothrow, aligned) counts once per call
// and takes its memory from malloc/aligned_alloc; every operator delete gives it back with free.
// Replacing all of them keeps the pairs consistent, which also holds under AddressSanitizer.
//
// API (namespace ztkit::testing):
//   allocation_count()  operator new calls in this binary so far (all threads); take a
//                       difference of two reads to count a stretch of code.
//   allocation_scope    RAII window: counts the calls from its construction until stop() or
//                       its destruction; count() reads them (frozen once stopped).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

// The counting operator new pairs malloc with free; GCC cannot see that and warns.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace ztkit::testing {

namespace alloc_counter_detail {
inline std::atomic<std::uint64_t> allocations{0};

[[gnu::noinline]] inline void* counted_alloc(std::size_t n, std::size_t align) noexcept {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (align > alignof(std::max_align_t)) {
    return std::aligned_alloc(align, (n + align - 1) / align * align + (n ? 0 : align));
  }
  return std::malloc(n ? n : 1);
}

inline void* counted_alloc_or_throw(std::size_t n, std::size_t align) {
  if (void* p = counted_alloc(n, align)) return p;
  throw std::bad_alloc();
}
}  // namespace alloc_counter_detail

// Calls to operator new so far in this binary.
inline std::uint64_t allocation_count() noexcept {
  return alloc_counter_detail::allocations.load(std::memory_order_relaxed);
}

// Counts the operator new calls between its construction and stop() (or its destruction).
class allocation_scope {
 public:
  allocation_scope() noexcept : start_(allocation_count()) {}
  allocation_scope(const allocation_scope&) = delete;
  allocation_scope& operator=(const allocation_scope&) = delete;
  ~allocation_scope() { stop(); }

  // Closes the window; later calls change nothing.
  void stop() noexcept {
    if (!stopped_) {
      end_ = allocation_count();
      stopped_ = true;
    }
  }
  // Allocations counted in the window: up to now while open, up to stop() once closed.
  std::uint64_t count() const noexcept { return (stopped_ ? end_ : allocation_count()) - start_; }

 private:
  std::uint64_t start_;
  std::uint64_t end_ = 0;
  bool stopped_ = false;
};

}  // namespace ztkit::testing

void* operator new(std::size_t n) {
  return ztkit::testing::alloc_counter_detail::counted_alloc_or_throw(n, 0);
}
void* operator new[](std::size_t n) {
  return ztkit::testing::alloc_counter_detail::counted_alloc_or_throw(n, 0);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return ztkit::testing::alloc_counter_detail::counted_alloc(n, 0);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return ztkit::testing::alloc_counter_detail::counted_alloc(n, 0);
}
void* operator new(std::size_t n, std::align_val_t a) {
  return ztkit::testing::alloc_counter_detail::counted_alloc_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return ztkit::testing::alloc_counter_detail::counted_alloc_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return ztkit::testing::alloc_counter_detail::counted_alloc(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return ztkit::testing::alloc_counter_detail::counted_alloc(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}
