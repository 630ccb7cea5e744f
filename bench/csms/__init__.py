"""The built-in CSMS: demo default, test peer and manual console (see ``server``)."""

from bench.csms.config import ConfigError, CsmsConfig, TagEntry, load_tags
from bench.csms.registry import IncomingMessage, NotAllowed, StationInfo, UnknownStation
from bench.csms.server import CentralSystem, StationEvent

__all__ = [
    "CentralSystem",
    "ConfigError",
    "CsmsConfig",
    "IncomingMessage",
    "NotAllowed",
    "StationEvent",
    "StationInfo",
    "TagEntry",
    "UnknownStation",
    "load_tags",
]
