"""Case id -> scenario, for one package of scenario modules (either side of a test).

The CSMS cases' scenarios (``bench.conformance.scenarios``) and the charging-station
cases' (``bench.conformance.charger.scenarios``) each keep one ``ScenarioRegistry``:
the package's modules register their scenarios when they are imported, and the
registry imports them all on first use, so listing or running a case never depends
on which module someone happened to import.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from typing import Generic, TypeVar

S = TypeVar("S")


class ScenarioRegistry(Generic[S]):
    def __init__(self, package: str, path: Iterable[str]) -> None:
        self._package = package
        self._path = list(path)
        self._entries: dict[str, S] = {}
        self._loaded = False

    def add(self, case_id: str, entry: S) -> None:
        if case_id in self._entries:
            raise ValueError(f"{case_id} has two scenarios")
        self._entries[case_id] = entry

    def _load_all(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for module in pkgutil.iter_modules(self._path):
            importlib.import_module(f"{self._package}.{module.name}")

    def get(self, case_id: str) -> S | None:
        self._load_all()
        return self._entries.get(case_id)

    def all(self) -> dict[str, S]:
        self._load_all()
        return dict(self._entries)
