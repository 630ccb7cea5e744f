"""Device-model variables of the display block (part 2 appendices §2.12, DisplayMessageCtrlr)."""

from __future__ import annotations

from typing import Any

from bench.ocpp.v201.dm_seed import RO, RW, seed

MESSAGE_FORMATS = ("ASCII", "HTML", "URI", "UTF8")
MESSAGE_PRIORITIES = ("AlwaysFront", "InFront", "NormalCycle")
# The virtual display shows text; a URI would need a browser it does not have.
SUPPORTED_FORMATS = "ASCII,HTML,UTF8"
MAX_MESSAGES = 10

SEEDS: dict[tuple[str, str, str | None], Any] = {
    ("DisplayMessageCtrlr", "Available", None): seed(RO, "true"),
    ("DisplayMessageCtrlr", "Enabled", None): seed(RW, "true"),
    # Actual: messages configured now; maxLimit/MaxSet: how many fit (O01.FR.11).
    ("DisplayMessageCtrlr", "DisplayMessages", None): seed(
        RO, "0", min=0, max=MAX_MESSAGES, max_set=str(MAX_MESSAGES)
    ),
    ("DisplayMessageCtrlr", "PersonalMessageSize", None): seed(RO, "255"),
    ("DisplayMessageCtrlr", "SupportedFormats", None): seed(
        RO, SUPPORTED_FORMATS, values=MESSAGE_FORMATS
    ),
    ("DisplayMessageCtrlr", "SupportedPriorities", None): seed(
        RO, ",".join(MESSAGE_PRIORITIES), values=MESSAGE_PRIORITIES
    ),
}
