"""What one 2.0.1 block may ask of another: small typed ports (ARCHITECTURE rule 3).

``ChargePoint201`` builds each block with the ports it needs and hands it the block
that implements them; a block never reaches a neighbour through the charge point.
Each port is the narrowest face of its block that some other block uses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from cryptography import x509

    from bench.ocpp.v201.tx_state import Tx201

IdToken = dict[str, Any]


class TxLookup(Protocol):
    """The transactions running now (block E), read by blocks that depend on them."""

    def active(self, evse_id: int) -> Tx201 | None: ...
    def transaction_ids(self) -> list[str]: ...


class TxReset(TxLookup, Protocol):
    """Block B's Reset ends transactions before the station resets (B12.FR.02/04)."""

    def end_for_reset(self, evse_id: int | None) -> Awaitable[None]: ...


class SecurityEvents(Protocol):
    """Block A's security log: report a security event (A04, appendix 1)."""

    def notify(self, event_type: str, tech_info: str | None = None) -> None: ...


class NetworkPriority(SecurityEvents, Protocol):
    """Block B's SetVariables asks block A whether a NetworkConfigurationPriority is usable."""

    def check_network_priority(self, value: str) -> str | None: ...


class SecurityLogSource(Protocol):
    """Block A's security log, oldest first (GetLog SecurityLog uploads it, N01.FR.03)."""

    def security_log(self) -> list[dict[str, Any]]: ...


class TrustedRoots(Protocol):
    """The installed root certificates of a type (block L checks firmware signers, L01)."""

    def roots(self, certificate_type: str | None = None) -> list[x509.Certificate]: ...


class EvCertificates(Protocol):
    """Block M's Get15118EVCertificate, for the ISO 15118 part of block K (M01, M02)."""

    async def request_ev_certificate(
        self, iso15118_schema_version: str, action: str, exi_request: str
    ) -> dict[str, Any]: ...


class TokenGroups(Protocol):
    """The groupIdToken the station knows for an idToken (C09, H03.FR.07)."""

    def group_of(self, id_token: IdToken) -> IdToken | None: ...


class Authorizer(Protocol):
    """Block C as the transaction block uses it: decide on a token, learn a verdict."""

    async def authorize(
        self,
        id_token: IdToken,
        evse_id: int | None = None,
        *,
        request_extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]: ...
    def remember(self, id_token: IdToken, info: dict[str, Any]) -> None: ...
    def is_master_pass(self, info: dict[str, Any]) -> bool: ...


class CustomerData(Protocol):
    """Block C's stored customer data, cleared by CustomerInformation (N10)."""

    def forget_customer(self, id_token: IdToken | None, customer_identifier: str | None) -> int: ...


class ReservationGate(Protocol):
    """Block H: who may charge where, and which reservation a start fulfils."""

    def for_evse(self, evse_id: int) -> object | None: ...
    def allows(self, evse_id: int, id_token: IdToken, group: IdToken | None = None) -> bool: ...
    def consume(
        self, evse_id: int, id_token: IdToken, group_id_token: IdToken | None = None
    ) -> int | None: ...


class TextDisplay(Protocol):
    """Block O's screen: the station's own texts for the driver."""

    def show_text(
        self, text: str, evse_id: int | None = None, priority: str = "NormalCycle"
    ) -> None: ...
    def clear_text(self, evse_id: int | None = None) -> None: ...


class DriverCosts(Protocol):
    """Block I: tariff and cost texts from the CSMS's TransactionEvent replies."""

    def show_personal_message(
        self, evse_id: int | None, message_content: dict[str, Any]
    ) -> None: ...
    def show_cost(
        self, evse_id: int | None, total_cost: float | None, *, final: bool = False
    ) -> None: ...


class TxProfiles(Protocol):
    """Block K installs a RequestStartTransaction's TxProfile (F01.FR.08, K05), and says
    when an ISO 15118 EV may not draw power yet (K15: no schedule agreed)."""

    def install_tx_profile(
        self, evse_id: int, profile: dict[str, Any], transaction_id: str
    ) -> str: ...

    def energy_held(self, evse_id: int) -> bool: ...

    def watch_energy(self, handler: Callable[[int], None]) -> None: ...


class FirmwareState(Protocol):
    """Block L's progress, read by Reset (B11.FR.06) and diagnostics."""

    @property
    def installing(self) -> bool: ...
    @property
    def status(self) -> str: ...
