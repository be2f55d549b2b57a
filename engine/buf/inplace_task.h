// A move-only callable stored inline (no heap): the command type for the application -> shard
// path when a command is "run this on the shard" (command_queue.h). std::function would allocate
// for any capture larger than two pointers and requires copyable targets; this one refuses at
// compile time a callable that does not fit, so a command never allocates.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace ztkit::buf {

template <typename Sig, std::size_t Capacity = 48>
class inplace_task;

template <typename R, typename... Args, std::size_t Capacity>
class inplace_task<R(Args...), Capacity> {
 public:
  inplace_task() = default;

  template <typename F, typename D = std::decay_t<F>,
            typename = std::enable_if_t<!std::is_same_v<D, inplace_task> &&
                                        std::is_invocable_r_v<R, D&, Args...>>>
  inplace_task(F&& f) {  // NOLINT: implicit, like std::function
    static_assert(sizeof(D) <= Capacity, "callable too large for inplace_task: raise Capacity");
    static_assert(alignof(D) <= alignof(std::max_align_t), "over-aligned callable");
    static_assert(std::is_nothrow_move_constructible_v<D>, "callable must be nothrow-movable");
    ::new (static_cast<void*>(storage_)) D(std::forward<F>(f));
    ops_ = &ops_for<D>;
  }

  inplace_task(inplace_task&& o) noexcept { take(o); }
  inplace_task& operator=(inplace_task&& o) noexcept {
    if (this != &o) {
      reset();
      take(o);
    }
    return *this;
  }
  inplace_task(const inplace_task&) = delete;
  inplace_task& operator=(const inplace_task&) = delete;
  ~inplace_task() { reset(); }

  explicit operator bool() const { return ops_ != nullptr; }

  R operator()(Args... args) { return ops_->call(storage_, std::forward<Args>(args)...); }

  void reset() {
    if (ops_) ops_->destroy(storage_);
    ops_ = nullptr;
  }

 private:
  struct ops {
    R (*call)(void*, Args&&...);
    void (*move_destroy)(void* from, void* to) noexcept;  // move-construct into `to`, destroy `from`
    void (*destroy)(void*) noexcept;
  };
  template <typename D>
  static constexpr ops ops_for = {
      [](void* p, Args&&... a) -> R {
        return static_cast<R>((*std::launder(static_cast<D*>(p)))(std::forward<Args>(a)...));
      },
      [](void* from, void* to) noexcept {
        D* f = std::launder(static_cast<D*>(from));
        ::new (to) D(std::move(*f));
        f->~D();
      },
      [](void* p) noexcept { std::launder(static_cast<D*>(p))->~D(); },
  };

  void take(inplace_task& o) noexcept {
    if (o.ops_) {
      o.ops_->move_destroy(o.storage_, storage_);
      ops_ = std::exchange(o.ops_, nullptr);
    }
  }

  alignas(std::max_align_t) std::byte storage_[Capacity];
  const ops* ops_ = nullptr;
};

}  // namespace ztkit::buf
