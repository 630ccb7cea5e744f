"""Serial hardware drivers. Importing this package registers every driver.

Each protocol is split in three (ARCHITECTURE rule 5): ``port.py`` moves bytes,
``<protocol>_frames.py`` turns bytes into frames (pure, with counters) and
``<driver>.py`` maps the frames onto the model.
"""

from __future__ import annotations

import importlib

# One module per driver; each registers its class(es) with bench.devices.registry.
DRIVER_MODULES = ("openevse", "modbus_meter", "rfid", "line")

for _module in DRIVER_MODULES:
    _name = f"{__name__}.{_module}"
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as exc:
        # A driver module not in this tree (yet) is skipped; a missing dependency
        # *inside* a driver module is a real error and propagates.
        if exc.name != _name:
            raise
