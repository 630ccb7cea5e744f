"""What a window shows, as a picture (tests/ui/xcb_shots.py drives the app and saves them).

On X11 the pixels come from the X server (``QScreen.grabWindow`` on the window's
id), so the picture is what a person would see, drawn through the xcb platform
plugin. Where the display server cannot give them back (offscreen, Wayland) Qt
renders the widget tree into the picture instead.
"""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import QWidget


def grab_window(window: QWidget) -> QPixmap:
    """The window's pixels now, after painting everything pending.

    Never spins a nested event loop (``processEvents``): called from a coroutine on
    the qasync loop, that would step other asyncio tasks inside the running one. A
    caller that just changed something (a palette switch re-polishes through posted
    events) lets the loop run first, e.g. ``await asyncio.sleep(0)``.
    """
    window.repaint()  # paints and flushes to the window synchronously
    pixmap = QPixmap()
    screen = window.screen()
    if QGuiApplication.platformName() == "xcb" and screen is not None:
        pixmap = screen.grabWindow(window.winId())
    if pixmap.isNull():
        pixmap = window.grab()
    return pixmap
