"""Device-model variables of blocks C and D beyond the core seeds (part 2 appendices).

The core ``dm_seed.CONTROLLERS`` already holds AuthCtrlr, AuthCacheCtrlr and
LocalAuthListCtrlr; this adds the Master Pass group (C16) and the AdditionalInfo
limit (C §1.1.1), LocalAuthListCtrlr.SupportsExpiryDateTime (§2.5.8), and gives
AuthCacheCtrlr.Storage its meaning: the bytes in use
as the Actual value, the capacity as maxLimit (C10.FR.07 evicts within it).
"""

from __future__ import annotations

from typing import Any

from bench.ocpp.v201.dm_seed import RO, RW, seed

CACHE_BYTES = 65536

SEEDS: dict[tuple[str, str, str | None], Any] = {
    ("AuthCtrlr", "MasterPassGroupId", None): seed(RW, ""),
    ("AuthCtrlr", "AdditionalInfoItemsPerMessage", None): seed(RO, "10"),
    ("AuthCacheCtrlr", "Storage", None): seed(RO, "0", max=CACHE_BYTES),
    # Part 2 §2.5.8: list entries' cacheExpiryDateTime is honoured (C13.FR.05, C14.FR.04/05).
    ("LocalAuthListCtrlr", "SupportsExpiryDateTime", None): seed(RO, "true"),
}
