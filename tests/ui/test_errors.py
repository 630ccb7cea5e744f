"""Errors reach the user as one line in the status bar; the app keeps running."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import QObject, Signal

from ui.errors import ErrorReporter
from ui.operations import OperationError, perform


class _Boom(QObject):
    fired = Signal()


def _explode() -> None:
    raise RuntimeError("the slot broke")


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_qt_slot_goes_to_the_reporter_not_the_terminal(qapp, capsys):
    reporter = ErrorReporter()
    seen: list[str] = []
    reporter.error.connect(seen.append)
    source = _Boom()
    source.fired.connect(_explode)
    reporter.install()
    try:
        source.fired.emit()
    finally:
        reporter.uninstall()
    assert seen == ["Unexpected error: the slot broke"]
    assert "Traceback" not in capsys.readouterr().err


async def test_an_exception_in_a_task_goes_to_the_reporter(qapp):
    reporter = ErrorReporter()
    seen: list[str] = []
    reporter.error.connect(seen.append)
    loop = asyncio.get_running_loop()
    reporter.install(loop)
    try:

        async def fail() -> None:
            raise ValueError("bad value from a task")

        task = loop.create_task(fail())
        await asyncio.wait({task})
        del task  # the "exception was never retrieved" report comes on collection
        import gc

        gc.collect()
        await asyncio.sleep(0)
    finally:
        reporter.uninstall(loop)
    assert any("bad value from a task" in message for message in seen)


def test_perform_turns_an_expected_failure_into_a_message(qapp):
    reporter = ErrorReporter()
    seen: list[str] = []
    reporter.error.connect(seen.append)

    def refuse() -> None:
        raise OperationError("Connector 1 has nothing plugged in")

    assert perform(reporter, refuse) is None
    assert seen == ["Connector 1 has nothing plugged in"]
    with pytest.raises(ZeroDivisionError):  # a bug is not "expected": it goes to the hook
        perform(reporter, lambda: 1 / 0)
