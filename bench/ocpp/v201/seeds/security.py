"""Device-model variables of the security block (part 2 appendices, SecurityCtrlr, OCPPCommCtrlr).

The core SecurityCtrlr variables are in ``dm_seed.CONTROLLERS``; these add what
blocks A and M implement, and refine two core entries with the limits the
security block enforces (block seeds take precedence over the core's).
"""

from __future__ import annotations

from typing import Any

from bench.ocpp.v201.dm_seed import RO, RW, seed
from bench.ocpp.v201.sec_network import SLOTS

SEEDS: dict[tuple[str, str, str | None], Any] = {
    # M05.FR.09-13: a new CSMS root must be signed by the one it replaces.
    ("SecurityCtrlr", "AdditionalRootCertificateCheck", None): seed(RO, "false"),
    # A02.FR.16 / A03.FR.16: longer CertificateSigned chains are Rejected.
    ("SecurityCtrlr", "MaxCertificateChainSize", None): seed(RW, "10000", min=0, max=10000),
    # M05.FR.06: maxLimit is the number of certificates the store holds at most.
    ("SecurityCtrlr", "CertificateEntries", None): seed(RO, "0", max=20),
    # B09.FR.05/06: the configuration slots are the valuesList; the next connect uses it (B10).
    ("OCPPCommCtrlr", "NetworkConfigurationPriority", None): seed(
        RW, "1", reboot=True, values=tuple(str(s) for s in SLOTS)
    ),
}
