"""The built-in CSMS's tag list on disk, so the user's edits survive a restart.

One small JSON file in the shape the CSMS CLI reads with ``--tags``
(``bench.csms.config.tags_from_json``), so the same file works in both places.
Written atomically (a temporary file, then a rename), so a crash mid-write
leaves the previous list, never half a file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from bench.csms.config import TagEntry, load_tags, tags_to_json

FILE_NAME = "csms-tags.json"


class TagStore:
    """Load and save the tag list in ``folder/csms-tags.json``."""

    def __init__(self, folder: str | Path) -> None:
        self.path = Path(folder) / FILE_NAME

    def exists(self) -> bool:
        return self.path.is_file()

    def load(self) -> dict[str, TagEntry] | None:
        """The saved list, or None when nothing was saved yet (raises ``ConfigError`` if bad)."""
        if not self.exists():
            return None
        return load_tags(self.path)

    def save(self, tags: dict[str, TagEntry]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(tags_to_json(tags), indent=2, ensure_ascii=False) + "\n"
        temp = self.path.with_name(self.path.name + ".tmp")
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, self.path)
