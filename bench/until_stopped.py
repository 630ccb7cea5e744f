"""Wait for the user to stop a foreground command: a duration, Ctrl+C or SIGTERM.

Shared by ``ocpp-bench run`` (``bench.cli``) and the headless demo
(``bench.demo``); its own module so that neither imports the other for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal


async def wait_until_stopped(duration: float | None) -> None:
    """Until ``duration`` real seconds pass, or SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), duration)
    except TimeoutError:
        pass
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
