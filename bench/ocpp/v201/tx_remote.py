"""Remote control of transactions (F01-F03, F05) and GetTransactionStatus (E14).

Thin handlers (ARCHITECTURE rule 3): each checks the request against the EVSE's
state, answers, and only then (``Reply.then``) acts through the transaction block
(``SessionControl``), so the CSMS always has the reply before the TransactionEvent
it causes.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any, Protocol

from bench.ocpp.session import Reply
from bench.ocpp.v201.block import Messaging, Services, Variables
from bench.ocpp.v201.tx_state import IdToken

if TYPE_CHECKING:
    from bench.ocpp.v201.block import Handler
    from bench.ocpp.v201.ports import Authorizer, TxProfiles
    from bench.ocpp.v201.tx_queue import TxQueue
    from bench.ocpp.v201.tx_state import EvseSession, TxSessions

log = logging.getLogger(__name__)


def _rejected(reason: str | None = None) -> dict[str, Any]:
    reply: dict[str, Any] = {"status": "Rejected"}
    if reason:
        reply["statusInfo"] = {"reasonCode": reason}
    return reply


class RemoteHost(Services, Messaging, Variables, Protocol):
    """What remote control uses of the station: the model, timers, registration, TxCtrlr."""


class SessionControl(Protocol):
    """The transaction block as its remote control drives it."""

    @property
    def sessions(self) -> TxSessions: ...
    @property
    def queue(self) -> TxQueue: ...

    def may_authorize(
        self, session: EvseSession, token: IdToken, group: IdToken | None
    ) -> bool: ...
    def authorize(
        self, session: EvseSession, token: IdToken, group: IdToken | None, trigger: str
    ) -> None: ...
    def stop_authorization(
        self, session: EvseSession, reason: str, trigger: str, token: IdToken | None = None
    ) -> None: ...
    def sync(self, evse_id: int, trigger: str | None = None) -> None: ...


class RemoteControl:
    """The CSMS-initiated requests of the transaction block (F01-F03, F05, E14)."""

    __slots__ = ("_auth", "_smart", "cp", "tx")

    def __init__(
        self, cp: RemoteHost, tx: SessionControl, auth: Authorizer, smart: TxProfiles
    ) -> None:
        self.cp = cp
        self.tx = tx
        self._auth = auth
        self._smart = smart

    @property
    def sessions(self) -> TxSessions:
        return self.tx.sessions

    def handlers(self) -> dict[str, Handler]:
        return {
            "RequestStartTransaction": self.request_start,
            "RequestStopTransaction": self.request_stop,
            "UnlockConnector": self.unlock_connector,
            "GetTransactionStatus": self.transaction_status,
        }

    # ------------------------------------------------------------ F01 / F02
    async def request_start(self, req: dict[str, Any]) -> Reply | dict[str, Any]:
        if self.cp.registration != "Accepted":
            return _rejected()  # B02.FR.05: not while Pending
        token: IdToken = req["idToken"]
        group: IdToken | None = req.get("groupIdToken")
        evse_id = req.get("evseId")
        if evse_id is not None and evse_id not in self.sessions:
            return _rejected("UnknownEvse")
        session = self._remote_target(evse_id, token, group)
        if session is None:
            # F01.FR.21-24: reserved for another token, unavailable, faulted or authorized.
            return _rejected()
        profile = req.get("chargingProfile")
        if profile is not None and self.cp.flag("SmartChargingCtrlr", "Enabled"):
            # F01.FR.09/11: a TxProfile without a transactionId, else F01.FR.26.
            if profile.get("chargingProfilePurpose") != "TxProfile" or "transactionId" in profile:
                return _rejected("InvalidProfile")
            tx = session.tx
            tx_id = tx.transaction_id if tx is not None else session.next_tx_id
            tx_id = tx_id or str(uuid.uuid4())
            status = self._smart.install_tx_profile(session.evse_id, profile, tx_id)
            if status != "Accepted":
                return _rejected("InvalidProfile")
            if tx is None:
                session.next_tx_id = tx_id  # the transaction this profile is for (F01.FR.10)
        # F01.FR.12: without smart charging the profile is ignored.
        reply: dict[str, Any] = {"status": "Accepted"}
        if session.tx is not None:
            reply["transactionId"] = session.tx.transaction_id  # F01.FR.13
        remote_start_id = req["remoteStartId"]

        def go() -> None:
            self.cp.tasks.spawn(
                self._remote_authorize(session, token, group, remote_start_id), "remote-start"
            )

        return Reply(reply, then=go)

    def _remote_target(
        self, evse_id: int | None, token: IdToken, group: IdToken | None
    ) -> EvseSession | None:
        may = self.tx.may_authorize
        if evse_id is not None:
            session = self.sessions[evse_id]
            return session if may(session, token, group) else None
        # F01.FR.20: the station picks; an EV already waiting wins.
        usable = [s for s in self.sessions.values() if may(s, token, group)]
        plugged = [s for s in usable if self.cp.station.connector(s.evse_id).plugged]
        chosen = plugged or usable
        return chosen[0] if chosen else None

    async def _remote_authorize(
        self, session: EvseSession, token: IdToken, group: IdToken | None, remote_start_id: int
    ) -> None:
        if self.cp.flag("AuthCtrlr", "AuthorizeRemoteStart"):
            info = await self._auth.authorize(token, session.evse_id)  # F01.FR.01
            if info.get("status") != "Accepted":
                log.info("%s: remote start for %s not authorized", self.cp.station.id, token)
                session.next_tx_id = None
                return
            group = group or info.get("groupIdToken")
        # F01.FR.02: without AuthorizeRemoteStart the token is taken as given.
        if session.authorized is not None:
            return  # somebody else got there between our reply and now
        session.remote_start_id = remote_start_id  # F01.FR.25, F02.FR.01
        self.tx.authorize(session, token, group, "RemoteStart")

    # ------------------------------------------------------------ F03
    async def request_stop(self, req: dict[str, Any]) -> Reply | dict[str, Any]:
        if self.cp.registration != "Accepted":
            return _rejected()  # B02.FR.05: not while Pending
        tx_id = req["transactionId"]
        for session in self.sessions.values():
            if session.tx is not None and session.tx.transaction_id == tx_id:

                def go(s: EvseSession = session) -> None:
                    self.tx.stop_authorization(s, "Remote", "RemoteStop")

                return Reply({"status": "Accepted"}, then=go)  # F03.FR.07
        return _rejected()  # F03.FR.08

    # ------------------------------------------------------------ F05
    async def unlock_connector(self, req: dict[str, Any]) -> dict[str, Any]:
        evse_id, connector_id = req["evseId"], req["connectorId"]
        if evse_id not in self.sessions or connector_id != 1:
            return {"status": "UnknownConnector"}  # F05.FR.03
        session = self.sessions[evse_id]
        if session.tx is not None and session.authorized is not None:
            return {"status": "OngoingAuthorizedTransaction"}  # F05.FR.02
        connector = self.cp.station.connector(evse_id)
        unlocked = connector.unlock()  # F05.FR.06: tried even with no cable
        if unlocked:
            session.locked_for = None
        if session.tx is not None:
            self.tx.sync(evse_id, "UnlockCommand")
        return {"status": "Unlocked" if unlocked else "UnlockFailed"}  # F05.FR.04/05

    # ------------------------------------------------------------ E14
    async def transaction_status(self, req: dict[str, Any]) -> dict[str, Any]:
        queue = self.tx.queue
        tx_id = req.get("transactionId")
        if tx_id is None:
            return {"messagesInQueue": queue.pending()}  # E14.FR.06-08
        ongoing = any(
            s.tx is not None and s.tx.transaction_id == tx_id for s in self.sessions.values()
        )
        # E14.FR.01-05: unknown ids are neither ongoing nor queued.
        return {"ongoingIndicator": ongoing, "messagesInQueue": queue.pending(tx_id)}
