# Cross-compiling Porte-voix for 64-bit Arm (Raspberry Pi 3/4/5 on Raspberry
# Pi OS or Debian, arm64) on a Debian 12 amd64 machine, with Debian's own
# cross compiler and multiarch -dev packages:
#
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install crossbuild-essential-arm64 qemu-user \
#     libsqlite3-dev:arm64 libcjson-dev:arm64 libssl-dev:arm64 ... (see
#     scripts/arm64-ci.sh for the whole list)
#   cmake -S . -B build/arm64 \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64-linux-gnu.cmake
#
# pkg-config finds the arm64 .pc files in /usr/lib/aarch64-linux-gnu/pkgconfig
# (PKG_CONFIG_LIBDIR below, so no amd64 .pc file can leak in). Programs built
# here run on this machine through qemu-user: CMAKE_CROSSCOMPILING_EMULATOR
# (set by default when qemu-aarch64 is installed) makes ctest and the build's
# own steps (the prompt cache, tools/CMakeLists.txt) run them as
# `qemu-aarch64 -L / PROGRAM` (see below), with no binfmt_misc.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(PV_CROSS_TRIPLE aarch64-linux-gnu)

set(CMAKE_C_COMPILER ${PV_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${PV_CROSS_TRIPLE}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${PV_CROSS_TRIPLE})

# Multiarch: headers in /usr/include (shared) and /usr/include/aarch64-linux-gnu,
# libraries in /usr/lib/aarch64-linux-gnu. The root stays "/" so both are seen;
# programs (cmake, pkg-config, sh) are the host's.
set(CMAKE_FIND_ROOT_PATH /usr/${PV_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${PV_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# Run arm64 programs through qemu-user when it is there (tests, pv-tts at
# build time). -L: where the arm64 dynamic loader lives. With the multiarch
# libraries installed (libc6:arm64, pulled in by every -dev:arm64 package)
# that must be "/": the loader in /usr/aarch64-linux-gnu comes from
# libc6-arm64-cross, a different glibc build from the libc.so.6 it then
# finds in /lib/aarch64-linux-gnu, and that mismatch (private loader data
# laid out differently) makes every fork and pthread_create spin for ever.
# A build folder configured before this fix keeps the old value in its
# cache: replace it.
if(CMAKE_CROSSCOMPILING_EMULATOR MATCHES ";-L;/usr/${PV_CROSS_TRIPLE}$"
   AND EXISTS /lib/ld-linux-aarch64.so.1)
  unset(CMAKE_CROSSCOMPILING_EMULATOR CACHE)
endif()
if(NOT DEFINED CMAKE_CROSSCOMPILING_EMULATOR)
  find_program(PV_QEMU_AARCH64 qemu-aarch64)
  if(PV_QEMU_AARCH64)
    if(EXISTS /lib/ld-linux-aarch64.so.1)
      set(pv_qemu_prefix /)
    else()
      set(pv_qemu_prefix /usr/${PV_CROSS_TRIPLE})
    endif()
    set(CMAKE_CROSSCOMPILING_EMULATOR "${PV_QEMU_AARCH64};-L;${pv_qemu_prefix}"
        CACHE STRING "How to run arm64 programs on the build machine")
  endif()
endif()

# The .deb's architecture (cmake/packaging.cmake).
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64 CACHE STRING "Debian architecture of the packages")
