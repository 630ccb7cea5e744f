"""A minimal synchronous publish/subscribe hub.

The model emits plain dataclass events; the OCPP layer and the UI subscribe.
Delivery is synchronous and in subscription order, so a subscriber sees the
model in exactly the state that produced the event. A subscriber that raises
does not stop delivery to the others: the error is handed to ``on_error``
(logged by default), never swallowed silently (ARCHITECTURE rule 4).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Subscriber = Callable[[Any], None]


class Emitter:
    __slots__ = ("_subscribers",)

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Register ``callback``; returns a function that unsubscribes it."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def emit(self, event: Any) -> None:
        for callback in tuple(self._subscribers):
            try:
                callback(event)
            except Exception:
                log.exception("subscriber %r failed on %r", callback, event)
