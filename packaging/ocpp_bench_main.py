"""Entry script of the PyInstaller bundle: the same ``ocpp-bench`` console script as a pip install.

With no arguments it opens the desktop app (or the headless demo without a screen);
``ocpp-bench demo``, ``run``, ``csms`` and ``export`` are the CLI.
"""

import multiprocessing
import sys

from ui.launcher import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # harmless unless something spawns processes (Windows)
    sys.exit(main())
