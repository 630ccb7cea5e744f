"""The message log: every frame of every station, in one SQLite table.

Writes are batched (see ``BufferedSink``): ``record`` costs a list append and
a flush is one ``executemany`` in one transaction. Reads page rows back as
``FrameRecord`` objects for the UI, or stream them to a JSON Lines file.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.kernel.frames import FrameRecord
from bench.store.buffer import DEFAULT_BATCH_SIZE, DEFAULT_MAX_PENDING, BufferedSink
from bench.store.db import Schema, ensure_schema, register_schema, transaction
from bench.store.group_commit import group_of
from bench.store.jsontext import dumps_any as _dumps
from bench.store.sinks import json_line

log = logging.getLogger(__name__)

SCHEMA = register_schema(
    Schema(
        "messages",
        [
            """
            CREATE TABLE messages (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                ts REAL NOT NULL,
                station TEXT NOT NULL,
                direction TEXT NOT NULL,
                type TEXT NOT NULL,
                msg_id TEXT,
                action TEXT,
                payload TEXT,
                valid INTEGER,
                error TEXT,
                latency_ms REAL
            );
            CREATE INDEX messages_station_id ON messages (station, id);
            CREATE INDEX messages_action ON messages (action);
            CREATE INDEX messages_ts ON messages (ts);
            """,
            # Pairing a request with its reply looks rows up by message id.
            "CREATE INDEX messages_msg_id ON messages (msg_id);",
            # The proxy (bench.proxy) logs each frame on the leg it was seen on.
            "ALTER TABLE messages ADD COLUMN leg TEXT;",
        ],
    )
)

_INSERT = (
    "INSERT INTO messages (ts, station, direction, type, msg_id, action, payload, valid, "
    "error, latency_ms, leg) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_COLUMNS = "ts, station, direction, type, msg_id, action, payload, valid, error, latency_ms, leg"

_FRAME_NUMBER = {"CALL": "2", "CALLRESULT": "3"}

Since = float | datetime | None

_EXPORT_CHUNK = 1000
_UNSERIALISABLE_CHARS = 4096


def payload_text(rec: FrameRecord) -> str:
    """The JSON text of ``rec.payload``, cut out of ``rec.raw`` when that is safe.

    The transport already serialised (tx) or received (rx) the frame, so for a
    CALL ``[2,"id","Action",{...}]`` or CALLRESULT ``[3,"id",{...}]`` the payload
    is the object between the first ``{`` and the closing ``]``. That is only
    true when the id and action hold no ``{`` and the part before the object is
    exactly the expected header, which is checked; anything else is serialised.
    """
    raw = rec.raw
    payload = rec.payload
    if raw is not None and type(payload) is dict:
        number = _FRAME_NUMBER.get(rec.type)
        if number is not None:
            text = _slice_payload(raw, number, rec.id, rec.action if number == "2" else None)
            if text is not None:
                return text
    return safe_json(payload, raw)


def safe_json(payload: Any, raw: str | None) -> str:
    """``payload`` as JSON text; never raises, whatever a peer sent.

    A payload the encoder cannot take (nested past the interpreter's recursion
    limit, say) is stored as the JSON string of the frame's raw text instead, so
    the row and every row after it still reach the log.
    """
    try:
        return _dumps(payload)
    except (ValueError, TypeError, RecursionError):
        text = raw if raw is not None else "<payload not serialisable>"
        return _dumps(text[:_UNSERIALISABLE_CHARS])


def _slice_payload(raw: str, number: str, msg_id: str | None, action: str | None) -> str | None:
    start = raw.find("{")
    end = raw.rfind("]")
    if start < 0 or end < start or raw[end + 1 :].strip():
        return None
    if msg_id is None or "{" in msg_id:
        return None
    # Rebuild the header the frame must start with; any whitespace, escaping or
    # element-count difference makes the comparison fail and we fall back.
    expected = f"[{number},{_dumps(msg_id)},"
    if action is not None:
        if "{" in action:
            return None
        expected += f"{_dumps(action)},"
    header = raw[:start]
    if header != expected and "".join(header.split()) != expected:
        return None
    text = raw[start:end].rstrip()
    return text if text.endswith("}") else None


def _row(rec: FrameRecord) -> tuple[Any, ...]:
    # bool is an int for sqlite3, so ``valid`` lands as 0/1/NULL without a branch.
    return (
        rec.ts,
        rec.station,
        rec.direction,
        rec.type,
        rec.id,
        rec.action,
        payload_text(rec),
        rec.valid,
        rec.error,
        rec.latency_ms,
        rec.leg,
    )


def _load_payload(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        # Only a frame whose raw text fooled the header check can get here; show
        # what was stored rather than hiding the row.
        return text


def _to_record(row: tuple[Any, ...]) -> FrameRecord:
    ts, station, direction, kind, msg_id, action, payload, valid, error, latency, leg = row
    return FrameRecord(
        ts=ts,
        station=station,
        direction=direction,
        type=kind,
        id=msg_id,
        action=action,
        payload=_load_payload(payload),
        valid=None if valid is None else bool(valid),
        error=error,
        latency_ms=latency,
        leg=leg,
    )


def _epoch(value: float | datetime) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _where(
    *,
    station: str | Sequence[str] | None = None,
    direction: str | None = None,
    action: str | None = None,
    type: str | None = None,
    text: str | None = None,
    since: Since = None,
    until: Since = None,
    after_id: int | None = None,
    msg_id: str | None = None,
    leg: str | None = None,
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if station is not None:
        if isinstance(station, str):
            clauses.append("station = ?")
            params.append(station)
        else:
            names = list(station)
            clauses.append(f"station IN ({','.join('?' * len(names))})" if names else "0")
            params.extend(names)
    for column, value in (
        ("direction", direction),
        ("action", action),
        ("type", type),
        ("msg_id", msg_id),
        ("leg", leg),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if text:
        clauses.append("payload LIKE ? ESCAPE '\\'")
        params.append(_like_pattern(text))
    if since is not None:
        clauses.append("ts >= ?")
        params.append(_epoch(since))
    if until is not None:
        clauses.append("ts < ?")
        params.append(_epoch(until))
    if after_id is not None:
        clauses.append("id > ?")
        params.append(after_id)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


class MessageLog(BufferedSink):
    """The SQLite message log; a ``FrameSink`` shared by all stations of a run.

    Filters common to ``query``, ``count``, ``export_jsonl`` and ``delete``:
    ``station`` (one name or several), ``direction``, ``action``, ``type``,
    ``text`` (case-insensitive substring of the payload's JSON text),
    ``since`` (inclusive) / ``until`` (exclusive) as epoch seconds or aware
    datetimes, ``after_id`` (rows newer than a row id, for tailing),
    ``msg_id`` (the frames of one exchange: a request and its reply) and ``leg``
    (where a proxy saw the frame: "charger" or "csms"; bench.proxy).
    Reads flush the buffer first, so they see every frame recorded so far (while
    the disk refuses writes, only those written before).
    """

    label = "message log"

    def __init__(
        self,
        conn: sqlite3.Connection,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        super().__init__(batch_size, max_pending)
        ensure_schema(conn, SCHEMA)
        self.conn = conn
        # The frames go in the group commit's transaction with the queues and state of
        # the same connection: one commit a second for all (bench/store/group_commit.py).
        self._group = group_of(conn)
        self._staged: list[FrameRecord] | None = None

    def record(self, rec: FrameRecord) -> None:
        super().record(rec)
        group = self._group
        if group is not None and self._buf and group.deferring():
            group.defer(self)

    def _flushed_elsewhere(self) -> bool:
        return self._group is not None

    def _write(self, batch: list[FrameRecord]) -> None:
        conn = self.conn
        with transaction(conn):
            conn.executemany(_INSERT, map(_row, batch))

    # -- group commit (Deferred) -------------------------------------------

    def stage(self) -> None:
        staged, self._buf = self._buf, []
        self._staged = staged
        if staged:
            self.conn.executemany(_INSERT, map(_row, staged))

    def committed(self) -> None:
        self._staged = None
        if self.failing is not None:
            self.failing = None
            log.warning("%s: writes go through again", self.label)

    def refused(self, exc: BaseException, kind: str) -> None:
        staged, self._staged = self._staged or [], None
        self._buf[:0] = staged  # back in front, in order: nothing lost or reordered
        if self.failing is None:
            self.failing = self.last_failure = str(exc) or type(exc).__name__
            log.error(
                "%s: writing failed (%s); keeping up to %d frames in memory and retrying",
                self.label,
                self.failing,
                self.max_pending,
            )
        self._trim()

    # -- reading -----------------------------------------------------------

    def query(
        self,
        station: str | Sequence[str] | None = None,
        direction: str | None = None,
        action: str | None = None,
        type: str | None = None,
        text: str | None = None,
        since: Since = None,
        until: Since = None,
        limit: int | None = None,
        offset: int = 0,
        *,
        after_id: int | None = None,
        msg_id: str | None = None,
        leg: str | None = None,
        newest_first: bool = False,
    ) -> list[FrameRecord]:
        """Matching frames in log order (oldest first unless ``newest_first``)."""
        cur = self._select(
            _COLUMNS,
            limit=limit,
            offset=offset,
            newest_first=newest_first,
            station=station,
            direction=direction,
            action=action,
            type=type,
            text=text,
            since=since,
            until=until,
            after_id=after_id,
            msg_id=msg_id,
            leg=leg,
        )
        return [_to_record(row) for row in cur]

    def query_with_ids(self, **filters: Any) -> list[tuple[int, FrameRecord]]:
        """Like ``query`` (keyword filters) but pairs each frame with its row id."""
        return [(row[0], _to_record(row[1:])) for row in self._select("id, " + _COLUMNS, **filters)]

    def count(
        self,
        station: str | Sequence[str] | None = None,
        direction: str | None = None,
        action: str | None = None,
        type: str | None = None,
        text: str | None = None,
        since: Since = None,
        until: Since = None,
        *,
        after_id: int | None = None,
        msg_id: str | None = None,
        leg: str | None = None,
    ) -> int:
        self.try_flush()
        where, params = _where(
            station=station,
            direction=direction,
            action=action,
            type=type,
            text=text,
            since=since,
            until=until,
            after_id=after_id,
            msg_id=msg_id,
            leg=leg,
        )
        (n,) = self.conn.execute(f"SELECT count(*) FROM messages{where}", params).fetchone()
        return n

    def last_id(self) -> int:
        """The id of the newest row (0 when empty); pass it as ``after_id`` to tail."""
        self.try_flush()
        (n,) = self.conn.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()
        return n

    def export_jsonl(self, path: str | Path, **filters: Any) -> int:
        """Write matching frames to ``path`` as JSON Lines; returns the number of lines.

        Takes the keyword filters of ``query`` (including ``limit``/``offset``).
        Same line shape as ``JsonlSink`` (``FrameRecord.as_json_dict``). Rows are
        streamed from the cursor in chunks, so memory stays flat for any log size.
        """
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        cur = self._select(_COLUMNS, **filters)
        n = 0
        try:
            with open(target, "w", encoding="utf-8", newline="\n") as out:
                while chunk := cur.fetchmany(_EXPORT_CHUNK):
                    out.write("".join([json_line(_to_record(row)) + "\n" for row in chunk]))
                    n += len(chunk)
        finally:
            cur.close()
        return n

    def delete(self, **filters: Any) -> int:
        """Delete matching rows (every row when no filter is given); returns how many."""
        self.try_flush()
        where, params = _where(**filters)
        with transaction(self.conn):
            cur = self.conn.execute(f"DELETE FROM messages{where}", params)
        return cur.rowcount

    def _select(
        self,
        columns: str,
        *,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
        **filters: Any,
    ) -> sqlite3.Cursor:
        self.try_flush()
        where, params = _where(**filters)
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT {columns} FROM messages{where} ORDER BY id {order}"
        if limit is not None or offset:
            sql += " LIMIT ? OFFSET ?"
            params += [-1 if limit is None else limit, offset]
        return self.conn.execute(sql, params)
