"""Functional block G (ChangeAvailability). Being written."""

from __future__ import annotations

from bench.ocpp.v201.block import Block


class Availability(Block):
    __slots__ = ()
