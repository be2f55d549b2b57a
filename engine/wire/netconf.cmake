# Dictionary, COM, credentials, rules, network configs and config chunks (netconf part).
target_sources(ztkit_wire PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/dictionary.cc
  ${CMAKE_CURRENT_LIST_DIR}/com.cc
  ${CMAKE_CURRENT_LIST_DIR}/rules.cc
  ${CMAKE_CURRENT_LIST_DIR}/credentials.cc
  ${CMAKE_CURRENT_LIST_DIR}/network_config.cc
  ${CMAKE_CURRENT_LIST_DIR}/config_chunks.cc
)
