"""Functional block O (display messages). Being written."""

from __future__ import annotations

from bench.ocpp.v201.block import Block


class DisplayMessages(Block):
    __slots__ = ()
