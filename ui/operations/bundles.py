"""Session bundles from the app: export the selected station's session, open a bundle."""

from __future__ import annotations

from pathlib import Path

from bench.bundle.export import export_bundle
from bench.bundle.format import Bundle, read_bundle, write_bundle
from bench.model.clock import SystemClock
from bench.workspace import Workspace
from ui.operations import OperationError


def export_session(workspace: Workspace, station_id: str | None, path: str | Path) -> Bundle:
    """Write ``station_id``'s session, as the workspace database holds it, to ``path``."""
    if station_id is None:
        raise OperationError("Select a station first")
    if workspace.db is None or workspace.message_log is None:
        raise OperationError("The workspace has no database open yet")
    run = workspace.stations.get(station_id)
    if run is not None:
        run.save_settings()  # a running station's settings as they are now
    workspace.message_log.flush()  # the frames of the last quarter second too
    clock = run.clock if run is not None else SystemClock()
    bundle = export_bundle(workspace.db, station_id, now=clock.now())
    try:
        write_bundle(bundle, path)
    except OSError as exc:
        raise OperationError(f"Cannot write {path}: {exc.strerror or exc}") from None
    return bundle


def open_bundle(path: str | Path) -> Bundle:
    """Read a bundle (``BundleError``, a ValueError, says what is wrong with the file)."""
    try:
        return read_bundle(path)
    except OSError as exc:
        raise OperationError(f"Cannot read {path}: {exc.strerror or exc}") from None
