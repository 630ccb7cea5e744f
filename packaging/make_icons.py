"""Render resources/icons/ocpp-bench.svg into the raster icons the platforms want.

    .venv/bin/python packaging/make_icons.py

Writes resources/icons/png/ocpp-bench-<N>.png (the Linux icon theme sizes, installed
by install_desktop.sh), packaging/icons/ocpp-bench.ico (Windows: PNG-compressed
entries, 16-256 px) and packaging/icons/ocpp-bench.icns (macOS, through Qt's icns
plugin when present). Re-run it after changing the SVG; the outputs are committed.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QImageWriter, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "ocpp-bench.svg"
PNG_DIR = ROOT / "resources" / "icons" / "png"
OUT_DIR = ROOT / "packaging" / "icons"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # ICO entries stop at 256


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICO file whose entries are PNG images (valid since Windows Vista)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = 6 + 16 * len(pngs)
    entries, blobs = b"", b""
    for size, blob in sorted(pngs.items()):
        side = 0 if size >= 256 else size  # 0 means 256 in an ICO directory entry
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(blob), offset)
        blobs += blob
        offset += len(blob)
    return header + entries + blobs


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"cannot read {SVG}", file=sys.stderr)
        return 1
    PNG_DIR.mkdir(parents=True, exist_ok=True)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    images = {size: render(renderer, size) for size in PNG_SIZES}
    for size, image in images.items():
        image.save(str(PNG_DIR / f"ocpp-bench-{size}.png"), "PNG")
    (OUT_DIR / "ocpp-bench.ico").write_bytes(
        ico_bytes({size: png_bytes(images[size]) for size in ICO_SIZES})
    )
    if b"icns" in [bytes(f.data()) for f in QImageWriter.supportedImageFormats()]:
        images[512].save(str(OUT_DIR / "ocpp-bench.icns"), "ICNS")
    else:
        print("no icns image plugin: build the .icns on macOS (packaging/README.md)")
    del app
    print(f"icons written to {PNG_DIR.relative_to(ROOT)} and {OUT_DIR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
