# Fragments and their reassembly (zerotier-protocol.md §1.4): fragment.h, reassembly.h.
target_sources(ztkit_wire PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/fragment.cc
  ${CMAKE_CURRENT_LIST_DIR}/reassembly.cc
)
