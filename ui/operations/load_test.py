"""Load runs from the desktop app (issue 16), Qt-free: start one, stop it.

The run is ``bench.load.local.LocalLoadRun``: ``ocpp-bench load --processes K`` in a
child process, so Locust and gevent never load into the app. Its stations live in
that child: the app's station list does not change.
"""

from __future__ import annotations

from pathlib import Path

from bench.load.local import LoadRequest, LoadRunError, LocalLoadRun
from ui.operations import OperationError


async def start_load_run(request: LoadRequest, data_dir: Path) -> LocalLoadRun:
    """Start a local run; return once Locust's web UI answers (its address: ``run.url``)."""
    folder = Path(data_dir) / "load"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        request.profile.link_config(request.id_prefix)  # an unusable profile says why, here
    except ValueError as exc:
        raise OperationError(str(exc)) from None
    run = LocalLoadRun(request)
    try:
        await run.start(folder / "locust.log")
    except LoadRunError as exc:
        raise OperationError(str(exc)) from None
    return run
