# `cmake --install`: the nesim binary, libnesim with its headers, a CMake package
# (find_package(nesim) -> nesim::core) and nesim.pc, so that other programs can build on nesim.
# Kept apart from the target definitions; it refers to them by name: nesim_lib and nesim.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(NESIM_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/nesim)
set(NESIM_INSTALL_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR}/nesim)

install(TARGETS nesim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# `nesim` starts its libtorch companion from ../libexec/nesim/ (sim/cli/main.cpp).
if(TARGET nesim-torch)
  install(TARGETS nesim-torch RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/nesim)
endif()

# nesim_lib never links libtorch (the torch scorers live in nesim-torch), so it is always a package.
set(NESIM_INSTALLS_LIBRARY ON)
if(NESIM_INSTALLS_LIBRARY)
  # One name in-tree and installed: add_subdirectory(nesim) and find_package(nesim) users both
  # link nesim::core, the whole library with its usage requirements.
  add_library(nesim::core ALIAS nesim_lib)
  set_target_properties(nesim_lib PROPERTIES OUTPUT_NAME nesim EXPORT_NAME core)

  # Build-tree include paths become the installed include/nesim, which keeps the sim/... and
  # nas/... layout so that consumers write the same #include "sim/graph/network.h" as nesim does.
  get_target_property(_nesim_includes nesim_lib INTERFACE_INCLUDE_DIRECTORIES)
  set(_nesim_wrapped)
  foreach(dir IN LISTS _nesim_includes)
    if(dir MATCHES "^\\$<")
      list(APPEND _nesim_wrapped "${dir}")
    else()
      list(APPEND _nesim_wrapped "$<BUILD_INTERFACE:${dir}>")
    endif()
  endforeach()
  list(APPEND _nesim_wrapped "$<INSTALL_INTERFACE:${NESIM_INSTALL_INCLUDEDIR}>")
  set_property(TARGET nesim_lib PROPERTY INTERFACE_INCLUDE_DIRECTORIES "${_nesim_wrapped}")

  install(TARGETS nesim_lib EXPORT nesim-targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  # The CLI's and the torch scorers' headers are not part of the library.
  install(DIRECTORY sim nas DESTINATION ${NESIM_INSTALL_INCLUDEDIR}
    FILES_MATCHING PATTERN "*.h"
    PATTERN "cli" EXCLUDE
    PATTERN "torch" EXCLUDE)
  install(EXPORT nesim-targets NAMESPACE nesim:: DESTINATION ${NESIM_INSTALL_CMAKEDIR})

  configure_package_config_file(cmake/nesim-config.cmake.in
    ${CMAKE_CURRENT_BINARY_DIR}/nesim-config.cmake
    INSTALL_DESTINATION ${NESIM_INSTALL_CMAKEDIR})
  write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/nesim-config-version.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/nesim-config.cmake
    ${CMAKE_CURRENT_BINARY_DIR}/nesim-config-version.cmake
    DESTINATION ${NESIM_INSTALL_CMAKEDIR})

  # pkg-config: the --undefined options that keep self-registering objects must precede -lnesim.
  get_target_property(_nesim_link_options nesim_lib INTERFACE_LINK_OPTIONS)
  set(NESIM_PC_LINK_OPTIONS)
  foreach(opt IN LISTS _nesim_link_options)
    string(REGEX REPLACE "^LINKER:" "-Wl," opt "${opt}")
    string(APPEND NESIM_PC_LINK_OPTIONS " ${opt}")
  endforeach()
  # XGBoost is opened with dlopen when a regressor is fitted (nas/regressor/xgboost_api.h).
  set(NESIM_PC_REQUIRES "fmt yaml-cpp nlohmann_json systemc protobuf")
  if(NESIM_WITH_MPI)
    string(APPEND NESIM_PC_REQUIRES " ompi-c")
  endif()
  # Relative to the .pc file, so that `cmake --install --prefix P` gives a working file under P.
  file(RELATIVE_PATH NESIM_PC_PREFIX_FROM_PCFILEDIR "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
  string(REGEX REPLACE "/$" "" NESIM_PC_PREFIX_FROM_PCFILEDIR "${NESIM_PC_PREFIX_FROM_PCFILEDIR}")
  configure_file(cmake/nesim.pc.in ${CMAKE_CURRENT_BINARY_DIR}/nesim.pc @ONLY)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/nesim.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

  if(NESIM_BUILD_TESTS)
    # install: does an out-of-tree program build against the installed tree, by CMake package
    # and by pkg-config, and compute what nesim does?
    add_test(NAME install
      COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/tests/install/check_install.sh ${CMAKE_COMMAND}
        ${CMAKE_CURRENT_BINARY_DIR} ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CXX_COMPILER})
    set_tests_properties(install PROPERTIES LABELS install)
  endif()
endif()
