"""What the user can do, as small functions (one module per noun) that call the core.

Operations never touch widgets. They raise ``OperationError`` (or let the core's
``StateError``/``ValueError``/``KeyError`` through) with a message a user can act
on; ``perform`` and ``perform_async`` are the one place those errors become a
status-bar message (ARCHITECTURE rule 8).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from bench.model.connector import StateError
from bench.ocpp.errors import CallError, CallTimeout, LinkClosed

T = TypeVar("T")


class OperationError(Exception):
    """A user action that cannot be done now; the message says why."""


# Errors a user can cause and understand; anything else is a bug and goes to
# the excepthook (logged with its traceback, shown as "Unexpected error").
EXPECTED = (OperationError, StateError, ValueError, LookupError, CallError, CallTimeout, LinkClosed)


class Reporter(Protocol):
    def report_error(self, message: str) -> None: ...
    def report_info(self, message: str) -> None: ...


def _message(exc: BaseException) -> str:
    from ui.errors import user_message

    return user_message(exc)


def perform(reporter: Reporter, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Run an operation; an expected failure becomes a status-bar message and None."""
    try:
        return fn(*args, **kwargs)
    except EXPECTED as exc:
        reporter.report_error(_message(exc))
        return None


async def perform_async(
    reporter: Reporter, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any
) -> T | None:
    try:
        return await fn(*args, **kwargs)
    except EXPECTED as exc:
        reporter.report_error(_message(exc))
        return None
