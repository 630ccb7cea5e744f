"""bench/smart is the pure, version-neutral engine: no I/O, no protocol, no OCPP JSON.

Each version package parses its own profile JSON (``bench.ocpp.v16.smart_profiles``,
``bench.ocpp.v201.smart_profiles``) into ``bench.smart.profiles.Profile``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import bench.smart

SMART = Path(bench.smart.__file__).parent
IO_MODULES = {"io", "json", "os", "pathlib", "socket", "sqlite3", "asyncio", "time"}


def modules() -> list[tuple[str, ast.Module]]:
    return [(path.name, ast.parse(path.read_text())) for path in sorted(SMART.glob("*.py"))]


def test_the_smart_engine_imports_only_itself_and_pure_standard_modules() -> None:
    for name, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported = [node.module]
            elif isinstance(node, ast.Import):
                imported = [alias.name for alias in node.names]
            else:
                continue
            for module in imported:
                top = module.split(".")[0]
                assert top not in IO_MODULES, f"{name} imports {module}"
                if top == "bench":
                    assert module.startswith("bench.smart"), f"{name} imports {module}"


def test_the_smart_engine_reads_no_protocol_json() -> None:
    """No dict is read by an OCPP field name: ``data["x"]`` or ``data.get("x")``."""
    for name, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
                assert not isinstance(node.slice.value, str), f"{name} reads [{node.slice.value!r}]"
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                raise AssertionError(f"{name} reads .get({node.args[0].value!r})")
