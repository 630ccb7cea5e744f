"""The charging-profile form's typed door to a station running in this bench.

The form (``ui.views.profile_form``) asks a station what it would make of a
profile before it is sent: its limits, whether it would refuse it, what it would
replace, the composite with it, and to install it without a message. The work is
per version and done by ``bench.ocpp.profile_station`` (1.6 §5.16 / §5.7, 2.0.1
K01 / K08); this class is the only way the UI reaches it, with a
``ChargePointApi`` in hand rather than a charge point's blocks.

It sits beside the API rather than on it: ``profile_station`` knows both versions,
and ``bench.ocpp.api`` / ``api_common`` are imported by each version package,
which must stay independent of the other (import contract
``ocpp-versions-independent``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bench.ocpp import profile_station
from bench.ocpp.api import ChargePointApi
from bench.ocpp.profile_builder import Problem, ProfileDraft, StationLimits
from bench.ocpp.profile_station import LocalRefusal, Preview

__all__ = ["LocalRefusal", "ProfileDesk"]


class ProfileDesk:
    """What the profile form may ask of one charge point (see the module docstring)."""

    __slots__ = ("cp",)

    def __init__(self, cp: ChargePointApi) -> None:
        self.cp = cp

    def limits(self) -> StationLimits:
        """Ratings, smart-charging settings and running transactions, for the checks."""
        return profile_station.station_limits(self.cp)

    def running_transaction_ids(self) -> Mapping[int, str | None]:
        """The transaction on each connector / EVSE by its OCPP id (None: not known yet)."""
        return profile_station.running_transactions(self.cp)

    def new_draft(self, place: int | None = None) -> ProfileDraft:
        """A valid profile to start from, with the next free profile id."""
        return profile_station.default_draft(self.cp.version, self.cp, place)

    def refusal(self, payload: Mapping[str, Any]) -> str | None:
        """Why the station would refuse this SetChargingProfile (its own check, nothing
        installed); None if it would accept it."""
        return profile_station.verdict(self.cp, payload)

    def replacements(self, payload: Mapping[str, Any]) -> list[Problem]:
        """Warnings for the installed profiles this request would replace."""
        return profile_station.replacements(self.cp, payload)

    def preview(self, draft: ProfileDraft, now: datetime) -> Preview:
        """The draft's own schedule and the composite before and after it."""
        return profile_station.preview(draft, now, self.cp)

    def current(self, draft: ProfileDraft, now: datetime) -> Preview:
        """Only what the station imposes now at the draft's place (a draft with errors)."""
        return profile_station.current(draft, now, self.cp)

    def install_locally(self, payload: Mapping[str, Any]) -> None:
        """Install the profile without an OCPP message; ``LocalRefusal`` with the reason."""
        profile_station.install_locally(self.cp, payload)
