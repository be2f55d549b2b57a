# Installation and packaging (issue 12): `cmake --install` puts in place
#   lib/libztkit.a                     the public library as ONE static archive: the objects of
#                                      `ztkit` and of every ztkit_* static library it links,
#                                      so an outside project links -lztkit and ztkit's deps only
#   include/ztkit/*.h                  the public headers (self-contained: std headers only)
#   lib/cmake/ztkit/                   ztkitConfig.cmake (+ Version, Targets): find_package(ztkit)
#                                      gives ztkit::ztkit
#   lib/pkgconfig/ztkit.pc             pkg-config --cflags --libs ztkit
#   bin/zt, bin/ztperf                 the tools
#   lib/systemd/system/ztkit@.service  a template unit (packaging/ztkit@.service)
#   share/doc/ztkit/                   README.md and docs/
# and `cpack -G DEB` in a build folder makes two Debian packages from the same rules:
# `ztkit` (component runtime: tools, unit, docs) and `libztkit-dev` (component dev).
# Included from the top-level CMakeLists.txt after every subdirectory, so that the link
# closure of `ztkit` is complete when it is walked here.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# ---- The link closure of `ztkit`: our own static libraries, and the imported targets (system
# libraries) they need.
function(_ztkit_link_closure root out_own out_external)
  set(todo ${root})
  set(seen "")
  set(own "")
  set(external "")
  while(todo)
    list(POP_FRONT todo t)
    if(t IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${t})
    get_target_property(aliased ${t} ALIASED_TARGET)
    if(aliased)
      list(APPEND todo ${aliased})
      continue()
    endif()
    get_target_property(type ${t} TYPE)
    if(type STREQUAL "STATIC_LIBRARY" OR type STREQUAL "OBJECT_LIBRARY")
      list(APPEND own ${t})
    elseif(NOT type STREQUAL "INTERFACE_LIBRARY")
      message(WARNING "ztkit packaging: ${root} links ${t}, a ${type}; libztkit.a bundles "
              "static libraries only, so the installed package will lack it")
      continue()
    endif()
    set(deps "")
    if(NOT type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(l ${t} LINK_LIBRARIES)
      if(l)
        list(APPEND deps ${l})
      endif()
    endif()
    get_target_property(il ${t} INTERFACE_LINK_LIBRARIES)
    if(il)
      list(APPEND deps ${il})
    endif()
    foreach(d IN LISTS deps)
      if(d MATCHES "^\\$<LINK_ONLY:(.*)>$")
        set(d "${CMAKE_MATCH_1}")
      endif()
      if(d MATCHES "^\\$<")
        message(WARNING "ztkit packaging: ${t} links '${d}'; the installed package ignores it "
                "(teach cmake/ztkitPackaging.cmake about this generator expression)")
        continue()
      endif()
      if(TARGET ${d})
        get_target_property(imported ${d} IMPORTED)
        if(imported)
          list(APPEND external ${d})
        else()
          list(APPEND todo ${d})
        endif()
      elseif(d MATCHES "::")
        # An imported target of another folder (pkg_check_modules' are folder-scoped).
        list(APPEND external ${d})
      elseif(d)
        # A plain library name or linker flag (-pthread, dl, -latomic): passed on as it is.
        list(APPEND external ${d})
      endif()
    endforeach()
  endwhile()
  list(REMOVE_DUPLICATES external)
  set(${out_own} "${own}" PARENT_SCOPE)
  set(${out_external} "${external}" PARENT_SCOPE)
endfunction()

_ztkit_link_closure(ztkit _ztkit_own _ztkit_external)

# How the installed config finds each external dependency again (find_dependency or
# pkg-config), and what ztkit.pc says for it.
set(_ztkit_config_deps "")
set(_ztkit_pc_requires "")
set(_ztkit_pc_libs "")
foreach(dep IN LISTS _ztkit_external)
  if(dep MATCHES "^PkgConfig::(.+)$")
    # The modules as this build's pkg_check_modules(<prefix> ... modules) asked for them.
    set(prefix "${CMAKE_MATCH_1}")
    set(modules "$CACHE{__pkg_config_arguments_${prefix}}")
    list(REMOVE_ITEM modules REQUIRED QUIET IMPORTED_TARGET GLOBAL NO_CMAKE_PATH
         NO_CMAKE_ENVIRONMENT_PATH)
    if(NOT modules)
      message(WARNING "ztkit packaging: no pkg-config module known for ${dep}; the installed "
              "package will not find it")
      list(REMOVE_ITEM _ztkit_external ${dep})
      continue()
    endif()
    list(JOIN modules " " _m)
    string(APPEND _ztkit_config_deps "_ztkit_find_pkg_config(${prefix} ${_m})\n")
    list(APPEND _ztkit_pc_requires ${modules})
  elseif(dep STREQUAL "OpenSSL::Crypto")
    string(APPEND _ztkit_config_deps "find_dependency(OpenSSL 3 COMPONENTS Crypto)\n")
    list(APPEND _ztkit_pc_requires libcrypto)
  elseif(dep STREQUAL "fmt::fmt")
    string(APPEND _ztkit_config_deps "find_dependency(fmt)\n")
    list(APPEND _ztkit_pc_requires fmt)
  elseif(dep STREQUAL "Threads::Threads")
    string(APPEND _ztkit_config_deps "set(THREADS_PREFER_PTHREAD_FLAG ON)\nfind_dependency(Threads)\n")
    list(APPEND _ztkit_pc_libs -pthread)
  elseif(dep STREQUAL "nlohmann_json::nlohmann_json")
    string(APPEND _ztkit_config_deps "find_dependency(nlohmann_json 3)\n")
    list(APPEND _ztkit_pc_requires nlohmann_json)
  elseif(NOT dep MATCHES "::")
    if(dep MATCHES "^-")
      list(APPEND _ztkit_pc_libs ${dep})
    else()
      list(APPEND _ztkit_pc_libs -l${dep})
    endif()
  else()
    message(WARNING "ztkit packaging: ztkit now links ${dep}; teach "
            "cmake/ztkitPackaging.cmake how the installed config and ztkit.pc find it")
    list(REMOVE_ITEM _ztkit_external ${dep})
  endif()
endforeach()
list(REMOVE_DUPLICATES _ztkit_pc_libs)
list(REMOVE_DUPLICATES _ztkit_pc_requires)
# A sanitizer build's archive needs the sanitizer runtimes wherever it is linked.
set(_ztkit_link_options "")
if(ZTKIT_SANITIZE)
  set(_ztkit_link_options -fsanitize=address,undefined)
endif()

# ---- The installed archive: every object of the closure, nothing compiled twice.
set(_ztkit_objects "")
foreach(t IN LISTS _ztkit_own)
  list(APPEND _ztkit_objects "$<TARGET_OBJECTS:${t}>")
endforeach()
add_library(ztkit_dist STATIC ${_ztkit_objects})
set_target_properties(ztkit_dist PROPERTIES
  OUTPUT_NAME ztkit
  EXPORT_NAME ztkit
  LINKER_LANGUAGE CXX
  ARCHIVE_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/dist")
target_include_directories(ztkit_dist INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_compile_features(ztkit_dist INTERFACE cxx_std_20)
# Only in the installed package: nothing in this build links ztkit_dist, and pkg_check_modules'
# targets are visible in their own folder only.
foreach(dep IN LISTS _ztkit_external)
  target_link_libraries(ztkit_dist INTERFACE "$<INSTALL_INTERFACE:${dep}>")
endforeach()
if(_ztkit_link_options)
  target_link_options(ztkit_dist INTERFACE ${_ztkit_link_options})
endif()
# The same name inside this build (add_subdirectory / FetchContent users).
if(NOT TARGET ztkit::ztkit)
  add_library(ztkit::ztkit ALIAS ztkit)
endif()

set(ZTKIT_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/ztkit")
install(TARGETS ztkit_dist EXPORT ztkitTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/ztkit" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT dev FILES_MATCHING PATTERN "*.h")
install(EXPORT ztkitTargets NAMESPACE ztkit:: DESTINATION ${ZTKIT_CMAKE_DIR} COMPONENT dev)

set(ZTKIT_CONFIG_DEPENDENCIES "${_ztkit_config_deps}")
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/ztkitConfig.cmake.in"
  "${CMAKE_BINARY_DIR}/dist/ztkitConfig.cmake" INSTALL_DESTINATION ${ZTKIT_CMAKE_DIR})
# 0.x: a minor version may break the API, so only the same major.minor is compatible.
write_basic_package_version_file("${CMAKE_BINARY_DIR}/dist/ztkitConfigVersion.cmake"
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_BINARY_DIR}/dist/ztkitConfig.cmake"
  "${CMAKE_BINARY_DIR}/dist/ztkitConfigVersion.cmake"
  DESTINATION ${ZTKIT_CMAKE_DIR} COMPONENT dev)

# ztkit.pc, relocatable: prefix is found from the .pc file's own folder.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(ZTKIT_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(ZTKIT_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH _rel "/x/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/x")
  string(REGEX REPLACE "/$" "" _rel "${_rel}")
  set(ZTKIT_PC_PREFIX "\${pcfiledir}/${_rel}")
  set(ZTKIT_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(ZTKIT_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(ZTKIT_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
list(JOIN _ztkit_pc_requires " " ZTKIT_PC_REQUIRES)
list(JOIN _ztkit_pc_libs " " ZTKIT_PC_LIBS)
list(JOIN _ztkit_link_options " " _opts)
string(STRIP "${ZTKIT_PC_LIBS} ${_opts}" ZTKIT_PC_LIBS)
configure_file("${PROJECT_SOURCE_DIR}/cmake/ztkit.pc.in" "${CMAKE_BINARY_DIR}/dist/ztkit.pc" @ONLY)
install(FILES "${CMAKE_BINARY_DIR}/dist/ztkit.pc" DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT dev)

# ---- The tools, the systemd unit and the docs.
foreach(tool zt ztperf)
  if(TARGET ${tool})
    install(TARGETS ${tool} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
  endif()
endforeach()
# The unit names /usr/bin/zt; installed elsewhere (/usr/local), it names the zt installed.
install(CODE "
  set(_unit_dir \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
  file(READ \"${PROJECT_SOURCE_DIR}/packaging/ztkit@.service\" _unit)
  if(IS_ABSOLUTE \"${CMAKE_INSTALL_BINDIR}\")
    set(_zt \"${CMAKE_INSTALL_BINDIR}/zt\")
  else()
    set(_zt \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/zt\")
  endif()
  string(REPLACE \"/usr/bin/zt \" \"\${_zt} \" _unit \"\${_unit}\")
  message(STATUS \"Installing: \${_unit_dir}/ztkit@.service\")
  file(MAKE_DIRECTORY \"\${_unit_dir}\")
  file(WRITE \"\${_unit_dir}/ztkit@.service\" \"\${_unit}\")
  list(APPEND CMAKE_INSTALL_MANIFEST_FILES \"\${_unit_dir}/ztkit@.service\")
" COMPONENT runtime)
install(FILES "${PROJECT_SOURCE_DIR}/packaging/ztkit.env.example"
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples COMPONENT runtime)
install(FILES "${PROJECT_SOURCE_DIR}/README.md" DESTINATION ${CMAKE_INSTALL_DOCDIR}
  COMPONENT runtime)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/docs/" DESTINATION ${CMAKE_INSTALL_DOCDIR}
  COMPONENT runtime)

# ---- CPack: `cpack -G DEB` in a build folder.
set(CPACK_PACKAGE_NAME ztkit)
set(CPACK_PACKAGE_VENDOR "ztkit")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "ztkit maintainers <maintainers@users.noreply.b-seed-82d5285f.example>")
set(CPACK_GENERATOR DEB)
set(CPACK_SOURCE_GENERATOR TGZ)
# `cpack --config CPackSourceConfig.cmake`: the tree without git and build folders.
set(CPACK_SOURCE_IGNORE_FILES "/\\.git/" "/build[^/]*/" "/__pycache__/")
set(CPACK_PACKAGE_DIRECTORY "${CMAKE_BINARY_DIR}/packages")
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME ztkit)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION net)
# dpkg-shlibdeps derives the runtime Depends (libsodium23, liburing2, libssl3, libfmt9, ...).
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION "user-space ZeroTier node: zt and ztperf tools
zt joins real ZeroTier networks (roots, controllers, zerotier-one 1.14 peers) with no TUN
device, no root and no ZeroTier binaries: join, ping, TCP/UDP through ztkit's own IP stack,
a self-hosted root and an embedded controller. ztperf measures goodput and latency over
ztkit. Includes a systemd template unit (ztkit@.service) and the documentation.")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libztkit-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# A static library: what links it needs the dependencies' development packages (Debian 12
# names of the pkg-config modules in ztkit.pc's Requires).
set(_ztkit_deb_dev_of_libsodium libsodium-dev)
set(_ztkit_deb_dev_of_liblz4 liblz4-dev)
set(_ztkit_deb_dev_of_liburing liburing-dev)
set(_ztkit_deb_dev_of_libcrypto "libssl-dev (>= 3)")
set(_ztkit_deb_dev_of_fmt libfmt-dev)
set(_ztkit_deb_dev_of_cpp-httplib libcpp-httplib-dev)
set(_ztkit_deb_dev_of_nlohmann_json nlohmann-json3-dev)
set(_ztkit_deb_depends "")
foreach(module IN LISTS _ztkit_pc_requires)
  if(DEFINED _ztkit_deb_dev_of_${module})
    list(APPEND _ztkit_deb_depends "${_ztkit_deb_dev_of_${module}}")
  else()
    message(WARNING "ztkit packaging: no Debian package known for pkg-config module ${module}; "
            "add it to cmake/ztkitPackaging.cmake (libztkit-dev's Depends)")
  endif()
endforeach()
list(REMOVE_DUPLICATES _ztkit_deb_depends)
list(JOIN _ztkit_deb_depends ", " CPACK_DEBIAN_DEV_PACKAGE_DEPENDS)
set(CPACK_DEBIAN_DEV_PACKAGE_RECOMMENDS "pkg-config, cmake (>= 3.25)")
set(CPACK_DEBIAN_DEV_DESCRIPTION "user-space ZeroTier node library: development files
libztkit embeds a ZeroTier node (identities, the wire protocol, networks, an embedded
controller and a user-space TCP/IP stack) in a C++20 program: ztkit::Node, UdpSocket,
TcpStream, TcpListener and a C ABI. Static library, headers, CMake package config
(find_package(ztkit), target ztkit::ztkit) and pkg-config file (ztkit.pc).")
include(CPack)
