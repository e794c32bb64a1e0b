#!/bin/sh
# arm64 CI for the Raspberry Pi (issue 7), as root on Debian 12 amd64:
#   1. the .deb packages for amd64 (Release, installed paths compiled in),
#      lintian, then installed: the kiosk runs a headless script from
#      /usr/share/porte-voix as the porte-voix user, writing to
#      /var/lib/porte-voix; purge keeps the data unless PV_PURGE_DATA=1;
#      `systemd-analyze verify` on both units;
#   2. a cross-build for arm64 (cmake/toolchain-aarch64-linux-gnu.cmake) and
#      every test under `qemu-aarch64 -L /` (no binfmt_misc: ctest runs the
#      tests through CMAKE_CROSSCOMPILING_EMULATOR and the tests run the
#      built programs through it, tests/testlib.c); PostgreSQL is the
#      build machine's own server (amd64), the arm64 libpq talks to it on
#      loopback;
#   3. the arm64 .deb packages, lintian, and the same installed checks as
#      for amd64 (the arm64 programs under qemu, the packages beside the
#      multiarch arm64 libraries).
#
# Everything happens in a Debian 12 chroot made with debootstrap (kept in
# $PV_ARM64_WORK, default /var/tmp/pv-arm64, and reused), so this machine's
# own packages and architectures never change: installing libpq-dev:arm64
# removes libpq-dev:amd64 (not Multi-Arch: same in bookworm), and the
# packages install a system user and services. The source is the working
# tree (tracked and untracked files that git does not ignore; without a
# usable git, everything but build/).
#
#   scripts/arm64-ci.sh            # the whole run; the .debs end in $PV_ARM64_WORK/out
#   PV_ARM64_TESTS=0 scripts/arm64-ci.sh   # packages only
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work=${PV_ARM64_WORK:-/var/tmp/pv-arm64}
root=$work/chroot
mirror=${PV_DEBIAN_MIRROR:-http://deb.debian.org/debian}

# Build and run-time packages (scripts/debian-packages.txt, less the
# fuzzer), for the build machine and for arm64; the test server
# (postgresql) and openssl (test certificates) only for the build machine.
DEV_PKGS="libsqlite3-dev libcjson-dev libssl-dev libsdl2-dev libsdl2-ttf-dev
libsdl2-image-dev libfribidi-dev libespeak-ng-dev libcurl4-openssl-dev
libmicrohttpd-dev libpq-dev"
HOST_PKGS="build-essential cmake pkg-config git file fakeroot dpkg-dev lintian
systemd qemu-user crossbuild-essential-arm64 ca-certificates postgresql openssl"

t0=$(date +%s)
step() { echo "== arm64-ci [$(($(date +%s) - t0)) s] $*"; }

# check ARGS: test(1) that stops the run, naming what failed (a failed test
# inside `a && b` would not stop a `set -e` script).
check() {
  test "$@" || { echo "arm64-ci: check failed: test $*" >&2; exit 1; }
}

# installed ARCH [RUNNER...]: installs both .debs of ARCH, checks the user,
# folders and modes, runs the installed kiosk headless as porte-voix from
# /usr/share content into /var/lib/porte-voix (through RUNNER, the
# emulator, for arm64), lints the sample surveys, adds a territory with
# the installed collector, verifies both units, then purges: the data
# stays unless PV_PURGE_DATA=1.
installed() {
  arch=$1
  shift
  db=/var/lib/porte-voix/porte-voix.db # the service's own store
  step "$arch: install, headless run from /usr/share, purge"
  apt-get install -y -q --no-install-recommends /out/porte-voix-kiosk_*_"$arch".deb \
    /out/porte-voix-collector_*_"$arch".deb >/dev/null
  # Configured twice (a reinstall): the maintainer scripts are idempotent.
  dpkg -i /out/porte-voix-kiosk_*_"$arch".deb >/dev/null
  getent passwd porte-voix >/dev/null
  check "$(stat -c %U:%G:%a /var/lib/porte-voix)" = porte-voix:porte-voix:750
  check "$(stat -c %U:%G:%a /etc/porte-voix/kiosk.json)" = root:porte-voix:640
  check -s /lib/udev/rules.d/90-porte-voix-usb.rules
  sed 's/LANG/fr/g' $src/tests/scripts/tour.txt >/tmp/tour.txt
  # No --surveys, --assets or --tts: the defaults compiled in must be the
  # installed ones. The config is the installed default.
  runuser -u porte-voix -- env SDL_AUDIODRIVER=dummy "$@" /usr/bin/pv-kiosk --headless \
    --config /etc/porte-voix/kiosk.json --db $db --size 800x480 --script /tmp/tour.txt
  check -s $db
  runuser -u porte-voix -- "$@" /usr/bin/pv-kiosk check /usr/share/porte-voix/content/surveys
  runuser -u porte-voix -- "$@" /usr/bin/pv-collector territory add 34172 Test \
    --db /var/lib/porte-voix/collector.db
  for unit in porte-voix-kiosk porte-voix-collector; do
    systemd-analyze verify /lib/systemd/system/$unit.service
  done
  # A plain purge keeps the answers and the config.
  apt-get purge -y -q porte-voix-kiosk porte-voix-collector >/dev/null 2>&1
  check -s $db
  check -s /var/lib/porte-voix/collector.db
  check -e /etc/porte-voix/kiosk.json
  # PV_PURGE_DATA=1 deletes the kiosk's, and only the kiosk's.
  apt-get install -y -q --no-install-recommends /out/porte-voix-kiosk_*_"$arch".deb >/dev/null
  PV_PURGE_DATA=1 apt-get purge -y -q porte-voix-kiosk >/dev/null 2>&1
  check ! -e $db
  check ! -e /etc/porte-voix/kiosk.json
  check -s /var/lib/porte-voix/collector.db
  rm -rf /var/lib/porte-voix /etc/porte-voix
}

# ---- inside the chroot --------------------------------------------------
inside() {
  export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
  src=/src b=/b
  mkdir -p $b /out "$src/build"
  # apt-get in a chroot must not start services.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d

  step "apt: build machine packages"
  apt-get update -q >/dev/null
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $HOST_PKGS $DEV_PKGS >/dev/null

  # Debian's hardening flags, all of them (bindnow too: -z now).
  export DEB_BUILD_MAINT_OPTIONS=hardening=+all
  flags="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
  ldflags=$(dpkg-buildflags --get LDFLAGS)

  step "amd64: package build"
  rm -rf $b/amd64 /out/*.deb
  cmake -S $src -B $b/amd64 -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPV_PACKAGE=ON \
    -DPV_TTS_DIR=$b/tts -DCMAKE_C_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags" >/dev/null
  cmake --build $b/amd64 -j "$(nproc)" >$b/amd64.log 2>&1 || { tail -40 $b/amd64.log; exit 1; }
  (cd $b/amd64 && cpack -G DEB >/dev/null)
  cp $b/amd64/*.deb /out/

  step "amd64: lintian"
  lintian --fail-on error,warning /out/*_amd64.deb

  installed amd64

  step "apt: arm64 packages"
  dpkg --add-architecture arm64
  apt-get update -q >/dev/null
  # shellcheck disable=SC2046
  apt-get install -y -q --no-install-recommends $(for p in $DEV_PKGS; do echo "$p:arm64"; done) >/dev/null

  aflags="$(DEB_HOST_ARCH=arm64 dpkg-buildflags --get CFLAGS) $(DEB_HOST_ARCH=arm64 dpkg-buildflags --get CPPFLAGS)"
  aldflags=$(DEB_HOST_ARCH=arm64 dpkg-buildflags --get LDFLAGS)
  cross="-DCMAKE_TOOLCHAIN_FILE=$src/cmake/toolchain-aarch64-linux-gnu.cmake
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPV_TTS_DIR=$b/tts"
  # The prompt cache ($b/tts) is the amd64 build's: the files are the same
  # on every architecture, and synthesis under qemu is slower.
  rm -rf $b/arm64
  if [ "${PV_ARM64_TESTS:-1}" = 1 ]; then
    step "arm64: cross-build (tests)"
    # shellcheck disable=SC2086
    cmake -S $src -B $b/arm64 $cross -DPV_PACKAGE=OFF -DCMAKE_C_FLAGS="$aflags" \
      -DCMAKE_EXE_LINKER_FLAGS="$aldflags" >/dev/null
    cmake --build $b/arm64 -j "$(nproc)" >$b/arm64.log 2>&1 || { tail -40 $b/arm64.log; exit 1; }
    step "arm64: ctest under qemu-aarch64"
    ctest --test-dir $b/arm64 --output-on-failure -j "$(nproc)" --timeout 600
  fi
  step "arm64: package build"
  # shellcheck disable=SC2086
  cmake -S $src -B $b/arm64 $cross -DPV_PACKAGE=ON -DCMAKE_C_FLAGS="$aflags" \
    -DCMAKE_EXE_LINKER_FLAGS="$aldflags" >/dev/null
  cmake --build $b/arm64 -j "$(nproc)" --target pv-kiosk pv-collector tts >$b/arm64.log 2>&1 ||
    { tail -40 $b/arm64.log; exit 1; }
  (cd $b/arm64 && cpack -G DEB >/dev/null)
  cp $b/arm64/*.deb /out/
  step "arm64: lintian"
  lintian --fail-on error,warning /out/*_arm64.deb
  # The arm64 packages install beside the arm64 libraries (multiarch); the
  # programs run under the emulator, the maintainer scripts are sh.
  installed arm64 qemu-aarch64 -L /
  ls -l /out/*.deb
  step "done"
}

if [ "${1:-}" = --inside ]; then
  inside
  exit 0
fi

# ---- outside: make or reuse the chroot, copy the tree, run inside -------
if [ "$(id -u)" -ne 0 ]; then
  echo "arm64-ci: run as root (debootstrap, chroot)" >&2
  exit 2
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends debootstrap >/dev/null
fi
mkdir -p "$work"
if [ ! -x "$root/usr/bin/apt-get" ]; then
  step "debootstrap bookworm into $root"
  rm -rf --one-file-system "$root"
  debootstrap --variant=buildd bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log"; exit 1; }
  cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
EOF
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
mounted=""
cleanup() {
  for m in $mounted; do umount -R "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM
for m in proc sys dev; do
  if ! mountpoint -q "$root/$m"; then
    case $m in
      proc) mount -t proc proc "$root/proc" ;;
      *) mount --rbind "/$m" "$root/$m" && mount --make-rslave "$root/$m" ;;
    esac
    mounted="$root/$m $mounted"
  fi
done
rm -rf "$root/src" && mkdir -p "$root/src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
  (cd "$top" && git ls-files -z -co --exclude-standard | tar -cf - --null -T -)
else # a CI machine may have the checkout without git itself
  (cd "$top" && tar -cf - --exclude=./build --exclude=./.git .)
fi | tar -xf - -C "$root/src"
rm -rf "$work/out" && mkdir -p "$work/out"
# One version for both architectures' packages (cmake/packaging.cmake): the
# last commit's time for a clean checkout, else now (uncommitted changes
# must still make a newer package).
epoch=$(date +%s)
if [ -z "$(git -C "$top" status --porcelain 2>/dev/null || echo unknown)" ]; then
  epoch=$(git -C "$top" log -1 --format=%ct)
fi
chroot "$root" env PV_ARM64_TESTS="${PV_ARM64_TESTS:-1}" SOURCE_DATE_EPOCH="$epoch" \
  sh /src/scripts/arm64-ci.sh --inside
cp "$root"/out/*.deb "$work/out/"
echo "arm64-ci: packages in $work/out"
