"""Devices on the other end of a pseudo-terminal, for tests, demos and users without hardware.

Each emulator module exposes ``async def run_emulator(kind, link_path, prompt)``
(used by ``ocpp-bench emulate``) and a class the tests drive directly.
"""
