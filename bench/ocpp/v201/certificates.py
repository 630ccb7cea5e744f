"""Certificates of a 2.0.1 station: A02/A03 (own certificates) and M01-M06 (CA certificates, V2G).

The store is the version-neutral ``bench.ocpp.common.certificates.CertificateStore``
with 2.0.1's names: CA certificates of the four InstallCertificateUseEnumType
types, the ChargingStationCertificate (the store's default "own" certificate,
verified against the CSMSRootCertificates) and the V2GCertificate (own
certificate of use ``V2GCertificate``, verified against the V2GRootCertificates).

- SignCertificate (A02/A03): a fresh ECDSA P-256 key and a PEM PKCS#10 CSR with
  CN = station identity and O = SecurityCtrlr.OrganizationName; while the CSMS
  accepted but sent no CertificateSigned, the request is repeated after
  CertSigningWaitMinimum, doubling, CertSigningRepeatTimes times (A02.FR.17-19).
- CertificateSigned: verified and installed (A02.FR.06), or Rejected with an
  InvalidChargingStationCertificate event and no more retries (A02.FR.07/20);
  on profile 3 a new ChargingStationCertificate is used by reconnecting
  (A02.FR.08); a new V2G certificate has its OCSP status fetched (M06.FR.07).
- InstallCertificate, DeleteCertificate, GetInstalledCertificateIds (M03-M05).
- GetCertificateStatus (M06): ``certificate_status(cert, issuer)`` asks the CSMS
  for the OCSP response and caches it (``ocsp_cache``), refreshed weekly (M06.FR.10).
- Get15118EVCertificate (M01/M02): ``request_ev_certificate(...)`` for the
  ISO 15118 part when a simulated EV asks for a contract certificate.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID

from bench.ocpp.common.certificates import (
    CertificateError,
    CertificateStore,
    hash_data,
    load_pem_certificates,
    provisioned_roots,
    report_ca_mismatch,
)
from bench.ocpp.common.timestamps import iso
from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed
from bench.ocpp.session import Reply
from bench.ocpp.v201.block import Link, Messaging, Services, Variables
from bench.ocpp.v201.csms_trust import CA_FILE, OCPP
from bench.ocpp.v201.device_model import ComponentKey, VariableKey

if TYPE_CHECKING:
    from bench.transport.config import LinkConfig

log = logging.getLogger(__name__)

CSMS_ROOT = "CSMSRootCertificate"
MF_ROOT = "ManufacturerRootCertificate"
V2G_ROOT = "V2GRootCertificate"
MO_ROOT = "MORootCertificate"
ROOT_TYPES = (V2G_ROOT, MO_ROOT, CSMS_ROOT, MF_ROOT)  # InstallCertificateUseEnumType
V2G_CHAIN = "V2GCertificateChain"
ID_TYPES = (*ROOT_TYPES, V2G_CHAIN)  # GetCertificateIdUseEnumType
CS_CERT = "ChargingStationCertificate"
V2G_CERT = "V2GCertificate"
# TriggerMessage -> (store use, certificateType sent; None for a combined certificate)
SIGN_TRIGGERS = {
    "SignChargingStationCertificate": (None, CS_CERT),
    "SignV2GCertificate": (V2G_CERT, V2G_CERT),
    "SignCombinedCertificate": (None, None),
}
RENEW_BEFORE = timedelta(days=30)  # A03.FR.02
OCSP_REFRESH = timedelta(days=7)  # M06.FR.10


class SecurityOwner(Protocol):
    """Block A as its certificates use it: its state, its log and the link's profile."""

    def get(self, name: str) -> Any: ...
    def put(self, name: str, value: Any) -> None: ...
    def notify(self, event_type: str, tech_info: str | None = None) -> None: ...
    def link_config(self) -> LinkConfig: ...
    def security_profile(self) -> int: ...
    def reconnect(self) -> None: ...


class CertificatesHost(Services, Messaging, Variables, Link, Protocol):
    """What the certificate part uses of the station: the session, SecurityCtrlr, its link."""


class Certificates:
    """The certificate part of block A/M of one station."""

    __slots__ = ("_attempts", "_store", "cp", "sec")

    def __init__(self, cp: CertificatesHost, security: SecurityOwner) -> None:
        self.cp = cp
        self.sec = security
        self._store: CertificateStore | None = None
        self._attempts: dict[str, int] = {}  # per certificate type: repeats made (A02.FR.18)

    def roots(self, certificate_type: str | None = None) -> list[x509.Certificate]:
        """The installed roots of ``certificate_type`` (all of them for None)."""
        return self.store.roots(certificate_type)

    def handlers(self) -> dict[str, Any]:
        return {
            "CertificateSigned": self.certificate_signed,
            "DeleteCertificate": self.delete_certificate,
            "GetInstalledCertificateIds": self.get_installed_certificate_ids,
            "InstallCertificate": self.install_certificate,
        }

    def triggers(self) -> dict[str, Any]:
        def trigger(name: str) -> Any:
            async def send(evse: dict[str, Any] | None) -> None:
                use, certificate_type = SIGN_TRIGGERS[name]
                self._attempts.pop(str(certificate_type), None)  # A02.FR.19/20: start over
                await self.request_signing(use, certificate_type)

            return send

        return {name: trigger(name) for name in SIGN_TRIGGERS}

    # ------------------------------------------------------------ the store
    @property
    def store(self) -> CertificateStore:
        if self._store is None:
            data = self.sec.get("certificates")
            self._store = CertificateStore(
                data, self._save, root_types=ROOT_TYPES, csms_root=CSMS_ROOT
            )
            if data is None:
                self._seed()
            else:
                report_ca_mismatch(
                    self.cp.station.id, self.cp.link_config.ca_file, self._store.roots(CSMS_ROOT)
                )
        return self._store

    def _save(self, data: dict[str, Any]) -> None:
        self.sec.put("certificates", data)
        count = len(data["roots"]) + len(data["client"])
        self.cp.set_own_variable("SecurityCtrlr", "CertificateEntries", str(count))

    def _seed(self) -> None:
        """The CA file the station was installed with is its first CSMSRootCertificate."""
        store = self._store
        assert store is not None
        pems: list[str] = []
        try:
            pems = provisioned_roots(self.cp.link_config.ca_file)
        except (OSError, CertificateError) as exc:
            log.warning("%s: CA file not imported: %s", self.cp.station.id, exc)
        for pem in pems:
            store.install_root(CSMS_ROOT, pem, self.cp.clock.now(), max_length=None, origin=CA_FILE)
        if not pems:
            self._save(store.snapshot())

    def _max_entries(self) -> int | None:
        vdef = self.cp.device_model.definition.lookup(
            ComponentKey("SecurityCtrlr"), VariableKey("CertificateEntries")
        )
        limit = vdef.characteristics.max_limit if vdef is not None else None
        return int(limit) if limit else None

    # ------------------------------------------------------------ M05
    async def install_certificate(self, req: dict[str, Any]) -> dict[str, Any]:
        certificate_type = req["certificateType"]
        status = self.store.install_root(
            certificate_type,
            req["certificate"],
            self.cp.clock.now(),
            max_length=self._max_entries(),  # M05.FR.06
            additional_check=self.cp.flag("SecurityCtrlr", "AdditionalRootCertificateCheck"),
            origin=OCPP,  # trusted beside the CA file (csms_trust)
        )
        if status == "Accepted":
            self.sec.notify("ReconfigurationOfSecurityParameters", f"{certificate_type} installed")
        return {"status": status}

    # ------------------------------------------------------------ M04
    async def delete_certificate(self, req: dict[str, Any]) -> dict[str, Any]:
        wanted = req["certificateHashData"]
        store = self.store
        own = self._own_entry(wanted)
        if own is not None and own[1] == V2G_CERT:
            return self._delete_own(own[0])  # M04.FR.02: only the CS certificate is refused
        if own is not None or store.matches_client(wanted):
            return {"status": "Failed"}  # M04.FR.06: the ChargingStationCertificate stays
        found = store.find_root(wanted)
        if found is None:
            return {"status": "NotFound"}  # M04.FR.04
        certificate_type, cert = found
        if certificate_type == CSMS_ROOT and self._root_in_use():
            return {"status": "Failed"}  # M04.FR.03: refused, the connection needs it
        try:
            store.delete_root(cert)
        except sqlite3.Error as exc:
            log.error("%s: deleting a certificate failed: %s", self.cp.station.id, exc)
            return {"status": "Failed"}  # M04.FR.03
        self.sec.notify("ReconfigurationOfSecurityParameters", f"{certificate_type} deleted")
        return {"status": "Accepted"}  # M04.FR.02

    def _own_entry(self, wanted: dict[str, Any]) -> tuple[int, str | None] | None:
        """(position, use) of the station's own certificate ``wanted`` names, if any."""
        algorithm = wanted.get("hashAlgorithm", "SHA256")
        for index, item in enumerate(self.store.snapshot()["client"]):
            chain = load_pem_certificates(item["chain"])
            data = hash_data(chain[0], self._issuer_of(chain[0], chain), algorithm)
            if _same_hash(data, wanted):
                return index, item.get("use")
        return None

    def _delete_own(self, index: int) -> dict[str, Any]:
        """Delete a V2GCertificate (its chain and key) from the store (M04.FR.02/03)."""
        new = self.store.snapshot()
        gone = new["client"].pop(index)
        try:
            self._save(new)
        except sqlite3.Error as exc:
            log.error("%s: deleting a certificate failed: %s", self.cp.station.id, exc)
            return {"status": "Failed"}  # M04.FR.03
        self._store = None  # read back from what was just saved
        self.sec.notify("ReconfigurationOfSecurityParameters", f"{gone.get('use')} deleted")
        return {"status": "Accepted"}

    def _root_in_use(self) -> bool:
        # Over TLS the last CSMS root is the one the connection was verified with.
        if not (self.cp.online and self.sec.link_config().secure):
            return False
        return len(self.store.roots(CSMS_ROOT)) <= 1

    # ------------------------------------------------------------ M03
    async def get_installed_certificate_ids(self, req: dict[str, Any]) -> dict[str, Any]:
        wanted = req.get("certificateType") or list(ID_TYPES)
        chains: list[dict[str, Any]] = []
        for certificate_type in wanted:
            if certificate_type == V2G_CHAIN:
                chains.extend(self._v2g_chain_ids())
                continue
            for data in self.store.installed_ids(certificate_type):
                chains.append({"certificateType": certificate_type, "certificateHashData": data})
        if not chains:
            return {"status": "NotFound"}  # M03.FR.02
        return {"status": "Accepted", "certificateHashDataChain": chains}  # M03.FR.03/04

    def _v2g_chain_ids(self) -> list[dict[str, Any]]:
        """M03.FR.05: each V2G certificate, its sub-CAs as childCertificateHashData."""
        out = []
        for chain in self.store.client_chains(V2G_CERT):
            entry: dict[str, Any] = {
                "certificateType": V2G_CHAIN,
                "certificateHashData": hash_data(chain[0], self._issuer_of(chain[0], chain)),
            }
            if len(chain) > 1:
                entry["childCertificateHashData"] = [
                    hash_data(sub, self._issuer_of(sub, chain)) for sub in chain[1:]
                ]
            out.append(entry)
        return out

    def _issuer_of(
        self, cert: x509.Certificate, chain: list[x509.Certificate]
    ) -> x509.Certificate | None:
        for candidate in [*chain, *self.store.roots()]:
            if candidate is not cert and candidate.subject == cert.issuer:
                return candidate
        return None

    # ------------------------------------------------------------ A02 / A03
    async def request_signing(self, use: str | None, certificate_type: str | None) -> str:
        """A new key pair and SignCertificateRequest (A02.FR.02/03); the CSMS's status.

        "Failed" when the request could not be delivered.
        """
        organization = self.cp.variable("SecurityCtrlr", "OrganizationName") or "OCPP Bench"
        csr = self.store.start_signing_request(self.cp.station.id, organization, use)
        payload: dict[str, Any] = {"csr": csr}
        if certificate_type is not None:
            payload["certificateType"] = certificate_type  # A02.FR.13
        try:
            reply = await self.cp.session.call("SignCertificate", payload)
        except (CallError, CallTimeout, InvalidReply, LinkClosed) as exc:
            log.warning("%s: SignCertificate failed: %s", self.cp.station.id, exc)
            return "Failed"
        if reply["status"] == "Accepted":
            self._schedule_repeat(use, certificate_type)
        elif certificate_type == V2G_CERT:
            log.info("%s: V2G certificate signing rejected (A02.FR.21)", self.cp.station.id)
        return str(reply["status"])

    def _schedule_repeat(self, use: str | None, certificate_type: str | None) -> None:
        """A02.FR.17/18: repeat after CertSigningWaitMinimum, doubling each time."""
        key = str(certificate_type)
        made = self._attempts.get(key, 0)
        if made >= int(self.cp.number("SecurityCtrlr", "CertSigningRepeatTimes")):
            self._attempts.pop(key, None)  # A02.FR.19: wait for a trigger
            return
        wait = self.cp.number("SecurityCtrlr", "CertSigningWaitMinimum") * (2**made)

        def due() -> None:
            if self.store.pending_request(use):
                self._attempts[key] = made + 1
                self.cp.tasks.spawn(self.request_signing(use, certificate_type), name="sign-again")

        self.cp.tasks.later(f"cert-sign-{key}", wait, due)

    def _stop_repeating(self, certificate_type: str) -> None:
        for key in (certificate_type, "None"):
            self.cp.tasks.cancel_timer(f"cert-sign-{key}")
            self._attempts.pop(key, None)

    async def certificate_signed(self, req: dict[str, Any]) -> dict[str, Any] | Reply:
        chain = req["certificateChain"]
        certificate_type = req.get("certificateType", CS_CERT)
        use = V2G_CERT if certificate_type == V2G_CERT else None
        anchor = V2G_ROOT if use == V2G_CERT else CSMS_ROOT
        self._stop_repeating(certificate_type)
        limit = int(self.cp.number("SecurityCtrlr", "MaxCertificateChainSize"))
        try:
            if limit and len(chain) > limit:
                # A02.FR.16: too long is Rejected.
                raise CertificateError(f"chain of {len(chain)} exceeds MaxCertificateChainSize")
            leaf = self.store.accept_signed_chain(chain, self.cp.clock.now(), use, anchor)
        except (CertificateError, ValueError) as exc:
            # A02.FR.07: discard it, report it; no retries until triggered (A02.FR.20).
            self.sec.notify("InvalidChargingStationCertificate", str(exc))
            return {"status": "Rejected"}
        except sqlite3.Error as exc:
            log.error("%s: storing the certificate failed: %s", self.cp.station.id, exc)
            return {"status": "Rejected"}
        self.sec.notify(
            "ReconfigurationOfSecurityParameters",
            f"new {certificate_type} {leaf.serial_number:x} installed",
        )
        if use == V2G_CERT:
            # M06.FR.07: fetch the OCSP status of the new certificate and its sub-CAs.
            return Reply({"status": "Accepted"}, then=self._refresh_ocsp_soon)
        if self.sec.security_profile() != 3:
            return {"status": "Accepted"}
        starts_in = (leaf.not_valid_before_utc - self.cp.clock.now()).total_seconds()
        if starts_in > 0:  # A02.FR.08: switch once its validity starts
            self.cp.tasks.later("client-certificate", starts_in, self.sec.reconnect)
            return {"status": "Accepted"}
        return Reply({"status": "Accepted"}, then=self.sec.reconnect)

    def maybe_renew(self) -> None:
        """A03.FR.02: on profile 3, renew a certificate that expires within a month."""
        if self.sec.security_profile() != 3 or self.store.has_pending_request:
            return
        now = self.cp.clock.now()
        creds = self.store.client_credentials(now)
        if creds is not None and creds.not_after - now < RENEW_BEFORE:
            self.cp.tasks.spawn(self.request_signing(None, CS_CERT), name="renew-certificate")

    # ------------------------------------------------------------ M06
    async def certificate_status(
        self, cert: x509.Certificate, issuer: x509.Certificate | None
    ) -> str:
        """GetCertificateStatus for ``cert``; the OCSP response is cached (M06.FR.06)."""
        data = hash_data(cert, issuer)
        data["responderURL"] = _ocsp_url(cert)[:512]
        try:
            reply = await self.cp.session.call("GetCertificateStatus", {"ocspRequestData": data})
        except (CallError, CallTimeout, InvalidReply, LinkClosed) as exc:
            log.warning("%s: GetCertificateStatus failed: %s", self.cp.station.id, exc)
            return "Failed"
        if reply["status"] == "Accepted" and "ocspResult" in reply:
            cache = dict(self.sec.get("ocsp_cache") or {})
            cache[data["serialNumber"]] = {
                "ocspResult": reply["ocspResult"],
                "fetched": iso(self.cp.clock.now()),
            }
            self.sec.put("ocsp_cache", cache)
        return str(reply["status"])

    def ocsp_cache(self) -> dict[str, dict[str, str]]:
        """Cached OCSP responses by serial number (hex): ``{"ocspResult", "fetched"}``."""
        return dict(self.sec.get("ocsp_cache") or {})

    def _refresh_ocsp_soon(self) -> None:
        self.cp.tasks.spawn(self.refresh_ocsp(), name="ocsp-refresh")

    async def refresh_ocsp(self) -> None:
        """M06.FR.06/07/10: the OCSP status of every V2G certificate and its sub-CAs."""
        for chain in self.store.client_chains(V2G_CERT):
            for cert in chain:
                await self.certificate_status(cert, self._issuer_of(cert, chain))
        self.cp.tasks.later(
            "ocsp-weekly",
            OCSP_REFRESH.total_seconds(),
            self._refresh_ocsp_soon,
        )

    def on_accepted(self) -> None:
        self.maybe_renew()
        if self.store.client_chains(V2G_CERT) and not self.cp.tasks.has_timer("ocsp-weekly"):
            self._refresh_ocsp_soon()

    # ------------------------------------------------------------ M01 / M02
    async def request_ev_certificate(
        self, iso15118_schema_version: str, action: str, exi_request: str
    ) -> dict[str, Any]:
        """Forward an EV's CertificateInstallationReq / CertificateUpdateReq (M01.FR.01, M02.FR.01).

        ``exi_request`` is the EXI stream, Base64 encoded; ``action`` is Install or Update.
        Returns the Get15118EVCertificateResponse (``status``, ``exiResponse``) to hand
        back to the EV; raises the session's errors when the CSMS cannot be asked.
        """
        if self.cp.variable("ISO15118Ctrlr", "ContractCertificateInstallationEnabled") == "false":
            raise PermissionError("ISO15118Ctrlr.ContractCertificateInstallationEnabled is false")
        payload = {
            "iso15118SchemaVersion": iso15118_schema_version,
            "action": action,
            "exiRequest": exi_request,
        }
        return await self.cp.session.call("Get15118EVCertificate", payload)


def _ocsp_url(cert: x509.Certificate) -> str:
    """The OCSP responder named in the certificate's AIA extension, or ""."""
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return ""
    for desc in aia:
        if desc.access_method == AuthorityInformationAccessOID.OCSP:
            return str(desc.access_location.value)
    return ""


def _same_hash(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """CertificateHashDataType equality: hex compared case-insensitively, serials unpadded."""
    return (
        a["issuerNameHash"].lower() == b["issuerNameHash"].lower()
        and a["issuerKeyHash"].lower() == b["issuerKeyHash"].lower()
        and a["serialNumber"].lower().lstrip("0") == b["serialNumber"].lower().lstrip("0")
    )
