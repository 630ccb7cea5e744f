"""1.6 charging profiles into the version-neutral engine (1.6 §7.8, §7.13).

``parse`` reads a 1.6 ``ChargingProfile`` (its field names, its purpose names) into a
``bench.smart.profiles.Profile`` and checks the structural rules of 1.6 that need no
station state; ``ProfileError`` says why one is malformed. The limits a station
sets through its configuration are checked in ``smart_charging``.
"""

from __future__ import annotations

from typing import Any

from bench.ocpp.common.smart import profile_time, read_schedule
from bench.smart.profiles import (
    ABSOLUTE,
    DAILY,
    RECURRING,
    RELATIVE,
    STATION_MAX,
    TX,
    TX_DEFAULT,
    WEEKLY,
    Profile,
    ProfileError,
    Schedule,
)

# 1.6 names of the purposes, both ways.
PURPOSES = {
    "ChargePointMaxProfile": STATION_MAX,
    "TxDefaultProfile": TX_DEFAULT,
    "TxProfile": TX,
}
PURPOSE_NAME = {v: k for k, v in PURPOSES.items()}


def parse_schedule(data: dict[str, Any]) -> Schedule:
    """A 1.6 ``ChargingSchedule`` (§7.13) as a ``Schedule``."""
    return read_schedule(data)


def parse(data: dict[str, Any]) -> Profile:
    """A 1.6 ``ChargingProfile`` (§7.8) as a ``Profile``; ``ProfileError`` when malformed."""
    purpose = PURPOSES.get(data.get("chargingProfilePurpose", ""))
    if purpose is None:
        raise ProfileError(f"unknown chargingProfilePurpose {data.get('chargingProfilePurpose')!r}")
    kind = data.get("chargingProfileKind")
    if kind not in (ABSOLUTE, RECURRING, RELATIVE):
        raise ProfileError(f"unknown chargingProfileKind {kind!r}")
    recurrency = data.get("recurrencyKind")
    if kind == RECURRING and recurrency not in (DAILY, WEEKLY):
        raise ProfileError("a Recurring profile needs recurrencyKind Daily or Weekly")
    if kind != RECURRING and recurrency is not None:
        # 1.6 errata 3.56: recurrencyKind SHALL only be used with Recurring.
        raise ProfileError("recurrencyKind is only allowed on a Recurring profile")
    stack_level = int(data["stackLevel"])
    if stack_level < 0:
        raise ProfileError(f"stackLevel {stack_level} is negative")
    transaction_id = data.get("transactionId")
    if transaction_id is not None and purpose != TX:
        raise ProfileError("transactionId is only valid on a TxProfile (1.6 §7.8)")
    profile = Profile(
        id=int(data["chargingProfileId"]),
        stack_level=stack_level,
        purpose=purpose,
        kind=kind,
        schedule=parse_schedule(data["chargingSchedule"]),
        recurrency=recurrency,
        valid_from=profile_time(data.get("validFrom")),
        valid_to=profile_time(data.get("validTo")),
        transaction_id=int(transaction_id) if transaction_id is not None else None,
    )
    if profile.valid_from and profile.valid_to and profile.valid_to <= profile.valid_from:
        raise ProfileError("validTo is not after validFrom")
    return profile
