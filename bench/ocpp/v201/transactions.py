"""Functional blocks E, F and J (transactions, remote control, meter values). Being written."""

from __future__ import annotations

from bench.ocpp.v201.block import Block


class Transactions(Block):
    __slots__ = ()

    async def end_for_reset(self, evse_id: int | None) -> None:
        """End the transactions on ``evse_id`` (all when None) for a Reset (B12.FR.02)."""
        return None
