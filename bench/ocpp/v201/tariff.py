"""Functional block I (CostUpdated, tariff and cost display). Being written."""

from __future__ import annotations

from bench.ocpp.v201.block import Block


class TariffCost(Block):
    __slots__ = ()
