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

import functools
import os
import sys

SWITCH_INTERVAL = 0.001  # seconds; Python's default is 0.005


def _cache_locust_default_options() -> None:
    """Build Locust's default option set once per process, not once per option.

    A worker handles each spawn message from its master by testing every option
    the master sent (about 70 with ours) against ``default_args_dict()``, which
    builds and runs a whole argument parser each time: 12 ms on an idle core, so
    close to a second per message, several seconds on a busy machine. The master
    sends such a message every second of a ramp-up, so a worker's gevent hub spent
    the ramp in argparse and missed its heartbeats (measured with py-spy at 10,000
    stations; the master then declared it missing and moved its users around).
    The defaults cannot change while the process runs, and both callers only
    test membership, so one shared result is the same answer.
    """
    from locust import argument_parser

    argument_parser.default_args_dict = functools.cache(argument_parser.default_args_dict)


def main() -> int:
    os.environ.setdefault("LOCUST_SKIP_MONKEY_PATCH", "1")
    # Two threads share the GIL here: the gevent hub (Locust) and the stations' loop,
    # which makes thousands of short socket calls a second. After each call it waits
    # for the GIL up to the switch interval while the hub runs (the convoy effect);
    # 1 ms instead of 5 ms roughly halved the loop's lag p99 in a 2,000-station boot.
    sys.setswitchinterval(SWITCH_INTERVAL)
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
    _cache_locust_default_options()
    from locust.main import main as locust_main

    sys.argv[0] = "locust"
    locust_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
