"""Functional block H (ReserveNow, CancelReservation, ReservationStatusUpdate). Being written."""

from __future__ import annotations

from bench.ocpp.v201.block import Block


class Reservations(Block):
    __slots__ = ()
