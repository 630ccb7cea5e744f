"""What the 1.6 blocks ask of the charge point that holds them (narrow, typed ports).

A block is built with the collaborators it uses (station, clock, configuration,
supervisor, session, stores, other blocks); what only the charge point knows
(whether the link is up and registered, a status that may have changed, the
status it derives) comes through these protocols, which ``ChargePoint16``
satisfies, so no block reaches through the charge point to another one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bench.ocpp.v16.status import StatusReport


class LinkState(Protocol):
    """The link as the blocks see it: whether they may talk to the CSMS now."""

    @property
    def online(self) -> bool: ...

    @property
    def accepted(self) -> bool: ...

    def status_may_have_changed(self) -> None:
        """A status derived from the model may differ now: report it (1.6 §4.9)."""
        ...


class StatusSource(Protocol):
    """The StatusNotification status of a connector (0: the charge point), derived now."""

    def status_of(self, connector_id: int) -> StatusReport: ...
