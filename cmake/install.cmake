# What `cmake --install` puts where (GNUInstallDirs):
#   bin/anyring                        the tool
#   lib/libanyring.so.0, .a            the library
#   include/anyring/                   anyring.h, and the liburing.h it serves
#   lib/pkgconfig/anyring.pc           pkg-config
#   lib/cmake/anyring/                 find_package(anyring): anyring::anyring
#   lib/anyring/liburing.so.2, liburing-ffi.so.2, pkgconfig/liburing*.pc
#                                      the compat libraries, kept out of the
#                                      loader's and the linker's way: opt in
#   lib/anyring/libanyring-preload.so  the emulation (LD_PRELOAD), x86_64
#   share/man/man{1,3,7}/              the manual
#   share/doc/anyring/                 README, the container guide, copyright
set(ANYRING_COMPAT_DIR ${CMAKE_INSTALL_LIBDIR}/anyring)
set(ANYRING_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/anyring)

install(TARGETS anyring anyring_static EXPORT anyring-targets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/anyring)
install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/anyring)
install(TARGETS anyring_liburing anyring_liburing_ffi
  LIBRARY DESTINATION ${ANYRING_COMPAT_DIR})
if(TARGET anyring_preload)
  install(TARGETS anyring_preload LIBRARY DESTINATION ${ANYRING_COMPAT_DIR})
endif()

# The .pc files find their prefix from where they lie, so the same tree
# works installed under any prefix and inside the .deb.
function(anyring_pc template output dir)
  file(RELATIVE_PATH PC_TO_PREFIX
       ${CMAKE_INSTALL_PREFIX}/${dir}/pkgconfig ${CMAKE_INSTALL_PREFIX})
  string(REGEX REPLACE "/$" "" PC_TO_PREFIX "${PC_TO_PREFIX}")
  set(PC_LIBDIR ${dir})
  configure_file(${CMAKE_CURRENT_SOURCE_DIR}/cmake/${template}
                 ${CMAKE_CURRENT_BINARY_DIR}/pc/${dir}/${output} @ONLY)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/pc/${dir}/${output}
          DESTINATION ${dir}/pkgconfig)
endfunction()
anyring_pc(anyring.pc.in anyring.pc ${CMAKE_INSTALL_LIBDIR})
anyring_pc(liburing.pc.in liburing.pc ${ANYRING_COMPAT_DIR})
anyring_pc(liburing-ffi.pc.in liburing-ffi.pc ${ANYRING_COMPAT_DIR})

include(CMakePackageConfigHelpers)
install(EXPORT anyring-targets NAMESPACE anyring::
        FILE anyring-targets.cmake DESTINATION ${ANYRING_CMAKE_DIR})
configure_package_config_file(cmake/anyring-config.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/anyring-config.cmake
  INSTALL_DESTINATION ${ANYRING_CMAKE_DIR})
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/anyring-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/anyring-config.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/anyring-config-version.cmake
        DESTINATION ${ANYRING_CMAKE_DIR})

install(FILES README.md docs/containers.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME copyright)
