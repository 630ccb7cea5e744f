"""Waiting on conditions, never sleeping for luck: one bounded poll for every test."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

WAIT = 5.0  # real seconds any single condition may take before a test fails


async def wait_until(predicate: Callable[[], Any], timeout: float = WAIT, what: str = "") -> Any:
    """Poll ``predicate`` every 10 ms until it is truthy; fail after ``timeout`` real seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    for _ in range(int(timeout / 0.01) + 2):
        result = predicate()
        if result:
            return result
        if loop.time() >= deadline:
            break
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what or predicate}")
