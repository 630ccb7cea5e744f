"""Which CSMS roots a 2.0.1 station trusts on a TLS connection (A00.FR.307/308, M05).

Pure policy over the certificate store's CSMSRootCertificate entries
(``CertificateStore.root_entries``); ``security.Security`` turns the answer into
files for the transport.

- The station trusts the CA file it was installed with (the link's ``ca_file``, the
  user's ``--ca``: it wins over the store's copy of it, issue 11) PLUS every
  CSMSRootCertificate installed over OCPP (InstallCertificate, M05.FR.01/02).
  A station started without a CA file trusts every root of its store.
- With AdditionalRootCertificateCheck (M05.FR.09-12) a new root replaces the old
  one, which stays as a temporary fallback: once the provisioned roots are no longer
  among the current ones, the CA file is no longer trusted either, and the first
  attempt trusts the new root only.
- The fallback root is tried only after the new one failed to verify the server
  (``fallback_roots``): on a reconnect to the same CSMS (M05.FR.14) and back on the
  previous network profile after a failed migration (M05.FR.16), never while
  migrating to another CSMS (M05.FR.15). The caller decides which case it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

OCPP = "ocpp"  # an entry's origin: installed with InstallCertificate
CA_FILE = "ca_file"  # an entry's origin: the CA file the station was installed with


@dataclass(frozen=True, slots=True)
class Trust:
    """The anchors of one connection attempt."""

    ca_file: bool  # whether the link's CA file is trusted
    roots_pem: str  # store roots trusted (beside the CA file, or alone); "" for none


def _pem(entries: Iterable[dict[str, Any]]) -> str:
    return "".join(str(e["pem"]) for e in entries)


def from_ocpp(entry: dict[str, Any]) -> bool:
    """Installed over OCPP; an entry without an origin predates origins (provisioned)."""
    return entry.get("origin") == OCPP


def current_roots(
    entries: list[dict[str, Any]], *, ca_file_given: bool, additional_check: bool
) -> Trust:
    """The first attempt's anchors: the CA file plus the roots installed over OCPP."""
    current = [e for e in entries if not e.get("fallback")]
    if not ca_file_given:
        return Trust(False, _pem(current))
    installed = [e for e in current if from_ocpp(e)]
    provisioned = [e for e in current if not from_ocpp(e)]
    if additional_check and installed and not provisioned:
        # M05.FR.10/12: the CA file's root was replaced by the one installed since.
        return Trust(False, _pem(installed))
    return Trust(True, _pem(installed))


def fallback_roots(entries: list[dict[str, Any]]) -> Trust | None:
    """The fallback root kept by M05.FR.12 (the only anchor of a retry), or None."""
    kept = [e for e in entries if e.get("fallback")]
    return Trust(False, _pem(kept)) if kept else None
