# `cpack -G DEB` in the build directory: anyring_<version>_<arch>.deb, the
# installed tree under /usr. Nothing in it points the loader at the compat
# liburing.so.2 (no ld.so.conf.d entry): running a program on it stays a
# choice made per program (anyring(7), docs/containers.md).
set(CPACK_PACKAGE_NAME anyring)
set(CPACK_PACKAGE_VENDOR "The anyring developers")
set(CPACK_PACKAGE_CONTACT "The anyring developers <anyring@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "liburing's API on io_uring, or in userspace where io_uring is blocked")
set(CPACK_PACKAGE_DESCRIPTION
"anyring implements liburing's API and ABI (2.15) on the kernel's io_uring,
and on a userspace implementation of the same semantics where io_uring is
missing, refused by seccomp (containers) or disabled by sysctl. It ships
libanyring, the anyring tool (probe, run with io_uring blocked, bench,
demo), and liburing.so.2 / liburing-ffi.so.2 drop-ins in
/usr/lib/anyring, which programs use only when asked to.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR TGZ)
set(CPACK_SOURCE_GENERATOR TGZ)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# dpkg-shlibdeps works the C library's version out of the binaries.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Our own shlibs: CPack's would also claim liburing.so.2 and
# liburing-ffi.so.2 for this package, which must never stand in for them.
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/cmake/deb/shlibs.in
               ${CMAKE_CURRENT_BINARY_DIR}/deb/shlibs @ONLY)
# (CPack's postinst and postrm run ldconfig for libanyring.so.0.)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_CURRENT_BINARY_DIR}/deb/shlibs)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "liburing-dev")
include(CPack)
