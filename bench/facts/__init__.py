"""What the views read from a charge point of either OCPP version, as plain values.

Qt-free view models: ``ui/`` renders them, and tests (or a headless runner) can
read the same facts without a display.
"""
