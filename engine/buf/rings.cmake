# SPSC rings, eventfd wake-ups and the application -> shard command path (spsc_ring.h,
# inplace_task.h and command_queue.h are header-only).
target_sources(ztkit_buf PRIVATE ${CMAKE_CURRENT_LIST_DIR}/wakeup.cc)
