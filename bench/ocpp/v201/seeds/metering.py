"""Device-model variables of block J beyond the core seeds: signed meter values.

``dm_seed.CONTROLLERS`` already holds SampledDataCtrlr.SignReadings and
AlignedDataCtrlr.SignReadings (part 2 §2.7.3, §2.7.14; J01.FR.21, J02.FR.21). This adds
OCPPCommCtrlr.PublicKeyWithSignedMeterValue (part 2 §2.7.17; OCA note "Signed Meter
Values in OCPP" §4.3.1): when a signedMeterValue carries the meter's public key.
``OncePerTransaction`` puts it in the first signed value of each transaction, so a
CSMS can check every later one without asking.
"""

from __future__ import annotations

from typing import Any

from bench.ocpp.v201.dm_seed import RW, seed

PUBLIC_KEY_OPTIONS = ("Never", "OncePerTransaction", "EveryMeterValue")

SEEDS: dict[tuple[str, str, str | None], Any] = {
    ("OCPPCommCtrlr", "PublicKeyWithSignedMeterValue", None): seed(
        RW, "OncePerTransaction", values=PUBLIC_KEY_OPTIONS
    ),
}
