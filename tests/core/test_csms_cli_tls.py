"""The built-in CSMS's TLS from the command line: TLS 1.2 or above and the four cipher
suites of A00.FR.318/421 when given an ECDSA and an RSA certificate."""

from __future__ import annotations

import argparse

import pytest

from bench.conformance.connection_probe import CIPHER_SUITES, handshake, suite_context
from bench.csms.cli import _add_arguments, config_from_args
from bench.csms.config import ConfigError
from bench.csms.server import CentralSystem
from tests.conformance.secure_csms import make_material


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    _add_arguments(parser)
    return parser.parse_args(["--port", "0", *argv])


async def test_an_ecdsa_and_an_rsa_certificate_offer_all_four_required_suites(tmp_path) -> None:
    material = make_material(tmp_path)
    args = _args(
        "--cert",
        str(material.ec_server.cert_file),
        "--key",
        str(material.ec_server.key_file),
        "--cert",
        str(material.rsa_server.cert_file),
        "--key",
        str(material.rsa_server.key_file),
    )
    async with CentralSystem(config_from_args(args)) as csms:
        for iana, openssl in CIPHER_SUITES.items():
            context = suite_context(str(material.ca.cert_file), openssl, None, None)
            outcome = await handshake(csms.url, context, timeout=5.0)
            assert outcome.ok and outcome.cipher == openssl, (iana, outcome.error)


def test_a_certificate_without_its_key_is_a_clear_error(tmp_path) -> None:
    material = make_material(tmp_path)
    args = _args(
        "--cert",
        str(material.ec_server.cert_file),
        "--key",
        str(material.ec_server.key_file),
        "--cert",
        str(material.rsa_server.cert_file),
    )
    with pytest.raises(ConfigError, match="one --key per --cert"):
        config_from_args(args)
