#!/bin/sh
# The shared libraries Qt needs on Debian/Ubuntu (the desktop app and its offscreen
# tests). Installs what is missing when run as root; otherwise names the command.
set -eu
PACKAGES="libegl1 libgl1 libglib2.0-0 libfontconfig1 libfreetype6 libxkbcommon0 libdbus-1-3 libx11-6 libxcb1 fonts-dejavu-core"

command -v dpkg-query >/dev/null 2>&1 || exit 0  # not a Debian-like system: nothing to check
missing=""
for pkg in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $pkg" ;;
    esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing system libraries for Qt:$missing"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
else
    echo "Qt needs these system packages:$missing"
    echo "install them with: sudo apt-get install$missing"
    exit 1
fi
