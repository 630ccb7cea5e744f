"""The example scripts shipped in ``resources/scenarios/`` (``*.steps``, step language)."""

from __future__ import annotations

from pathlib import Path

from bench.model.templates import resources_dir

SUFFIX = ".steps"


def example_scripts() -> list[Path]:
    """Every bundled example, by file name."""
    folder = resources_dir() / "scenarios"
    return sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []


def example_title(path: Path) -> str:
    """What an example does: its first comment line, else its file name."""
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if text.startswith("#") and text.lstrip("#").strip():
            return text.lstrip("#").strip().rstrip(".")
        if text and not text.startswith("#"):
            break
    return path.stem.replace("-", " ")
