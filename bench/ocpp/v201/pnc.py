"""Functional block C07: authorization with an ISO 15118 contract certificate (Plug and Charge).

When an EV that speaks ISO 15118 is plugged in and ``ISO15118Ctrlr.PnCEnabled`` is
true, the EV offers its contract: the eMAID and the contract certificate chain. The
station authorizes the eMAID (idToken type ``eMAID``) like a presented token:

- Online (C07.FR.01/02): an AuthorizeRequest with the eMAID and the OCSP data of
  the contract chain (``iso15118CertificateHashData``) when the station can check
  the chain itself, i.e. an MORootCertificate is installed; without one, the chain
  in PEM (``certificate``) when ``CentralContractValidationAllowed`` is true
  (C07.FR.06), else the contract cannot be used.
- Offline: not at all when ``ContractValidationOffline`` is false (C07.FR.07);
  otherwise the chain is checked locally (C07.FR.08) and the eMAID is decided like
  any token offline: list, cache, unknown id (C07.FR.09-12, block C's ``authorize``).

When the EV asks for its contract certificate first (M01 Install / M02 Update, the
ISO 15118 part of block K: ``smart_iso15118``), the authorization waits for that
exchange, as ISO 15118-2 has PaymentDetailsReq after it: with the CSMS's Accepted the
EV offers its new contract; with anything else no contract is offered in this session
(TC_M_27_CS, TC_M_29_CS: no AuthorizeRequest), and authorization is left to other
means (a token, C08).

The simulated EV's contract is made on the spot: a certificate for the eMAID,
issued by an MO sub-CA of the EV's own. "Validated locally" means that an MO root is
installed: the bench's EV stands for one whose contract chains up to it. An EV whose
contract is due for renewal (``EvSpec.contract_request`` "update") holds one that
expires in ``DUE_DAYS`` until the CSMS renews it.
"""

from __future__ import annotations

import datetime as dt
import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bench.model.changes import ConnectorChanged
from bench.ocpp.common.certificates import hash_data
from bench.ocpp.v201.block import Block, Messaging, Services, Variables

log = logging.getLogger(__name__)

ISO = "ISO15118Ctrlr"
MO_ROOT = "MORootCertificate"
# OCSPRequestDataType needs a responder; the simulated contract has none it could reach.
RESPONDER_URL = "http://ocsp.invalid/contract"
CONTRACT_DAYS = 365  # a new (or renewed) contract's validity
DUE_DAYS = 14  # what is left of a contract due for renewal


class PncHost(Services, Messaging, Variables, Protocol):
    """What C07 uses of the station."""


class Roots(Protocol):
    def roots(self, certificate_type: str | None = None) -> list[x509.Certificate]: ...


class ContractExchange(Protocol):
    """The EV's certificate exchange before Plug and Charge (M01/M02, ``smart_iso15118``)."""

    def contract_action(self, evse_id: int) -> str | None: ...
    def watch_contract(self, handler: Callable[[int, str], None]) -> None: ...


class Presenter(Protocol):
    async def present(
        self,
        token: dict[str, Any],
        evse_id: int | None = None,
        *,
        request_extra: dict[str, Any] | None = None,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Contract:
    emaid: str
    certificate: x509.Certificate
    sub_ca: x509.Certificate

    @property
    def chain_pem(self) -> str:
        return "".join(
            c.public_bytes(serialization.Encoding.PEM).decode()
            for c in (self.certificate, self.sub_ca)
        )

    def ocsp_data(self) -> list[dict[str, str]]:
        """OCSPRequestDataType of the contract and its sub-CA (C07.FR.02)."""
        return [
            {**hash_data(self.certificate, self.sub_ca), "responderURL": RESPONDER_URL},
            {**hash_data(self.sub_ca), "responderURL": RESPONDER_URL},
        ]


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "OCPP Bench EV"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Name, Any],
    now: dt.datetime,
    days: int = CONTRACT_DAYS,
) -> x509.Certificate:
    issuer_name, signer = issuer
    ca = issuer_name == _name(subject)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(signer, hashes.SHA256())
    )


def make_contract(emaid: str, now: dt.datetime, days: int = CONTRACT_DAYS) -> Contract:
    """A contract certificate for ``emaid``, valid ``days`` more, under a fresh MO sub-CA."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    sub_ca = _certificate(
        "OCPP Bench MO Sub-CA", ca_key, (_name("OCPP Bench MO Sub-CA"), ca_key), now
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _certificate(emaid, key, (sub_ca.subject, ca_key), now, days)
    return Contract(emaid, leaf, sub_ca)


def emaid_for(station_id: str, evse_id: int) -> str:
    """The simulated EV's eMAID (ISO 15118-2 form: country, provider, C, id)."""
    return f"NLOCBC{zlib.crc32(f'{station_id}/{evse_id}'.encode()):08X}"


class PlugAndCharge(Block[PncHost]):
    __slots__ = ("_exchange", "_roots", "_tx", "contracts")

    def __init__(
        self, cp: PncHost, transactions: Presenter, roots: Roots, exchange: ContractExchange
    ) -> None:
        super().__init__(cp)
        self._tx = transactions
        self._roots = roots
        self._exchange = exchange
        self.contracts: dict[int, Contract] = {}  # the plugged EV's contract per EVSE
        exchange.watch_contract(self._on_contract_exchange)

    def on_model_event(self, event: Any) -> None:
        if not isinstance(event, ConnectorChanged):
            return
        if event.station_id and event.station_id != self.cp.station.id:
            return
        if event.reason == "unplugged":
            self.contracts.pop(event.connector_id, None)
        elif event.reason == "plugged" and self._pnc_ev(event.connector_id):
            if self._exchange.contract_action(event.connector_id) is not None:
                return  # the certificate exchange first: ``_on_contract_exchange``
            self.cp.tasks.spawn(self.authorize(event.connector_id), f"pnc-{event.connector_id}")

    def _on_contract_exchange(self, evse_id: int, status: str) -> None:
        """The EV's Get15118EVCertificate ended: its new contract is offered (C07.FR.01)
        only when the CSMS accepted; otherwise none is, in this session (M01/M02)."""
        if status != "Accepted":
            log.info(
                "%s: EVSE %s: contract certificate exchange %s: no Plug and Charge",
                self.cp.station.id,
                evse_id,
                status,
            )
            return
        if self._pnc_ev(evse_id):
            self.cp.tasks.spawn(self.authorize(evse_id, renewed=True), f"pnc-{evse_id}")

    def _pnc_ev(self, evse_id: int) -> bool:
        if not self.cp.flag(ISO, "PnCEnabled"):
            return False
        ev = self.cp.station.connector(evse_id).ev
        return ev is not None and ev.spec.iso15118

    async def authorize(self, evse_id: int, *, renewed: bool = False) -> None:
        """C07: the plugged EV's contract, authorized online or offline; ``renewed``: one
        the EV just got through the station (M01/M02)."""
        cp = self.cp
        ev = cp.station.connector(evse_id).ev
        due = ev is not None and ev.spec.contract_request == "update" and not renewed
        days = DUE_DAYS if due else CONTRACT_DAYS
        contract = make_contract(emaid_for(cp.station.id, evse_id), cp.clock.now(), days)
        self.contracts[evse_id] = contract
        token = {"idToken": contract.emaid, "type": "eMAID"}
        can_validate = bool(self._roots.roots(MO_ROOT))
        if not cp.accepted:
            if not cp.flag(ISO, "ContractValidationOffline"):
                log.info(
                    "%s: offline, ContractValidationOffline false: no PnC (C07.FR.07)",
                    cp.station.id,
                )
                return
            if not can_validate:
                log.info("%s: offline, no MO root to check the contract (C07.FR.08)", cp.station.id)
                return
            await self._tx.present(token, evse_id)  # C07.FR.09-12
            return
        if can_validate:
            extra: dict[str, Any] = {"iso15118CertificateHashData": contract.ocsp_data()}
        elif cp.flag(ISO, "CentralContractValidationAllowed"):
            extra = {"certificate": contract.chain_pem}  # C07.FR.06
        else:
            log.info(
                "%s: no MO root and no central validation: the contract is not used", cp.station.id
            )
            return
        await self._tx.present(token, evse_id, request_extra=extra)
