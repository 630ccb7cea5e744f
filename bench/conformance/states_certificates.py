"""The certificate states of the 2.0.1 CSMS cases (part 6 §3.18): CertificateInstalled and
GetInstalledCertificates, with the station's side as the bench plays it.

InstallCertificate and DeleteCertificate are done by the bench's station for real
(M05, M04). GetInstalledCertificateIds is answered by the station itself where it
holds what the case says it holds; where the case has the station report certificates
it was never given (the OCTT's configured trust store) or report them hashed with
SHA384/SHA512, the scenario answers from the case's configured certificates
(``answer_with``) and says so where it does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from bench.conformance.case_run import CaseRun
from bench.conformance.expect import ABSENT, satisfies
from bench.conformance.material_lm import Credential, root_certificate, same_certificate
from bench.conformance.states_firmware import csms_call, station_answer
from bench.kernel.frames import FrameRecord
from bench.ocpp.common.certificates import hash_data

CSMS_ROOT = "CSMSRootCertificate"
MF_ROOT = "ManufacturerRootCertificate"
V2G_ROOT = "V2GRootCertificate"
MO_ROOT = "MORootCertificate"
V2G_CHAIN = "V2GCertificateChain"
ROOT_TYPES = (CSMS_ROOT, MF_ROOT, V2G_ROOT, MO_ROOT)


@dataclass
class TrustStore:
    """<The configured certificate of the specified certificateType>, per type; the V2G
    chain (leaf first, then its sub-CAs, then the root that anchors them)."""

    roots: dict[str, Credential] = field(default_factory=dict)
    v2g_chain: tuple[Credential, ...] = ()

    @classmethod
    def configured(cls, ctx: CaseRun, types: Iterable[str] = ROOT_TYPES) -> TrustStore:
        now = ctx.station.clock.now()
        return cls({t: root_certificate(t, now) for t in types})

    def entries(self, types: list[str] | None, algorithm: str) -> list[dict[str, Any]]:
        """CertificateHashDataChainType items for ``types`` (all for None), M03.FR.03-05."""
        out: list[dict[str, Any]] = []
        for certificate_type in types if types is not None else [*ROOT_TYPES, V2G_CHAIN]:
            if certificate_type == V2G_CHAIN and self.v2g_chain:
                out.append(self._chain_entry(algorithm))
            elif certificate_type in self.roots:
                cert = self.roots[certificate_type].cert
                out.append(
                    {
                        "certificateType": certificate_type,
                        "certificateHashData": hash_data(cert, None, algorithm),
                    }
                )
        return out

    def _chain_entry(self, algorithm: str) -> dict[str, Any]:
        chain = self.v2g_chain
        # M03.FR.05: the V2G certificate, its sub-CAs as childCertificateHashData.
        return {
            "certificateType": V2G_CHAIN,
            "certificateHashData": hash_data(chain[0].cert, chain[1].cert, algorithm),
            "childCertificateHashData": [
                hash_data(sub.cert, issuer.cert, algorithm) for sub, issuer in pairwise(chain[1:])
            ],
        }

    def answer(self, algorithm: str) -> Callable[[dict[str, Any]], Any]:
        """A GetInstalledCertificateIds handler that reports these certificates."""

        async def handle(request: dict[str, Any]) -> dict[str, Any]:
            found = self.entries(request.get("certificateType"), algorithm)
            if not found:
                return {"status": "NotFound"}  # M03.FR.02
            return {"status": "Accepted", "certificateHashDataChain": found}

        return handle


async def certificate_installed(
    ctx: CaseRun, certificate_type: str, credential: Credential, *, step: int | None = 1
) -> FrameRecord:
    """Reusable State CertificateInstalled: the CSMS installs the configured certificate.

    Tool validations (step 1): certificateType is the specified one, certificate the
    configured one. The bench's station installs it (M05.FR.01) and answers Accepted.
    """
    pem = credential.pem
    frame = await csms_call(
        ctx,
        "install_certificate",
        f"Request the CSMS to install the {certificate_type} given",
        "InstallCertificate",
        {"certificateType": certificate_type, "certificate": pem},
        step=step or 1,
        certificate_type=certificate_type,
        certificate=pem,
    )
    sent = frame.payload if isinstance(frame.payload, dict) else {}
    ctx.check(step, "InstallCertificateRequest", sent, "certificateType", certificate_type)
    ctx.check(step, "InstallCertificateRequest", sent, "certificate", same_certificate(pem))
    await station_answer(ctx, frame, "Accepted")
    return frame


def types_are(types: list[str] | None) -> Any:
    """certificateType "must be" the specified types (in any order); None: omitted."""
    if types is None:
        return satisfies(lambda v: v is ABSENT, "omitted")
    want = sorted(types)
    return satisfies(
        lambda v: isinstance(v, list) and sorted(v) == want, "[" + ", ".join(want) + "]"
    )


def includes_or_omitted(certificate_type: str) -> Any:
    return satisfies(
        lambda v: v is ABSENT or (isinstance(v, list) and certificate_type in v),
        f"containing {certificate_type}, or omitted",
    )


async def installed_certificate_ids(
    ctx: CaseRun,
    types: list[str] | None,
    *,
    step: int,
    store: TrustStore | None,
    algorithm: str = "SHA256",
    expected: str = "Accepted",
    instruction: str | None = None,
) -> tuple[FrameRecord, dict[str, Any]]:
    """Reusable State GetInstalledCertificates: the CSMS asks for the certificates of
    ``types`` (None: of every type); tool validation: certificateType must be them.

    ``store``: answer from the case's configured certificates, hashed with
    ``algorithm`` (the OCTT's truststore); None: the station answers itself.
    """
    request: dict[str, Any] = {"certificateType": list(types)} if types else {}
    what = ", ".join(types) if types else "all certificate types"
    restore = (
        ctx.station.answer_with("GetInstalledCertificateIds", store.answer(algorithm))
        if store is not None
        else None
    )
    try:
        frame = await csms_call(
            ctx,
            "get_installed_certificate_ids",
            instruction or f"Request the CSMS to retrieve the installed certificates ({what})",
            "GetInstalledCertificateIds",
            request,
            step=step,
            certificate_types=list(types) if types else None,
        )
        sent = frame.payload if isinstance(frame.payload, dict) else {}
        ctx.check(
            step, "GetInstalledCertificateIdsRequest", sent, "certificateType", types_are(types)
        )
        answer = await station_answer(ctx, frame, expected)
    finally:
        if restore is not None:
            restore()
    return frame, answer
