"""Functional block L (UpdateFirmware, PublishFirmware, UnpublishFirmware). Being written."""

from __future__ import annotations

from bench.ocpp.v201.block import Block


class Firmware(Block):
    __slots__ = ()
