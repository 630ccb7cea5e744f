"""The executable scenarios of the catalogue's cases, one module per version and block.

A scenario is an async function of a ``CaseRun`` registered for one or more case
ids with ``@scenario``; ``manual`` names the manual action keys it may ask for, so
``conformance list`` can say whether a case runs on its own (``auto``), through an
adapter (``adapter``) or needs a person (``manual``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bench.conformance.case_run import CaseRun
from bench.conformance.registry import ScenarioRegistry

ScenarioFn = Callable[[CaseRun], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Scenario:
    case_id: str
    run: ScenarioFn
    manual: tuple[str, ...]  # manual action keys it may ask for


_REGISTRY: ScenarioRegistry[Scenario] = ScenarioRegistry(__name__, __path__)


def scenario(*case_ids: str, manual: tuple[str, ...] = ()) -> Callable[[ScenarioFn], ScenarioFn]:
    """Register the decorated function as the scenario of ``case_ids``."""

    def register(fn: ScenarioFn) -> ScenarioFn:
        for case_id in case_ids:
            _REGISTRY.add(case_id, Scenario(case_id, fn, manual))
        return fn

    return register


def scenario_for(case_id: str) -> Scenario | None:
    return _REGISTRY.get(case_id)


def all_scenarios() -> dict[str, Scenario]:
    return _REGISTRY.all()
