# World, MAC/multicast groups and per-verb payload reprs (engine/wire/world.h, mac.h, verbs.h).
target_sources(ztkit_wire PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/mac.cc
  ${CMAKE_CURRENT_LIST_DIR}/world.cc
  ${CMAKE_CURRENT_LIST_DIR}/verbs_hello.cc
  ${CMAKE_CURRENT_LIST_DIR}/verbs_ok_error.cc
  ${CMAKE_CURRENT_LIST_DIR}/verbs_frame.cc
  ${CMAKE_CURRENT_LIST_DIR}/verbs_multicast.cc
  ${CMAKE_CURRENT_LIST_DIR}/verbs_credentials.cc
  ${CMAKE_CURRENT_LIST_DIR}/verbs_misc.cc
)
