"""Functional block A and M (security profiles, network profiles, certificates). Being written."""

from __future__ import annotations

from bench.ocpp.v201.block import Block
from bench.transport.config import LinkConfig
from bench.transport.errors import LinkError


class Security(Block):
    __slots__ = ()

    def link_config(self) -> LinkConfig:
        return self.cp.link_config

    def on_connect_failed(self, exc: LinkError) -> None:
        return None

    def on_connected(self) -> None:
        return None

    def notify(self, event_type: str, tech_info: str | None = None) -> None:
        return None
