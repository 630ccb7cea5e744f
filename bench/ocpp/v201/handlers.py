"""The 2.0.1 station's CSMS-initiated handlers, gathered from its blocks per request."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from bench.ocpp.v201.block import Block, Handler


class HandlerTable(Mapping[str, Handler]):
    """Resolved when a request arrives, not kept per station (see v16.handlers for why)."""

    __slots__ = ("blocks",)

    def __init__(self, blocks: Sequence[Block[Any]]) -> None:
        self.blocks = blocks

    def _table(self) -> dict[str, Handler]:
        table: dict[str, Handler] = {}
        for block in self.blocks:
            table.update(block.handlers())
        return table

    def __getitem__(self, action: str) -> Handler:
        return self._table()[action]

    def get(self, action: str, default: Any = None) -> Any:
        return self._table().get(action, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())
