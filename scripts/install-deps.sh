#!/bin/sh
# Installs the Debian packages listed in scripts/debian-packages.txt that
# are missing. As root it runs apt-get; otherwise it prints the exact
# command to run and stops with status 1.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
list="$here/debian-packages.txt"
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
