"""What the CSMS's TransactionEvent replies change (E05, C10, I01-I03).

The reply collaborator of the transaction block (owned by ``Transactions``): an
idTokenInfo the CSMS refuses deauthorizes the transaction, every verdict feeds the
authorization cache, and tariff and cost texts go to the driver's display.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from bench.ocpp.v201.tx_state import AUTH_BOUND_POINTS, same_token

if TYPE_CHECKING:
    from collections.abc import Callable

    from bench.model.connector import Connector
    from bench.ocpp.v201.block import Variables
    from bench.ocpp.v201.ports import Authorizer, DriverCosts
    from bench.ocpp.v201.tx_state import EvseSession, IdToken, TxSessions


class TxControl(Protocol):
    """The transaction block as a refused token drives it (E05)."""

    def connector(self, session: EvseSession) -> Connector: ...
    def stop_points(self) -> set[str]: ...
    def guarded(self, work: Callable[[], object]) -> None: ...
    def sync(self, evse_id: int, trigger: str | None = None) -> None: ...
    def retime_physics(self) -> None: ...
    def end(
        self,
        session: EvseSession,
        trigger: str,
        reason: str,
        token: IdToken | None = None,
        *,
        unlock: bool = True,
    ) -> None: ...


class Replies:
    __slots__ = ("_auth", "_tariff", "cp", "sessions", "tx")

    def __init__(
        self,
        cp: Variables,
        sessions: TxSessions,
        tx: TxControl,
        auth: Authorizer,
        tariff: DriverCosts,
    ) -> None:
        self.cp = cp
        self.sessions = sessions
        self.tx = tx
        self._auth = auth
        self._tariff = tariff

    # ------------------------------------------------------------ replies (E05, C10)
    def on_reply(
        self, payload: dict[str, Any], reply: dict[str, Any], evse_id: int | None = None
    ) -> None:
        self._show_tariff(payload, reply, evse_id)
        info = reply.get("idTokenInfo")
        token = payload.get("idToken")
        if info is None or token is None:
            return
        self._auth.remember(token, info)  # C10: the cache learns the CSMS's verdict
        if info.get("status") == "Accepted":
            return
        tx_id = payload["transactionInfo"]["transactionId"]
        for session in self.sessions.values():
            tx = session.tx
            if (
                tx is not None
                and tx.transaction_id == tx_id
                and same_token(session.authorized, token)
            ):
                self._deauthorized(session)

    def _show_tariff(
        self, payload: dict[str, Any], reply: dict[str, Any], evse_id: int | None
    ) -> None:
        """What the CSMS tells the driver: tariff (I01, I06), running or final cost (I02, I03).

        ``evse_id`` comes with the queued event: an Ended reply arrives after the
        transaction has left its EVSE, and the final cost belongs on that EVSE's display.
        """
        tariff = self._tariff
        message = reply.get("updatedPersonalMessage") or (reply.get("idTokenInfo") or {}).get(
            "personalMessage"
        )
        if message is not None:
            tariff.show_personal_message(evse_id, message)
        if "totalCost" in reply:
            tariff.show_cost(evse_id, reply["totalCost"], final=payload["eventType"] == "Ended")

    def _deauthorized(self, session: EvseSession) -> None:
        """The CSMS refuses the idToken of a running transaction (E05)."""
        cp = self.cp
        tx = session.tx
        assert tx is not None
        if cp.flag("TxCtrlr", "StopTxOnInvalidId"):
            if self.tx.stop_points() & AUTH_BOUND_POINTS:
                # E05.FR.10/11: Ended, and the cable stays locked for its owner.
                self.tx.guarded(
                    lambda: self.tx.end(session, "Deauthorized", "DeAuthorized", unlock=False)
                )
            else:
                # E05.FR.09: energy stops, the transaction waits for the EV to leave.
                session.authorized = None
                session.group = None
                session.stop_hint = "DeAuthorized"
                self.tx.sync(session.evse_id, "Deauthorized")
            return
        allowance = cp.number("TxCtrlr", "MaxEnergyOnInvalidId")
        used = self.tx.connector(session).energy_wh - tx.meter_start_wh
        if allowance > 0 and used < allowance:
            session.allowance_wh = tx.meter_start_wh + allowance  # E05.FR.03
            self.tx.retime_physics()  # the physics ticks where the allowance runs out
            return
        session.energy_blocked = True  # E05.FR.02
        self.tx.sync(session.evse_id, "ChargingStateChanged")
