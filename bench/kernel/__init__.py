"""The kernel every other part of the core builds on, and which imports none of them.

Beside ``bench.model`` (the station as a machine, its clock and events) it holds
what every layer shares and no layer owns: the ``Supervisor`` that owns a
station's tasks, the ``FrameRecord`` a message log is made of, and the error a
link raises when it closes. ``bench.ocpp``, ``bench.transport``, ``bench.store``
and ``bench.devices`` import these; nothing here imports them (import-linter
enforces it: see ``[tool.importlinter]`` in pyproject.toml).
"""
