"""TLS material for charger cases that need a security profile (1.6 TC_073-087 CS).

The bench as CSMS presents an ECDSA and an RSA-2048 server certificate from one
test CA (``tests.conformance.secure_csms``), and is that CA too: the station's
client certificate (CN = its identity) comes from it, and so do the certificates
the bench signs for the station in a case (``ca_cert_file``/``ca_key_file`` in the
case settings' ``extra``). Profile 2 asks for a client certificate without
insisting, so a station on profile 2 can upgrade to 3 on the same endpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conformance.secure_csms import VERIFY, make_material, server_context

# The station's AuthorizationKey: hexadecimal, 20-40 digits (whitepaper A00.FR.304, TC_085_CS).
PASSWORD = "4F4350502042656E636820436861726765722054"


def secure_bench(
    profile: int, folder: Path, station_id: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """(``charger_bench`` keyword arguments, ``ChargerSettings.extra``) for ``profile``."""
    if profile == 0:
        return {}, {}
    material = make_material(folder)
    bench: dict[str, Any] = {}
    if profile in (1, 2):
        bench["password"] = PASSWORD
    if profile >= 2:
        bench["ssl_context"] = server_context(material, client_certificates=VERIFY[profile])
        bench["ca_file"] = str(material.ca.cert_file)
    if profile == 3:
        client = material.ca.issue_client(folder, station_id, stem="dut-client")
        bench["station_cert_file"] = str(client.cert_file)
        bench["station_key_file"] = str(client.key_file)
    extra = {"ca_cert_file": str(material.ca.cert_file), "ca_key_file": str(material.ca.key_file)}
    return bench, extra
