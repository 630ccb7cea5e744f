"""Functional block O, display messages (O01-O06), and the station's virtual display.

The CSMS configures messages (MessageInfoType) with SetDisplayMessage; they are
kept, persisted (O01.FR.10), listed with GetDisplayMessages -> NotifyDisplayMessages
and removed with ClearDisplayMessage, at their endDateTime (O01.FR.07) or when
their transaction ends (O02.FR.02). The station's own texts (tariff, cost) go
through ``show_text``. ``current(evse_id)`` says which message is up now:
AlwaysFront first, then InFront messages in turn, then the normal cycle
(O01.FR.12-16). Every change emits ``DisplayMessagesChanged`` on ``cp.events``.

``screen(evse_id)`` is the whole display as a driver sees it. Like a real station
it is never blank: its own status screen (state, power and session energy, and the
tariff or cost text where the station knows one) shows unless a CSMS message
takes precedence. AlwaysFront and InFront messages hide it; NormalCycle messages
take turns with it, as they are shown "in the normal cycle of messages"
(O01.FR.14), of which the station's own screen is part.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bench.model.changes import ConnectorChanged, StationChanged
from bench.ocpp.common.timestamps import iso, parse_iso
from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed
from bench.ocpp.session import Reply
from bench.ocpp.v201.block import Block, Evses, Handler, Messaging, Persistence, Services, Variables
from bench.ocpp.v201.device_model import AttributeType
from bench.ocpp.v201.ports import TxLookup

log = logging.getLogger(__name__)

_STATE_KEY = "display.messages"
STATES = ("Charging", "Faulted", "Idle", "Unavailable")  # every MessageStateEnumType value
CYCLE_SECONDS = 8.0  # virtual seconds each cycled message stays on screen
_RANK = {"AlwaysFront": 0, "InFront": 1, "NormalCycle": 2}


@dataclass(frozen=True, slots=True)
class DisplayMessagesChanged:
    """The messages configured on the station, or the station's own texts, changed."""


@dataclass(frozen=True, slots=True)
class ScreenText:
    """What a display shows: the content, its format and where it came from."""

    content: str
    format: str
    priority: str
    message_id: int | None  # None for the station's own texts
    language: str | None = None
    station_screen: bool = False  # the station's own status screen (``screen``)


class DisplayHost(Services, Messaging, Variables, Persistence, Evses, Protocol):
    """What block O uses of the station: its EVSEs, DisplayMessageCtrlr, stored messages."""


class DisplayMessages(Block[DisplayHost]):
    __slots__ = ("_messages", "_own", "_transactions")

    def __init__(self, cp: DisplayHost, transactions: TxLookup) -> None:
        super().__init__(cp)
        self._transactions = transactions
        saved = cp.state.get(cp.station.id, _STATE_KEY) or []
        self._messages: dict[int, dict[str, Any]] = {int(m["id"]): m for m in saved}
        # The station's own texts, per EVSE (None: every display): (text, priority).
        self._own: dict[int | None, tuple[str, str]] = {}

    # ------------------------------------------------------------ public interface
    def messages(self) -> list[dict[str, Any]]:
        """Every message configured through OCPP (MessageInfoType), by id."""
        self._purge()
        return [_public(self._messages[i]) for i in sorted(self._messages)]

    def show_text(
        self, text: str, evse_id: int | None = None, priority: str = "NormalCycle"
    ) -> None:
        """Show the station's own ``text`` (tariff, cost) on ``evse_id``'s display."""
        self._own[evse_id] = (text, priority)
        self._emit()

    def clear_text(self, evse_id: int | None = None) -> None:
        if self._own.pop(evse_id, None) is not None:
            self._emit()

    def own_text(self, evse_id: int | None = None) -> str | None:
        found = self._own.get(evse_id)
        return found[0] if found else None

    def current(self, evse_id: int | None = None) -> ScreenText | None:
        """The message on ``evse_id``'s display now (priority, time window, state, cycle)."""
        return self._pick(evse_id, with_status=False)

    def screen(self, evse_id: int | None = None) -> ScreenText:
        """Everything ``evse_id``'s display shows now: never blank (see the module doc)."""
        picked = self._pick(evse_id, with_status=True)
        assert picked is not None  # the status screen is always a candidate
        return picked

    def status_screen(self, evse_id: int | None = None) -> ScreenText:
        """The station's own screen: state, power and energy, and its tariff or cost text."""
        lines = [self._state_line(evse_id)]
        connectors = [
            self.cp.station.connector(i)
            for i in ([evse_id] if evse_id is not None else self.cp.evse_ids())
        ]
        for connector in connectors:
            tx = connector.transaction
            if tx is not None:
                session_kwh = max(0, connector.energy_wh - tx.meter_start_wh) / 1000
                lines.append(f"{connector.power_w / 1000:.1f} kW · {session_kwh:.2f} kWh")
        own = self._own_for(evse_id)
        if own is not None:
            lines.append(own[0])  # the tariff or the cost so far, where the station knows it
        priority = own[1] if own is not None else "NormalCycle"
        return ScreenText("\n".join(lines), "UTF8", priority, None, station_screen=True)

    def _state_line(self, evse_id: int | None) -> str:
        ids = [evse_id] if evse_id is not None else self.cp.evse_ids()
        statuses = {self.cp.status_of(i).status for i in ids}
        connectors = [self.cp.station.connector(i) for i in ids]
        if "Faulted" in statuses:
            return "Out of order"
        if statuses == {"Unavailable"}:
            return "Unavailable"
        if any(c.transaction is not None and c.drawing for c in connectors):
            return "Charging"
        if any(c.transaction is not None for c in connectors):
            return "Connected · not charging"
        if "Reserved" in statuses:
            return "Reserved"
        if any(c.plugged for c in connectors):
            return "Connected · present your card"
        return "Available · plug in to charge"

    def _own_for(self, evse_id: int | None) -> tuple[str, str] | None:
        for key in (evse_id, None) if evse_id is not None else (None,):
            own = self._own.get(key)
            if own is not None:
                return own
        return None

    def _pick(self, evse_id: int | None, *, with_status: bool) -> ScreenText | None:
        now = self.cp.clock.now()
        self._purge(now)
        shown: list[tuple[int, float, ScreenText]] = []
        for message in self._messages.values():
            if self._visible(message, evse_id, now):
                content = message["message"]
                text = ScreenText(
                    content["content"],
                    content["format"],
                    message["priority"],
                    message["id"],
                    content.get("language"),
                )
                order = -float(message.get("_set", 0))  # newest first among equals
                shown.append((_RANK[message["priority"]], order, text))
        own = self._own_for(evse_id)
        if with_status:
            # The status screen carries the station's own text; it goes last in its cycle.
            status = self.status_screen(evse_id)
            rank = max(_RANK.get(status.priority, 2), 1)
            shown.append((rank, float("inf"), status))
        elif own is not None:
            # The station's own texts never override an AlwaysFront one (O01.FR.15).
            rank = max(_RANK.get(own[1], 2), 1)
            shown.append((rank, 0.0, ScreenText(own[0], "UTF8", own[1], None)))
        if not shown:
            return None
        best = min(rank for rank, _o, _t in shown)
        group = [t for rank, _o, t in sorted(shown, key=lambda s: (s[0], s[1])) if rank == best]
        if best == 0:
            return group[0]  # a newer AlwaysFront replaces the older one (O01.FR.16)
        # InFront (O01.FR.14) and NormalCycle messages take turns.
        turn = int(self.cp.clock.monotonic() // CYCLE_SECONDS) % len(group)
        return group[turn]

    # ------------------------------------------------------------ handlers
    def handlers(self) -> dict[str, Handler]:
        return {
            "SetDisplayMessage": self.set_display_message,
            "GetDisplayMessages": self.get_display_messages,
            "ClearDisplayMessage": self.clear_display_message,
        }

    def _supported(self, variable: str) -> set[str]:
        text = self.cp.variable("DisplayMessageCtrlr", variable) or ""
        return {item for item in text.split(",") if item}

    def _capacity(self) -> int:
        text = self.cp.variable(
            "DisplayMessageCtrlr", "DisplayMessages", None, AttributeType.MAX_SET
        )
        return int(text) if text else 0

    async def set_display_message(self, req: dict[str, Any]) -> dict[str, Any]:
        message = dict(req["message"])
        if self.cp.variable("DisplayMessageCtrlr", "Enabled") == "false":
            return {"status": "Rejected", "statusInfo": {"reasonCode": "Disabled"}}
        if message["priority"] not in self._supported("SupportedPriorities"):
            return {"status": "NotSupportedPriority"}  # O01.FR.01, O02.FR.03
        if message.get("state") is not None and message["state"] not in STATES:
            return {"status": "NotSupportedState"}  # O01.FR.02, O02.FR.04
        if message["message"]["format"] not in self._supported("SupportedFormats"):
            return {"status": "NotSupportedMessageFormat"}  # O01.FR.03, O02.FR.05
        display = message.get("display")
        if display is not None and not self._known_display(display):
            return {
                "status": "Rejected",
                "statusInfo": {"reasonCode": "UnknownDisplay"},
            }  # O01.FR.22
        tx_id = message.get("transactionId")
        if tx_id is not None and tx_id not in self._transactions.transaction_ids():
            return {"status": "UnknownTransaction"}  # O02.FR.01
        for when in ("startDateTime", "endDateTime"):
            if when in message and parse_iso(message[when]) is None:
                return {"status": "Rejected", "statusInfo": {"reasonCode": "InvalidValue"}}
        capacity = self._capacity()
        if message["id"] not in self._messages and capacity and len(self._messages) >= capacity:
            return {"status": "Rejected", "statusInfo": {"reasonCode": "NoCapacity"}}  # O01.FR.11
        if message["priority"] == "AlwaysFront":
            # O01.FR.16, O02.FR.18: the new AlwaysFront message replaces the old one.
            for other in [m for m in self._messages.values() if m["priority"] == "AlwaysFront"]:
                if other.get("display") == display:
                    self._messages.pop(other["id"], None)
        message["_set"] = self.cp.clock.monotonic()
        self._messages[message["id"]] = message  # O06.FR.01: same id replaces
        self._schedule(message)
        self._changed()
        return {"status": "Accepted"}

    def _known_display(self, display: dict[str, Any]) -> bool:
        """The virtual display: one per EVSE, named "Display"."""
        evse = display.get("evse")
        return display["name"] == "Display" and (
            evse is None or evse.get("id") in self.cp.evse_ids()
        )

    async def get_display_messages(self, req: dict[str, Any]) -> Reply | dict[str, Any]:
        ids = req.get("id")
        selected = [
            m
            for m in self.messages()
            if (not ids or m["id"] in ids)
            and req.get("priority") in (None, m["priority"])
            and req.get("state") in (None, m.get("state"))
        ]
        if not selected:
            return {"status": "Unknown"}  # O03.FR.06, O04.FR.02/07
        request_id = req["requestId"]
        infos = selected

        def stream() -> None:
            self.cp.tasks.spawn(self._send(request_id, infos), name="notify-display")

        return Reply({"status": "Accepted"}, then=stream)  # O03.FR.01, O04.FR.01

    async def _send(self, request_id: int, infos: list[dict[str, Any]]) -> None:
        text = self.cp.variable("DeviceDataCtrlr", "ItemsPerMessage", "GetReport")
        items = max(1, int(text) if text else 50)
        chunks = [infos[i : i + items] for i in range(0, len(infos), items)]
        for number, chunk in enumerate(chunks):
            payload = {
                "requestId": request_id,  # O03.FR.05, O04.FR.06
                "tbc": number < len(chunks) - 1,  # O03.FR.04, O04.FR.05
                "messageInfo": chunk,
            }
            try:
                await self.cp.session.call("NotifyDisplayMessages", payload)
            except (CallError, CallTimeout, InvalidReply) as exc:
                log.warning("%s: NotifyDisplayMessages failed: %s", self.cp.station.id, exc)
            except LinkClosed:
                return

    async def clear_display_message(self, req: dict[str, Any]) -> dict[str, Any]:
        if self._messages.pop(req["id"], None) is None:
            return {"status": "Unknown"}  # O05.FR.02
        self.cp.tasks.cancel_timers(f"display-{req['id']}-")
        self._changed()
        return {"status": "Accepted"}  # O05.FR.01

    # ------------------------------------------------------------ hooks
    def on_start(self) -> None:
        self._purge()
        for message in self._messages.values():
            self._schedule(message)
        self._count()

    def on_model_event(self, event: Any) -> None:
        if isinstance(event, ConnectorChanged) and event.reason == "transaction_ended":
            # Checked once the event settled: the transactions block ends its record then.
            if any(m.get("transactionId") for m in self._messages.values()):
                self.cp.tasks.later("display-tx-ended", 0.0, self._drop_ended_transactions)
        elif isinstance(event, ConnectorChanged | StationChanged) and event.reason in (
            "fault",
            "fault_cleared",
            "transaction_started",
        ):
            self._emit()  # state-bound messages may show or hide now

    def _drop_ended_transactions(self) -> None:
        bound = [m for m in self._messages.values() if m.get("transactionId")]
        if not bound:
            return
        running = set(self._transactions.transaction_ids())
        ended = [m["id"] for m in bound if m["transactionId"] not in running]
        for message_id in ended:  # O02.FR.02
            self._messages.pop(message_id, None)
        if ended:
            self._changed()

    # ------------------------------------------------------------ internals
    def _visible(self, message: dict[str, Any], evse_id: int | None, now: datetime) -> bool:
        start = parse_iso(message["startDateTime"]) if "startDateTime" in message else None
        if start is not None and now < start:
            return False  # O01.FR.06
        display = message.get("display") or {}
        evse = (display.get("evse") or {}).get("id")
        if evse is not None and evse_id is not None and evse != evse_id:
            return False
        tx_id = message.get("transactionId")
        if tx_id is not None:
            if evse_id is None:
                return False
            tx = self._transactions.active(evse_id)
            if tx is None or tx.transaction_id != tx_id:
                return False
        state = message.get("state")
        return state is None or state == self._state(evse_id)

    def _state(self, evse_id: int | None) -> str:
        ids = [evse_id] if evse_id is not None else self.cp.evse_ids()
        statuses = [self.cp.status_of(i).status for i in ids]
        if "Faulted" in statuses:
            return "Faulted"
        if all(s == "Unavailable" for s in statuses):
            return "Unavailable"
        charging = any(self.cp.station.connector(i).transaction is not None for i in ids)
        return "Charging" if charging else "Idle"

    def _purge(self, now: datetime | None = None) -> None:
        now = now or self.cp.clock.now()
        expired = [
            m["id"]
            for m in self._messages.values()
            if "endDateTime" in m
            and (end := parse_iso(m["endDateTime"])) is not None
            and now >= end
        ]
        for message_id in expired:  # O01.FR.07
            self._messages.pop(message_id, None)
        if expired:
            self._changed()

    def _schedule(self, message: dict[str, Any]) -> None:
        """Timers at the start and end of the message's window, so the display updates."""
        now = self.cp.clock.now()
        for when in ("startDateTime", "endDateTime"):
            at = parse_iso(message[when]) if when in message else None
            if at is None or at <= now:
                continue
            delay = (at - now).total_seconds()
            self.cp.tasks.later(f"display-{message['id']}-{when}", delay, self._window_passed)

    def _window_passed(self) -> None:
        self._purge()
        self._emit()

    def _count(self) -> None:
        text = str(len(self._messages))
        if self.cp.variable("DisplayMessageCtrlr", "DisplayMessages") not in (None, text):
            self.cp.set_own_variable("DisplayMessageCtrlr", "DisplayMessages", text)

    def _changed(self) -> None:
        self.cp.state.put(
            self.cp.station.id, _STATE_KEY, list(self._messages.values())
        )  # O01.FR.10
        self._count()
        self._emit()

    def _emit(self) -> None:
        self.cp.events.emit(DisplayMessagesChanged())


def _public(message: dict[str, Any]) -> dict[str, Any]:
    """The MessageInfoType without the bench's bookkeeping keys (``_set``)."""
    return {k: v for k, v in message.items() if not k.startswith("_")}


def describe(message: dict[str, Any]) -> str:
    """One line for logs and the GUI list: ``#3 InFront "Welcome" until 12:00``."""
    text = f'#{message["id"]} {message["priority"]} "{message["message"]["content"]}"'
    if "endDateTime" in message:
        end = parse_iso(message["endDateTime"])
        if end is not None:
            text += f" until {iso(end)}"
    return text
