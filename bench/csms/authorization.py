"""The CSMS's answer to "may this id token charge?" (version-neutral).

1.6 §4.1 / §7.28 IdTagInfo: the status comes from the tag list; an entry whose
expiry date has passed is ``Expired`` even if it was listed as Accepted; a tag
the CSMS does not know is ``Invalid`` (unless the CSMS is told to accept
everything, for demos). The parent id and expiry travel with the answer.
IdToken is a CiString20 (§7.26), so tags compare case-insensitively.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bench.csms.config import TagEntry


@dataclass(slots=True, frozen=True)
class TagDecision:
    status: str  # Accepted | Blocked | Expired | Invalid | ConcurrentTx
    expiry_date: datetime | None = None
    parent_id_tag: str | None = None

    def with_status(self, status: str) -> TagDecision:
        return TagDecision(status, self.expiry_date, self.parent_id_tag)


def decide(
    tags: dict[str, TagEntry], id_tag: str, now: datetime, *, accept_unknown: bool = False
) -> TagDecision:
    entry = tags.get(id_tag)
    if entry is None:
        folded = id_tag.casefold()
        entry = next((e for t, e in tags.items() if t.casefold() == folded), None)
    if entry is None:
        return TagDecision("Accepted" if accept_unknown else "Invalid")
    status = entry.status
    if status == "Accepted" and entry.expiry_date is not None and entry.expiry_date <= now:
        status = "Expired"
    return TagDecision(status, entry.expiry_date, entry.parent_id_tag)
