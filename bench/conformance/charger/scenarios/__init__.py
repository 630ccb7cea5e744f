"""The executable scenarios of the charging-station cases, one module per version and block.

A scenario is an async function of a ``ChargerRun`` registered for one or more case
ids with ``@scenario``; ``physical`` names the physical step keys it may ask for
(``bench.conformance.charger.dut.ACTIONS``), so ``conformance list --sut cs`` can
say whether a case runs on its own (``auto``) or needs a person for a real charger
(``physical``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bench.conformance.charger.run import ChargerRun
from bench.conformance.registry import ScenarioRegistry

ScenarioFn = Callable[[ChargerRun], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Scenario:
    case_id: str
    run: ScenarioFn
    physical: tuple[str, ...]  # physical step keys it may ask for


_REGISTRY: ScenarioRegistry[Scenario] = ScenarioRegistry(__name__, __path__)


def scenario(*case_ids: str, physical: tuple[str, ...] = ()) -> Callable[[ScenarioFn], ScenarioFn]:
    """Register the decorated function as the scenario of ``case_ids``."""

    def register(fn: ScenarioFn) -> ScenarioFn:
        for case_id in case_ids:
            _REGISTRY.add(case_id, Scenario(case_id, fn, physical))
        return fn

    return register


def scenario_for(case_id: str) -> Scenario | None:
    return _REGISTRY.get(case_id)


def all_scenarios() -> dict[str, Scenario]:
    return _REGISTRY.all()
