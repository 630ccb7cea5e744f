"""OCPP 2.0.1: one module per functional block, sharing the version-neutral core with v16."""
