# Debian packages (CPack DEB): porte-voix-kiosk and porte-voix-collector, for
# the architecture being built (amd64 natively, arm64 with
# cmake/toolchain-aarch64-linux-gnu.cmake). Included once, at the end of the
# root CMakeLists.txt. See docs/raspberry-pi.md and scripts/arm64-ci.sh.
#
#   cmake -S . -B build/pkg -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPV_PACKAGE=ON
#   cmake --build build/pkg -j2 && (cd build/pkg && cpack -G DEB)
#
# Installed layout (the same on a Pi and on a server):
#   /usr/bin/pv-kiosk, /usr/bin/pv-collector
#   /usr/share/porte-voix/{assets,content/surveys,content/quartiers.json,tts}
#   /usr/share/porte-voix/kiosk.json.default  (copied to /etc by postinst)
#   /lib/systemd/system/porte-voix-{kiosk,collector}.service
#   /lib/udev/rules.d/90-porte-voix-usb.rules (USB sticks for the export)
#   /etc/porte-voix/ (made by postinst), /var/lib/porte-voix/ (data)
include(GNUInstallDirs)

# The programs find their assets, sample surveys and prompt cache at paths
# compiled in (PV_DEFAULT_* in core/ and kiosk/CMakeLists.txt), which point
# into the source tree for development and tests. PV_PACKAGE=ON points them
# at the installed paths instead; tests that rely on the defaults then fail,
# so test with PV_PACKAGE=OFF and package with ON (an incremental rebuild of
# pv_core and pv_kiosk: the build still reads content/ and writes the prompt
# cache to PV_TTS_DIR, which is what gets installed).
option(PV_PACKAGE "Compile the installed paths (/usr/share/porte-voix) into the programs" OFF)
set(PV_PKG_PREFIX /usr)
set(PV_PKG_SHARE "${PV_PKG_PREFIX}/share/porte-voix")

# Replaces the compile definition NAME of TARGET by NAME="VALUE".
function(pv_pkg_default target name value)
  get_target_property(defs ${target} COMPILE_DEFINITIONS)
  list(FILTER defs EXCLUDE REGEX "^${name}=")
  list(APPEND defs "${name}=\"${value}\"")
  set_property(TARGET ${target} PROPERTY COMPILE_DEFINITIONS "${defs}")
endfunction()

if(PV_PACKAGE)
  pv_pkg_default(pv_core PV_DEFAULT_ASSETS_DIR "${PV_PKG_SHARE}/assets")
  pv_pkg_default(pv_core PV_DEFAULT_TTS_DIR "${PV_PKG_SHARE}/tts")
  pv_pkg_default(pv_kiosk PV_DEFAULT_ASSETS_DIR "${PV_PKG_SHARE}/assets")
  pv_pkg_default(pv_kiosk PV_DEFAULT_SURVEYS_DIR "${PV_PKG_SHARE}/content/surveys")
endif()

set(PV_PKG_SRC "${PROJECT_SOURCE_DIR}/packaging")
set(PV_PKG_GEN "${PROJECT_BINARY_DIR}/packaging")

# ---- what each package holds ----
install(TARGETS pv-kiosk RUNTIME DESTINATION bin COMPONENT kiosk)
install(DIRECTORY "${PV_ASSETS_DIR}/" DESTINATION share/porte-voix/assets COMPONENT kiosk)
install(DIRECTORY "${PV_CONTENT_DIR}/surveys/" DESTINATION share/porte-voix/content/surveys
        COMPONENT kiosk PATTERN README.md EXCLUDE)
install(FILES "${PV_CONTENT_DIR}/quartiers.json" DESTINATION share/porte-voix/content
        COMPONENT kiosk)
# The prompt cache the build synthesised (tools/CMakeLists.txt, target tts).
install(DIRECTORY "${PV_TTS_DIR}/" DESTINATION share/porte-voix/tts COMPONENT kiosk
        FILES_MATCHING PATTERN "*.wav")
install(FILES "${PV_PKG_SRC}/kiosk.json.default" DESTINATION share/porte-voix COMPONENT kiosk)
install(FILES "${PV_PKG_SRC}/systemd/porte-voix-kiosk.service"
        DESTINATION /lib/systemd/system COMPONENT kiosk)
# USB sticks mounted for the export screen (Raspberry Pi OS Lite has no
# automounter).
install(FILES "${PV_PKG_SRC}/udev/90-porte-voix-usb.rules"
        DESTINATION /lib/udev/rules.d COMPONENT kiosk)

install(TARGETS pv-collector RUNTIME DESTINATION bin COMPONENT collector)
install(FILES "${PV_PKG_SRC}/systemd/porte-voix-collector.service"
        DESTINATION /lib/systemd/system COMPONENT collector)

# The packages' version: the project's, then a UTC stamp that grows with
# every build (`apt install ./porte-voix-kiosk_*.deb` must see a newer
# version to update a kiosk): SOURCE_DATE_EPOCH when set (reproducible
# builds), else the last commit's time for a clean checkout, else now (a
# tree with uncommitted changes, or no git). 0.1.0+20261123.184512.
set(pv_epoch "$ENV{SOURCE_DATE_EPOCH}")
if(NOT pv_epoch)
  execute_process(COMMAND git -C "${PROJECT_SOURCE_DIR}" status --porcelain
                  OUTPUT_VARIABLE pv_dirty ERROR_QUIET RESULT_VARIABLE pv_git_rc)
  if(pv_git_rc EQUAL 0 AND pv_dirty STREQUAL "")
    execute_process(COMMAND git -C "${PROJECT_SOURCE_DIR}" log -1 --format=%ct
                    OUTPUT_VARIABLE pv_epoch OUTPUT_STRIP_TRAILING_WHITESPACE
                    ERROR_QUIET)
  endif()
endif()
if(pv_epoch MATCHES "^[0-9]+$")
  set(ENV{SOURCE_DATE_EPOCH} "${pv_epoch}") # string(TIMESTAMP) honours it
endif()
string(TIMESTAMP pv_stamp "%Y%m%d.%H%M%S" UTC)
set(PV_PKG_UPSTREAM "${PROJECT_VERSION}+${pv_stamp}")

# Per package: copyright, changelog.Debian.gz, docs, lintian overrides.
string(TIMESTAMP PV_PKG_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
set(PV_PKG_VERSION "${PV_PKG_UPSTREAM}-1")
set(PV_PKG_MAINTAINER "Porte-voix team <porte-voix@example.org>"
    CACHE STRING "Maintainer field of the .deb packages")
foreach(comp kiosk collector)
  set(pkg porte-voix-${comp})
  file(WRITE "${PV_PKG_GEN}/${comp}/changelog.Debian"
       "porte-voix (${PV_PKG_VERSION}) unstable; urgency=medium\n\n"
       "  * Built from the Porte-voix repository; its git log is the changelog.\n\n"
       " -- ${PV_PKG_MAINTAINER}  ${PV_PKG_DATE}\n")
  execute_process(COMMAND gzip -9nf "${PV_PKG_GEN}/${comp}/changelog.Debian")
  install(FILES "${PV_PKG_GEN}/${comp}/changelog.Debian.gz" "${PV_PKG_SRC}/copyright"
          DESTINATION share/doc/${pkg} COMPONENT ${comp})
  install(FILES "${PV_PKG_SRC}/${comp}/lintian-overrides"
          DESTINATION share/lintian/overrides RENAME ${pkg} COMPONENT ${comp})
endforeach()
install(FILES "${PROJECT_SOURCE_DIR}/docs/raspberry-pi.md" "${PROJECT_SOURCE_DIR}/docs/kiosk-config.md"
              "${PROJECT_SOURCE_DIR}/docs/animateur.md"
        DESTINATION share/doc/porte-voix-kiosk COMPONENT kiosk)
install(FILES "${PROJECT_SOURCE_DIR}/docs/collector.md" "${PROJECT_SOURCE_DIR}/docs/sync-protocol.md"
        DESTINATION share/doc/porte-voix-collector COMPONENT collector)

# ---- CPack ----
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME porte-voix)
set(CPACK_PACKAGE_VENDOR "Porte-voix")
set(CPACK_PACKAGE_VERSION "${PV_PKG_UPSTREAM}")
set(CPACK_PACKAGING_INSTALL_PREFIX "${PV_PKG_PREFIX}")
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL kiosk collector)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SOURCE porte-voix)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${PV_PKG_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://porte-voix.example.org")
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON) # dpkg-shlibdeps: libraries of this architecture
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# The toolchain file sets arm64; natively, dpkg's own answer.
if(NOT CPACK_DEBIAN_PACKAGE_ARCHITECTURE)
  execute_process(COMMAND dpkg --print-architecture
                  OUTPUT_VARIABLE CPACK_DEBIAN_PACKAGE_ARCHITECTURE
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()

set(CPACK_DEBIAN_KIOSK_PACKAGE_NAME porte-voix-kiosk)
set(CPACK_DEBIAN_KIOSK_PACKAGE_SECTION misc)
# SDL's KMS/DRM back end loads EGL, GLES and Mesa's driver (vc4/v3d on a
# Pi) at run time: dpkg-shlibdeps cannot see them and libsdl2 does not
# depend on them.
set(CPACK_DEBIAN_KIOSK_PACKAGE_DEPENDS "adduser, libegl1, libgles2, libgl1-mesa-dri")
string(CONCAT CPACK_DEBIAN_KIOSK_DESCRIPTION
    "touchscreen survey kiosk for neighbourhood residents\n"
    "Porte-voix asks residents of a neighbourhood short illustrated surveys on a\n"
    "touchscreen, spoken aloud in French or Arabic, stores the answers on the\n"
    "device and sends them to a Porte-voix collector. This package runs the\n"
    "kiosk at boot on the Linux console (SDL on KMS/DRM, no desktop), as the\n"
    "porte-voix system user.")
set(CPACK_DEBIAN_KIOSK_PACKAGE_CONTROL_EXTRA
    "${PV_PKG_SRC}/kiosk/postinst;${PV_PKG_SRC}/kiosk/prerm;${PV_PKG_SRC}/kiosk/postrm")

set(CPACK_DEBIAN_COLLECTOR_PACKAGE_NAME porte-voix-collector)
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_SECTION net)
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_DEPENDS "adduser")
string(CONCAT CPACK_DEBIAN_COLLECTOR_DESCRIPTION
    "collector server for Porte-voix survey kiosks\n"
    "Porte-voix kiosks send their residents' survey answers to this HTTP server\n"
    "(SQLite or PostgreSQL storage); analysts export them as CSV, JSON or\n"
    "GeoJSON. This package runs it as a hardened systemd service on loopback,\n"
    "as the porte-voix system user.")
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_CONTROL_EXTRA
    "${PV_PKG_SRC}/collector/postinst;${PV_PKG_SRC}/collector/prerm;${PV_PKG_SRC}/collector/postrm")

include(CPack)
