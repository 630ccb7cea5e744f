"""Functional block C and D (Authorize, authorization cache, local list). Being written."""

from __future__ import annotations

from bench.ocpp.v201.block import Block


class Authorization(Block):
    __slots__ = ()
