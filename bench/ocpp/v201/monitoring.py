"""Functional block N (variable monitoring, NotifyEvent). Being written."""

from __future__ import annotations

from bench.ocpp.v201.block import Block


class Monitoring(Block):
    __slots__ = ()
