"""Device-model variables of the tariff block (part 2 appendices §2.10, TariffCostCtrlr)."""

from __future__ import annotations

from typing import Any

from bench.ocpp.v201.dm_seed import RO, RW, seed

SEEDS: dict[tuple[str, str, str | None], Any] = {
    ("TariffCostCtrlr", "Available", "Tariff"): seed(RO, "true"),
    ("TariffCostCtrlr", "Available", "Cost"): seed(RO, "true"),
    ("TariffCostCtrlr", "Enabled", "Tariff"): seed(RW, "true"),
    ("TariffCostCtrlr", "Enabled", "Cost"): seed(RW, "true"),
    # I04.FR.01 / I05.FR.02: what the driver sees when the CSMS cannot tell.
    ("TariffCostCtrlr", "TariffFallbackMessage", None): seed(
        RW, "Standard tariff applies; ask the operator for prices.", max=255
    ),
    ("TariffCostCtrlr", "TotalCostFallbackMessage", None): seed(
        RW, "The total cost will be sent to you by the operator.", max=255
    ),
    ("TariffCostCtrlr", "Currency", None): seed(RW, "EUR", max=3),
}
