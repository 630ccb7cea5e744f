"""Device-model variables of ISO15118Ctrlr (part 2 appendices; used by K15-K17, C07, M01-M02).

The bench simulates the station side of ISO 15118-2 high-level communication for
EVs whose template says so (``EvSpec.iso15118``): it reports their charging needs
(NotifyEVChargingNeeds, K15) and their charging schedules (NotifyEVChargingSchedule).
Plug and Charge and certificate installation belong to the security block, which
reads ``PnCEnabled`` and the ``*InstallationEnabled`` switches seeded here.
"""

from __future__ import annotations

from typing import Any

from bench.ocpp.v201.dm_seed import RO, RW, seed

# EnergyTransferModeEnumType (part 2 §3): what an EV may request (K15 chargingNeeds).
ENERGY_TRANSFER_MODES = ("DC", "AC_single_phase", "AC_two_phase", "AC_three_phase")

SEEDS: dict[tuple[str, str, str | None], Any] = {
    ("ISO15118Ctrlr", "CentralContractValidationAllowed", None): seed(RW, "false"),
    # Required by the appendix: the bench cannot validate contracts without the CSMS.
    ("ISO15118Ctrlr", "ContractValidationOffline", None): seed(RW, "false"),
    ("ISO15118Ctrlr", "SeccId", None): seed(RW, "BENCH-SECC-1"),
    # maxScheduleTuples in NotifyEVChargingNeedsRequest (K15.FR.07).
    ("ISO15118Ctrlr", "MaxScheduleEntries", None): seed(RO, "24", min=1),
    ("ISO15118Ctrlr", "RequestedEnergyTransferMode", None): seed(
        RW, "AC_three_phase", values=ENERGY_TRANSFER_MODES
    ),
    ("ISO15118Ctrlr", "RequestMeteringReceipt", None): seed(RW, "false"),
    ("ISO15118Ctrlr", "CountryName", None): seed(RW, "NL"),
    ("ISO15118Ctrlr", "OrganizationName", None): seed(RW, "OCPP Bench"),
    # On, as a station presented for ISO 15118 certification: the EV-certificate cases
    # (TC_M_26-29_CS) expect the Plug and Charge authorization without setting it.
    # Without an MO root or central validation no contract is offered anyway (C07.FR.06).
    ("ISO15118Ctrlr", "PnCEnabled", None): seed(RW, "true"),
    ("ISO15118Ctrlr", "V2GCertificateInstallationEnabled", None): seed(RW, "false"),
    ("ISO15118Ctrlr", "ContractCertificateInstallationEnabled", None): seed(RW, "false"),
}
