#!/bin/sh
# Installs the Debian packages listed in a package list that are missing:
# scripts/debian-packages.txt by default, or the list file given as the
# first argument (e.g. scripts/debian-packages-bench.txt for `make bench`).
# As root it runs apt-get; otherwise it prints the exact command to run and
# stops with status 1.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
list="${1:-$here/debian-packages.txt}"
if [ ! -r "$list" ]; then
  echo "install-deps: cannot read the package list $list" >&2
  exit 2
fi
missing=""
for pkg in $(grep -v '^[[:space:]]*#' "$list" | tr -s ' \t' '\n' | grep -v '^$'); do
  status=$(dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null || true)
  case "$status" in
    *" installed") ;;
    *) missing="$missing $pkg" ;;
  esac
done
if [ -z "$missing" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Porte-voix needs these Debian packages:$missing"
  echo "Install them with:"
  echo "  sudo apt-get install -y$missing"
  exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
