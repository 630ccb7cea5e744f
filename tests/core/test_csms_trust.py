"""Which CSMS roots a 2.0.1 station trusts (``bench.ocpp.v201.csms_trust``, M05)."""

from __future__ import annotations

from bench.ocpp.v201.csms_trust import CA_FILE, OCPP, Trust, current_roots, fallback_roots


def root(pem: str, origin: str | None, *, fallback: bool = False) -> dict[str, object]:
    entry: dict[str, object] = {"type": "CSMSRootCertificate", "pem": pem, "fallback": fallback}
    if origin is not None:
        entry["origin"] = origin
    return entry


def test_the_ca_file_is_trusted_with_the_roots_installed_over_ocpp_not_its_own_copy() -> None:
    entries = [root("A", CA_FILE), root("B", OCPP), root("C", None)]
    trust = current_roots(entries, ca_file_given=True, additional_check=False)
    # The CA file given now wins over the store's copy of an earlier one (issue 11);
    # a root stored before origins were kept counts as that copy.
    assert trust == Trust(ca_file=True, roots_pem="B")


def test_without_a_ca_file_every_current_root_of_the_store_is_trusted() -> None:
    entries = [root("A", CA_FILE), root("B", OCPP), root("F", OCPP, fallback=True)]
    assert current_roots(entries, ca_file_given=False, additional_check=True) == Trust(False, "AB")


def test_with_the_check_a_root_that_replaced_the_ca_files_is_the_only_anchor() -> None:
    """M05.FR.10/12: the CA file's root is now the fallback, not trusted at first."""
    entries = [root("A", CA_FILE, fallback=True), root("B", OCPP)]
    assert current_roots(entries, ca_file_given=True, additional_check=True) == Trust(False, "B")
    assert fallback_roots(entries) == Trust(False, "A")


def test_with_the_check_but_the_ca_files_root_still_current_the_ca_file_stays_trusted() -> None:
    entries = [root("A", CA_FILE), root("B", OCPP)]
    assert current_roots(entries, ca_file_given=True, additional_check=True) == Trust(True, "B")
    assert fallback_roots(entries) is None
