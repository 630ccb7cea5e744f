"""The entry point of a Locust process of ``ocpp-bench load`` (``python -m bench.load.launch``).

Locust patches the whole standard library for gevent when it is imported, unless
``LOCUST_SKIP_MONKEY_PATCH`` is set (``bench.load.cli`` sets it). Patched sockets,
selectors, SSL, queues and threads would reach the stations' asyncio loop, which
runs in its own OS thread (``bench.load.fleet``), so they stay as they are. What
Locust itself needs is patched here before it is imported: ``os`` above all,
whose gevent-aware ``fork`` gives the workers of ``--processes`` a fresh hub.
Locust's own networking (its ZeroMQ link, its web UI) uses gevent's sockets
directly and needs no patching.
"""

from __future__ import annotations

import os
import sys


def main() -> int:
    os.environ.setdefault("LOCUST_SKIP_MONKEY_PATCH", "1")
    from gevent import monkey

    monkey.patch_all(
        socket=False,
        dns=False,
        select=False,
        thread=False,
        ssl=False,
        queue=False,
        subprocess=False,
    )
    from locust.main import main as locust_main

    sys.argv[0] = "locust"
    locust_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
