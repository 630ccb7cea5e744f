#!/usr/bin/env bash
# Build the one-folder Linux bundle: dist/ocpp-bench/ocpp-bench (GUI and CLI in one executable).
#
#   packaging/build_linux.sh            build
#   packaging/build_linux.sh --smoke    build, then start the bundle offscreen and headless
#
# Needs the project's venv with the packaging extra: .venv/bin/pip install -e '.[packaging]'
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
cd "$ROOT"

"$PYTHON" -m PyInstaller --version >/dev/null 2>&1 || {
    echo "PyInstaller is missing: $PYTHON -m pip install -e '.[packaging]'" >&2
    exit 1
}

"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$ROOT/dist" --workpath "$ROOT/build" "$ROOT/packaging/ocpp-bench.spec"

BUNDLE="$ROOT/dist/ocpp-bench"
# The desktop entry, the icons and the installer travel with the bundle.
mkdir -p "$BUNDLE/share"
cp "$ROOT/packaging/ocpp-bench.desktop" "$ROOT/packaging/install_desktop.sh" "$BUNDLE/share/"
cp "$ROOT/resources/icons/ocpp-bench.svg" "$BUNDLE/share/"
cp -r "$ROOT/resources/icons/png" "$BUNDLE/share/png"
echo "bundle: $BUNDLE ($(du -sh "$BUNDLE" | cut -f1))"

if [[ "${1:-}" == "--smoke" ]]; then
    # Throw-away data and settings folders: the smoke run must not touch the user's.
    SCRATCH="$(mktemp -d)"
    trap 'rm -rf "$SCRATCH"' EXIT
    export XDG_DATA_HOME="$SCRATCH/data" XDG_CONFIG_HOME="$SCRATCH/config"
    echo "--- desktop app, offscreen, closes itself after 5 s"
    start=$(date +%s.%N)
    QT_QPA_PLATFORM=offscreen OCPP_BENCH_QUIT_AFTER=5 "$BUNDLE/ocpp-bench" 2>&1 \
        | grep -v "propagateSizeHints" || true
    echo "exited after $(echo "$(date +%s.%N) - $start" | bc) s (5 s requested)"
    test -f "$XDG_DATA_HOME/ocpp-bench/desktop/stations.db"
    echo "--- headless demo, 5 s"
    env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM \
        "$BUNDLE/ocpp-bench" demo --duration 5 | grep -E "BootNotification|StartTransaction"
    echo "smoke test passed"
fi
