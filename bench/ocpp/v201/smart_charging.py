"""Functional block K (charging profiles, composite schedule, charging limits). Being written."""

from __future__ import annotations

from bench.ocpp.v201.block import Block


class SmartCharging(Block):
    __slots__ = ()
