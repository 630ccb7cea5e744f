"""One place where errors reach the user: the status bar, never a traceback.

``ErrorReporter`` is a QObject with two signals the main window connects to its
status bar. ``install`` routes every unhandled exception to it: ``sys.excepthook``
(exceptions raised in Qt slots, including qasync's ``asyncSlot``) and the asyncio
loop's exception handler (tasks nobody awaited). The full traceback goes to the
log file/terminal at ERROR level, the user sees one line.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger("ui")


def user_message(exc: BaseException) -> str:
    """A one-line description of ``exc`` a user can act on."""
    text = str(exc).strip()
    if isinstance(exc, KeyError) and text.startswith(("'", '"')):
        text = text[1:-1]  # KeyError quotes its message
    return text or type(exc).__name__


class ErrorReporter(QObject):
    """Carries messages to the status bar; ``error`` for failures, ``info`` for outcomes."""

    error = Signal(str)
    info = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.last_error: str | None = None
        self._previous_hook: Callable[..., Any] | None = None

    def report_error(self, message: str) -> None:
        self.last_error = message
        self.error.emit(message)

    def report_info(self, message: str) -> None:
        self.info.emit(message)

    def report_exception(self, exc: BaseException, context: str = "") -> None:
        """An unexpected exception: log the traceback, show one line."""
        log.error(
            "unhandled error%s: %s\n%s",
            f" in {context}" if context else "",
            exc,
            "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
        )
        prefix = f"{context}: " if context else ""
        self.report_error(f"Unexpected error: {prefix}{user_message(exc)}")

    # ------------------------------------------------------------ hooks
    def install(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._previous_hook = sys.excepthook
        sys.excepthook = self._excepthook
        if loop is not None:
            loop.set_exception_handler(self._loop_handler)

    def uninstall(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        if self._previous_hook is not None and sys.excepthook == self._excepthook:
            sys.excepthook = self._previous_hook
        self._previous_hook = None
        if loop is not None:
            loop.set_exception_handler(None)

    def _excepthook(
        self,
        kind: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            if self._previous_hook is not None:
                self._previous_hook(kind, exc, tb)
            return
        self.report_exception(exc.with_traceback(tb))

    def _loop_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, BaseException):
            self.report_exception(exc, context.get("message", ""))
        else:
            message = str(context.get("message", "unknown error"))
            log.error("event loop: %s", message)
            self.report_error(message)
