"""The proxy in end-to-end tests: a ``ProxyServer`` on loopback with a real SQLite log.

``make_proxy(upstream, rules=..., ssl_context=...)`` starts one in front of
``upstream`` and returns it with its message log (``proxy.log``); every proxy made
is closed at teardown. Import the fixture into a test module to use it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bench.kernel.frames import FrameRecord
from bench.proxy.rules import Rule, RuleBook
from bench.proxy.server import ProxyServer
from bench.store.db import open_database
from bench.store.messages import MessageLog


@dataclass
class Proxied:
    server: ProxyServer
    log: MessageLog

    @property
    def url(self) -> str:
        return self.server.url

    def rows(self, **filters: Any) -> list[FrameRecord]:
        return self.log.query(**filters)


ProxyFactory = Callable[..., Awaitable[Proxied]]


@pytest.fixture
async def make_proxy(tmp_path: Path) -> AsyncIterator[ProxyFactory]:
    made: list[Proxied] = []
    connections: list[sqlite3.Connection] = []

    async def factory(upstream: str, rules: list[Rule] | None = None, **options: Any) -> Proxied:
        db = open_database(tmp_path / f"proxy{len(made)}.db")
        connections.append(db)
        log = MessageLog(db)
        server = ProxyServer(upstream, sink=log, rules=RuleBook(rules), **options)
        await server.start()
        proxied = Proxied(server, log)
        made.append(proxied)
        return proxied

    yield factory
    for proxied in reversed(made):
        await proxied.server.close()
        proxied.log.close()
    for db in connections:
        db.close()


def legs_of(rows: list[FrameRecord], msg_id: str, type_: str) -> dict[str, FrameRecord]:
    """The rows of one frame (by message id and type), by the leg they were seen on."""
    return {r.leg or "": r for r in rows if r.id == msg_id and r.type == type_}
