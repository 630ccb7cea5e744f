"""The ``ocpp-bench`` console script: the desktop app with no arguments, else the CLI.

It lives in ``ui/`` because it is the one place allowed to know both floors: the
headless CLI (``bench.cli``) never imports Qt, and Qt is only imported here when
the desktop app actually starts.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from bench import cli


class _Desktop:
    def available(self) -> bool:
        from ui.app import display_available

        return display_available()

    def run(self, argv: list[str]) -> int:
        from ui.app import main as gui

        return gui(argv)


_COMMANDS = frozenset({"csms", "run", "demo", "export"})


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    wants_desktop = not (_COMMANDS & set(args)) and not ({"-h", "--help"} & set(args))
    desktop = _Desktop()
    if wants_desktop and args and desktop.available():
        # Desktop options (--theme, --data-dir, ...) belong to the app, not to the CLI.
        return desktop.run(args)
    return cli.main(args, desktop=desktop)


if __name__ == "__main__":
    sys.exit(main())
