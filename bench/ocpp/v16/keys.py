"""Every 1.6 configuration key the charge point knows: Core plus each feature block's."""

from __future__ import annotations

from bench.ocpp.v16 import firmware, local_list, reservation, security, smart_charging, trigger
from bench.ocpp.v16.config import CORE_KEYS, KeyDef, _key

BLOCKS = (smart_charging, firmware, local_list, reservation, trigger, security)


def supported_profiles() -> str:
    names = ["Core", *(b.PROFILE for b in BLOCKS if b.PROFILE and b.SUPPORTED)]
    return ",".join(names)


def _all_keys() -> dict[str, KeyDef]:
    keys = {d.name: d for d in CORE_KEYS}
    for block in BLOCKS:
        for definition in block.KEYS:
            keys[definition.name] = definition
    # 1.6 §9.1.29: the list reflects the profiles whose messages are implemented.
    keys["SupportedFeatureProfiles"] = _key(
        "SupportedFeatureProfiles", "CSL", "R", supported_profiles()
    )
    return keys


ALL_KEYS: dict[str, KeyDef] = _all_keys()
