"""Functional block N (GetLog, CustomerInformation). Being written."""

from __future__ import annotations

from bench.ocpp.v201.block import Block


class Diagnostics(Block):
    __slots__ = ()
