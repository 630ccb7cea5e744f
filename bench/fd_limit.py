"""Open-file headroom: every station and every CSMS connection holds a socket.

Linux starts processes with a soft limit of 1,024 descriptors while the hard
limit is usually far higher; a CSMS serving 2,000 stations, or a run hosting as
many, needs the headroom. The soft limit may be raised to the hard one by any
process, so the CLIs do that at start (issue 11).
"""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)
_OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


def raise_open_file_limit() -> tuple[int, int] | None:
    """Raise the soft RLIMIT_NOFILE to the hard limit; returns (before, after) or None."""
    try:
        import resource
    except ImportError:  # not a POSIX system: nothing to raise
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft == resource.RLIM_INFINITY or soft >= target:
        return soft, soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError) as exc:
        log.info("could not raise the open-file limit from %d: %s", soft, exc)
        return soft, soft
    return soft, target


class AcceptErrorFilter:
    """A loop exception handler that reports running out of descriptors once per interval.

    asyncio reports every failed ``accept()`` (EMFILE, ENFILE, ENOBUFS) with a
    traceback and retries a second later, for as long as the shortage lasts; with
    thousands of connections waiting that is megabytes of stderr. This keeps one
    warning line per ``interval`` with the count of failures since the last one,
    and passes every other error on to the previous handler.
    """

    def __init__(self, now: Callable[[], float], interval: float = 10.0) -> None:
        self._now = now
        self.interval = interval
        self._last = -interval
        self.suppressed = 0
        self._previous: Callable[..., object] | None = None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        self._previous = loop.get_exception_handler()
        loop.set_exception_handler(self)

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict) -> None:
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in _OUT_OF_RESOURCES:
            now = self._now()
            if now - self._last >= self.interval:
                log.warning(
                    "refusing connections: out of file descriptors (%s)%s",
                    exc.strerror,
                    f"; {self.suppressed} more since the last report" if self.suppressed else "",
                )
                self._last = now
                self.suppressed = 0
            else:
                self.suppressed += 1
            return
        if self._previous is not None:
            self._previous(loop, context)
        else:
            loop.default_exception_handler(context)
