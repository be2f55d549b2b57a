# Packet header view/repr, armor/dearmor (cipher suites 0-3) and LZ4 payload compression.
# Included from CMakeLists.txt in the scope of ztkit_wire (needs ztkit_crypto and liblz4,
# which ztkit_wire already links).
target_sources(ztkit_wire PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/packet.cc
  ${CMAKE_CURRENT_LIST_DIR}/armor.cc
  ${CMAKE_CURRENT_LIST_DIR}/compress.cc
)
