"""Suite-wide guards (ARCHITECTURE, Tests): no task left running, no swallowed error."""

from __future__ import annotations

import asyncio
import logging
import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "allow_errors: the test provokes errors that the bench logs at ERROR level"
    )


@pytest.fixture(autouse=True)
async def no_task_left_running():
    """Fail a test that leaves an asyncio task of its own running when it ends."""
    before = asyncio.all_tasks()
    yield
    await asyncio.sleep(0)
    current = asyncio.current_task()
    left = [t for t in asyncio.all_tasks() - before if t is not current and not t.done()]
    for task in left:
        task.cancel()
    if left:
        await asyncio.gather(*left, return_exceptions=True)
        names = ", ".join(sorted(t.get_name() for t in left))
        pytest.fail(f"test left {len(left)} task(s) running: {names}")


@pytest.fixture(autouse=True)
def no_swallowed_errors(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture):
    """Fail a test during which the bench logged an ERROR it did not expect."""
    caplog.set_level(logging.WARNING, logger="bench")
    yield
    if request.node.get_closest_marker("allow_errors"):
        return
    errors = [
        r
        for r in caplog.get_records("call")
        if r.levelno >= logging.ERROR and r.name.startswith("bench")
    ]
    if errors:
        lines = "; ".join(f"{r.name}: {r.getMessage()}" for r in errors[:5])
        pytest.fail(f"the bench logged {len(errors)} error(s): {lines}")
