"""2.0.1 block B, Provisioning: charging-station test cases (part 6 §3.2)."""

from __future__ import annotations

from bench.conformance.charger import states201 as v201
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario


@scenario("TC_B_01_CS", physical=("power_cycle",))
async def cold_boot(ctx: ChargerRun) -> None:
    # Reusable state Booted, by a power cycle; post-validation: a status for the connectors.
    await v201.booted(ctx, via="power")
