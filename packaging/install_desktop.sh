#!/usr/bin/env bash
# Register an unpacked bundle with the desktop (menu entry and icon) for the current user.
#
#   dist/ocpp-bench/share/install_desktop.sh            (from the built bundle)
#   packaging/install_desktop.sh dist/ocpp-bench       (from the source tree)
#
# Installs into ~/.local/share (XDG_DATA_HOME); remove with --uninstall.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
APPS="$DATA/applications"
ICONS="$DATA/icons/hicolor"

if [[ "${1:-}" == "--uninstall" ]]; then
    rm -f "$APPS/ocpp-bench.desktop" "$ICONS/scalable/apps/ocpp-bench.svg" \
        "$ICONS"/*/apps/ocpp-bench.png
    echo "removed the OCPP Bench desktop entry"
    exit 0
fi

if [[ -n "${1:-}" ]]; then
    BUNDLE="$(cd "$1" && pwd)"
    SRC="$(cd "$HERE/.." && pwd)"
    DESKTOP="$SRC/packaging/ocpp-bench.desktop"
    SVG="$SRC/resources/icons/ocpp-bench.svg"
    PNGS="$SRC/resources/icons/png"
else
    BUNDLE="$(cd "$HERE/.." && pwd)"  # share/ sits inside the bundle
    DESKTOP="$HERE/ocpp-bench.desktop"
    SVG="$HERE/ocpp-bench.svg"
    PNGS="$HERE/png"
fi
EXE="$BUNDLE/ocpp-bench"
[[ -x "$EXE" ]] || { echo "no executable at $EXE" >&2; exit 1; }

mkdir -p "$APPS" "$ICONS/scalable/apps"
# Absolute paths: the bundle is usually not on PATH. Quote the path per the Desktop Entry spec.
sed -e "s|^Exec=.*|Exec=\"$EXE\"|" -e "s|^TryExec=.*|TryExec=$EXE|" "$DESKTOP" \
    >"$APPS/ocpp-bench.desktop"
cp "$SVG" "$ICONS/scalable/apps/ocpp-bench.svg"
for png in "$PNGS"/ocpp-bench-*.png; do
    size="$(basename "$png" .png)"
    size="${size##*-}"
    mkdir -p "$ICONS/${size}x${size}/apps"
    cp "$png" "$ICONS/${size}x${size}/apps/ocpp-bench.png"
done
command -v update-desktop-database >/dev/null && update-desktop-database "$APPS" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q "$ICONS" || true
echo "installed $APPS/ocpp-bench.desktop -> $EXE"
