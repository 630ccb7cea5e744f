#!/bin/sh
# The Debian/Ubuntu packages OCPP Bench needs outside Python.
#
#   sh packaging/system_deps.sh          what the desktop app needs (make run)
#   sh packaging/system_deps.sh --test   that plus what the test suite needs (make test)
#   sh packaging/system_deps.sh --list [--test]   print the package names, install nothing
#
# Installs what is missing when run as root; otherwise names the command and fails,
# so `make run` stops with this message instead of Qt's abort.
#
# RUNTIME lists the libraries of Qt 6 (PySide6's wheels bring Qt, not these), read
# off `ldd` of PySide6/Qt/plugins/platforms/libqxcb.so, libQt6XcbQpa.so.6 and the
# xcbglintegrations plugins, each .so mapped to its Debian 12 package with dpkg -S.
# Qt's own error names only libxcb-cursor0 even when icccm4 or keysyms1 are missing.
# tests/ui/test_xcb_system_deps.py checks this list against the installed plugin.
set -eu

RUNTIME="
libegl1 libgl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 fonts-dejavu-core
libx11-6 libx11-xcb1 libxkbcommon0 libxkbcommon-x11-0
libxcb1 libxcb-cursor0 libxcb-glx0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0
libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1
"
# The real app on a virtual X server (tests/ui/test_xcb_*.py); the app grabs its
# own window for screenshots, so no screenshot tool is needed.
TEST_ONLY="xvfb"

list_only=false
with_tests=false
for arg in "$@"; do
    case "$arg" in
        --list) list_only=true ;;
        --test) with_tests=true ;;
        *) echo "usage: sh packaging/system_deps.sh [--test] [--list]" >&2; exit 2 ;;
    esac
done
PACKAGES=$RUNTIME
$with_tests && PACKAGES="$PACKAGES $TEST_ONLY"

if $list_only; then
    for pkg in $PACKAGES; do echo "$pkg"; done
    exit 0
fi

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
    echo "installing system packages:$missing"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # shellcheck disable=SC2086  # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
    exit 0
fi
# Not root. A name dpkg does not know may still be provided under another name
# (Ubuntu 24.04 renamed libglib2.0-0 to libglib2.0-0t64): ask apt what it would install.
if command -v apt-get >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    simulated=$(apt-get -s install --no-install-recommends $missing 2>/dev/null) && {
        needed=$(printf '%s\n' "$simulated" | awk '/^Inst /{printf " %s", $2}')
        [ -z "$needed" ] && exit 0
    }
fi
echo "OCPP Bench needs these system packages:$missing"
echo "install them with: sudo apt-get install$missing"
exit 1
