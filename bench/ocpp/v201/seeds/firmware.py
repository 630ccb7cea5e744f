"""Device-model variables of the firmware block (part 2 appendices, ChargingStation)."""

from __future__ import annotations

from typing import Any

from bench.ocpp.v201.dm_seed import RW, seed

SEEDS: dict[tuple[str, str, str | None], Any] = {
    # L01.FR.07 / L02.FR.04: false makes idle EVSEs Unavailable while an install waits.
    ("ChargingStation", "AllowNewSessionsPendingFirmwareUpdate", None): seed(RW, "false"),
}
