"""The executable scenarios of the charging-station cases, one module per version and block.

A scenario is an async function of a ``ChargerRun`` registered for one or more case
ids with ``@scenario``; ``physical`` names the physical step keys it may ask for
(``bench.conformance.charger.dut.ACTIONS``), so ``conformance list --sut cs`` can
say whether a case runs on its own (``auto``) or needs a person for a real charger
(``physical``).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache

from bench.conformance.charger.run import ChargerRun

ScenarioFn = Callable[[ChargerRun], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Scenario:
    case_id: str
    run: ScenarioFn
    physical: tuple[str, ...]  # physical step keys it may ask for


_REGISTRY: dict[str, Scenario] = {}


def scenario(*case_ids: str, physical: tuple[str, ...] = ()) -> Callable[[ScenarioFn], ScenarioFn]:
    """Register the decorated function as the scenario of ``case_ids``."""

    def register(fn: ScenarioFn) -> ScenarioFn:
        for case_id in case_ids:
            if case_id in _REGISTRY:
                raise ValueError(f"{case_id} has two scenarios")
            _REGISTRY[case_id] = Scenario(case_id, fn, physical)
        return fn

    return register


@cache
def _load_all() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


def scenario_for(case_id: str) -> Scenario | None:
    _load_all()
    return _REGISTRY.get(case_id)


def all_scenarios() -> dict[str, Scenario]:
    _load_all()
    return dict(_REGISTRY)
