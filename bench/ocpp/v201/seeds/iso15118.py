"""Device-model variables of the iso15118 block (part 2 appendices, controller components)."""

from __future__ import annotations

from typing import Any

SEEDS: dict[tuple[str, str, str | None], Any] = {}
