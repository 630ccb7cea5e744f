"""Device-model seeds contributed by the functional blocks, one module per block.

``dm_seed.CONTROLLERS`` holds the controllers the provisioning core needs; each block
module here adds its own controller's variables (``SEEDS``), so a block owns its part
of the device model. Keys are (component, variable, instance) as in the appendix CSV.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_MODULES = (
    "clock",
    "monitoring",
    "display",
    "tariff",
    "iso15118",
    "security",
    "firmware",
    "auth",
    "metering",
)


def block_seeds() -> dict[tuple[str, str, str | None], Any]:
    merged: dict[tuple[str, str, str | None], Any] = {}
    for name in _MODULES:
        module = import_module(f"{__name__}.{name}")
        merged.update(module.SEEDS)
    return merged
