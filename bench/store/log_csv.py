"""The message log as CSV, for spreadsheets: one row per frame, the payload as compact JSON.

The columns follow the JSON Lines shape (``FrameRecord.as_json_dict``) so the two
exports say the same thing: ``ts`` is ISO 8601 UTC with milliseconds, ``valid``
is ``true``/``false``/empty, ``latency_ms`` is empty where the frame is no reply.
Rows are read in chunks by row id (keyset paging), so memory stays flat and each
chunk costs an index seek, whatever the size of the log.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from bench.store.messages import MessageLog

CSV_COLUMNS = (
    "ts",
    "station",
    "direction",
    "type",
    "id",
    "action",
    "latency_ms",
    "valid",
    "error",
    "payload",
)
_CHUNK = 1000
_MAX_CHUNKS = 10_000_000  # a bound for the loop; 10 billion rows is far beyond any log

_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column == "valid":
        return "true" if value else "false"
    if column == "payload":
        return value if isinstance(value, str) else _compact(value)
    return str(value)


def export_csv(log: MessageLog, path: str | Path, **filters: Any) -> int:
    """Write the frames matching ``filters`` (those of ``MessageLog.query``) to ``path``.

    Returns the number of data rows (the header row is not counted).
    """
    if "limit" in filters or "offset" in filters or "newest_first" in filters:
        raise ValueError("export_csv exports the whole filtered view (no paging options)")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    after = filters.pop("after_id", None) or 0
    n = 0
    # newline="": the csv module writes its own \r\n line ends (RFC 4180).
    with open(target, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for _ in range(_MAX_CHUNKS):
            chunk = log.query_with_ids(after_id=after, limit=_CHUNK, **filters)
            if not chunk:
                break
            for _row_id, rec in chunk:
                item = rec.as_json_dict()
                writer.writerow([_cell(c, item.get(c)) for c in CSV_COLUMNS])
            n += len(chunk)
            after = chunk[-1][0]
    return n
