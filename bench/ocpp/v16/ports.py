"""What the 1.6 blocks ask of the charge point that holds them (narrow, typed ports).

A block is built with the collaborators it uses (station, clock, configuration,
supervisor, session, stores, other blocks); what only the charge point knows
(whether the link is up and registered, a status that may have changed, the
status it derives) comes through these protocols, which ``ChargePoint16``
satisfies, so no block reaches through the charge point to another one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from cryptography import x509

    from bench.ocpp.common.certificates import CertificateStore
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

    def status_may_have_changed(self) -> None:
        """A status derived from more than the model changed (a connector-0 reservation)."""
        ...


class HandlerBlock(Protocol):
    """A block that answers CSMS-initiated actions (the session's handler table)."""

    def handlers(self) -> dict[str, Any]: ...


class Power(Protocol):
    """Power-cycling the station (1.6 §4.2, §5.14): a reset, a firmware installation."""

    async def reset(
        self, stop_reason: str | None = "Reboot", *, drain_timeout: float = 10.0
    ) -> None: ...


class Reconnect(Protocol):
    """Dropping the present connection so the link loop reconnects with new settings."""

    async def drop_connection(self) -> None: ...


class CoreMessages(Protocol):
    """What the charge point sends on request (TriggerMessage, ExtendedTriggerMessage)."""

    @property
    def registration(self) -> str: ...

    def boot_now(self) -> None:
        """Wake a Pending boot loop to send BootNotification at once."""
        ...

    async def send_boot_notification(self) -> None: ...

    async def send_heartbeat(self) -> None: ...


class SecurityEvents(Protocol):
    """The security block as other blocks report to it (whitepaper §8, A04)."""

    def notify(self, event_type: str, tech_info: str | None = None) -> None: ...


class CertificateHolder(SecurityEvents, Protocol):
    """The security block as its profiles see it: the certificate store, its events, and
    the reconnect that puts a new profile into force."""

    @property
    def store(self) -> CertificateStore: ...

    def reconnect(self) -> None: ...


class FirmwareSecurity(SecurityEvents, Protocol):
    """What the firmware block asks of the security block: events and trusted roots (L01)."""

    def manufacturer_roots(self) -> list[x509.Certificate]: ...


class FirmwareReports(Protocol):
    """The firmware block's status notifications a trigger asks for (1.6 §5.17, §6.16)."""

    async def send_firmware_status(self) -> None: ...

    async def send_diagnostics_status(self) -> None: ...

    async def send_signed_firmware_status(self) -> None: ...

    async def send_log_status(self) -> None: ...


class CertificateRequests(Protocol):
    """The security block's SignCertificate (ExtendedTriggerMessage SignChargePointCertificate)."""

    async def request_certificate(self) -> str: ...
