"""2.0.1 block B, migrating to a new CSMS with a new CSMS root (B10 + M05; part 6 §2.2).

The station gets <Configured (new) CSMS Root certificate 2> (memory state
CertificateInstalled), then a network profile for the OCTT's alternative internal
endpoint: here a second TLS endpoint of the bench, on another port
(``states_csms_roots.second_csms``), whose server certificate comes from root 2
(TC_B_50_CS: the migration succeeds) or from the old root (TC_B_47_CS: with
AdditionalRootCertificateCheck the station validates the new CSMS with root 2 only,
M05.FR.15, fails, and back on its previous profile uses the old root as the
fallback, M05.FR.16).
"""

from __future__ import annotations

from bench.conformance.charger import states201 as v201
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.scenarios.v201_b_network import (
    COMM,
    booted_again,
    check_path,
    migrate,
)
from bench.conformance.charger.states_csms_roots import (
    SecondCsms,
    cross_signed_root,
    has_run_ca_key,
    needs_tls,
    new_csms_root,
    second_csms,
)
from bench.conformance.charger.states_provisioning import get_one
from bench.conformance.charger.states_security import (
    CSMS_ROOT,
    certificate_installed,
    check_entry,
    get_installed,
    pki,
)
from bench.conformance.evidence import Inconclusive

GIC = "GetInstalledCertificateIdsResponse"


async def _on_tls(ctx: ChargerRun) -> None:
    """Prerequisite: the station is connected with security profile 2 or 3."""
    needs_tls(ctx)
    profile = await get_one(ctx, "SecurityCtrlr", "SecurityProfile", step=None)
    value = str(profile.get("attributeValue") or "")
    if value not in ("2", "3"):
        ctx.not_applicable(
            f"the station is on security profile {value or '?'}; the case needs 2 or 3"
        )


async def _first_connection(ctx: ChargerRun, second: SecondCsms, since: int, what: str) -> str:
    """Which endpoint the station connects to first from ``since`` (main event index) on:
    "second" or "main"; Inconclusive when it reaches neither."""
    main = ctx.endpoint
    done = await main.wait_for(
        lambda: second.connections() > 0 or any(e.kind == "connected" for e in main.events[since:]),
        ctx.settings.timeout * 2,
    )
    if not done:
        raise Inconclusive(f"{what} did not happen within {ctx.settings.timeout * 2:g} s")
    return "second" if second.connections() > 0 else "main"


@scenario("TC_B_50_CS")
async def migrate_with_new_root(ctx: ChargerRun) -> None:
    """M05.FR.13: the new CSMS's certificate is from root 2 and the station accepts it."""
    await _on_tls(ctx)
    root2 = new_csms_root(ctx)
    await certificate_installed(ctx, CSMS_ROOT, cert=root2)  # memory state
    async with second_csms(ctx, root2) as second:
        since_frame = ctx.mark()
        since = await migrate(ctx, second.url, reset_always=True)  # steps 1-6
        # Steps 7-8: the station connects to the new CSMS, validating it with root 2.
        reached = await _first_connection(ctx, second, since, "the station's connection")
        ctx.check_that(
            7, "(connection)", "endpoint", reached == "second",
            f"the new profile's ocppCsmsUrl {second.url} (a certificate from root 2)",
            "the previous profile's endpoint" if reached == "main" else second.url,
        )  # fmt: skip
        if reached != "second":
            return
        ctx.endpoint = second.endpoint
        await booted_again(ctx, since_frame=since_frame, step=7)  # step 9


@scenario("TC_B_47_CS")
async def migrate_with_new_root_falls_back(ctx: ChargerRun) -> None:
    """B10.FR.07, M05.FR.15/16: the new CSMS shows a certificate from the old root; the
    station rejects it with root 2 alone, goes back to its previous profile and there
    validates the old CSMS with the old (fallback) root, which stays installed."""
    ctx.needs_feature("AS-2")
    await _on_tls(ctx)
    if not has_run_ca_key(ctx):
        ctx.not_applicable(
            "root 2 must be signed by the old CSMS root: the bench needs the key of the run's "
            "CA (ca_key_file)"
        )
    await v201.configure(ctx, {f"{COMM}/NetworkProfileConnectionAttempts": "1"})
    old = pki(ctx).csms_root
    await certificate_installed(ctx, CSMS_ROOT, cert=cross_signed_root(old))  # memory state
    original = ctx.endpoint.url
    async with second_csms(ctx, old) as second:
        since_frame = ctx.mark()
        since = await migrate(ctx, second.url, reset_always=True)  # steps 1-6
        reached = await _first_connection(
            ctx, second, since, "the station's connection with the previous profile"
        )
    # Steps 7-8: a handshake with the new CSMS, refused by the station (root 2 only).
    ctx.check_that(
        8, "TLS handshake", "(new CSMS)", bool(second.handshakes) and reached == "main",
        "a handshake the station refused (its new root does not sign the certificate)",
        f"{len(second.handshakes)} handshake(s), "
        + ("connected to the new CSMS" if reached == "second" else "no connection there"),
    )  # fmt: skip
    if reached != "main":
        return
    # Step 9: back on the previous profile, the old CSMS is validated with the fallback.
    connected = next(e for e in ctx.endpoint.events[since:] if e.kind == "connected")
    check_path(ctx, 9, connected, original, "the previous profile's ocppCsmsUrl")
    await booted_again(ctx, since_frame=since_frame, step=8)  # step 10
    reply = await get_installed(ctx, CSMS_ROOT, step=11)
    ctx.check(12, GIC, reply, "status", "Accepted")
    check_entry(ctx, 12, reply, CSMS_ROOT, old.cert)
