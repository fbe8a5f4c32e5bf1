"""Trusting a private CA (issue 9, item 7): a subscription's `tls.caFile` adds a PEM file of CA
certificates to what its pushes trust; verification itself is never turned off. Tested against
an https server on 127.0.0.1 whose certificate a CA made here (with `cryptography`) signed."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from loopback import virtual

from simulator.core.outcome import OutcomeKind
from simulator.errors import ConfigError, ScenarioError
from simulator.runfile.scenario import parse_run
from simulator.shell.transport import HttpTransport, trusting

VALID_FROM = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
VALID_TO = datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _certificate(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[str, ec.EllipticCurvePrivateKey]
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer[0])]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(VALID_FROM)
        .not_valid_after(VALID_TO)
    )


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A private CA (ca.pem) and a certificate for 127.0.0.1 it signed (server.pem, key.pem)."""
    folder = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        _certificate("sim test CA", ca_key, ("sim test CA", ca_key))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        _certificate("127.0.0.1", key, ("sim test CA", ca_key))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "server.pem", folder / "key.pem"
    paths[0].write_bytes(_pem(ca))
    paths[1].write_bytes(_pem(server))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


async def _ok(request: web.Request) -> web.Response:
    return web.Response(text="ok")


@contextlib.asynccontextmanager
async def https(certificate: Path, key: Path) -> AsyncIterator[str]:
    """An https consumer on 127.0.0.1 that answers every POST 200; yields its URL."""
    app = web.Application()
    app.router.add_post("/", _ok)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context).start()
    try:
        yield f"https://127.0.0.1:{runner.addresses[0][1]}/"
    finally:
        await runner.cleanup()


@virtual
async def test_a_pool_with_the_ca_file_trusts_the_private_ca(pki: tuple[Path, Path, Path]) -> None:
    """A push through a pool given `ca_file` verifies the private CA's certificate: 200."""
    ca, server, key = pki
    async with https(server, key) as url, HttpTransport() as transport:
        pool = transport.pool(limit=1, ca_file=str(ca))
        outcome = await pool.post(url, b"{}", {}, timeout=10.0)
    assert (outcome.kind, outcome.status) == (OutcomeKind.SUCCESS, 200)


@virtual
async def test_without_the_ca_file_the_private_ca_is_not_trusted(
    pki: tuple[Path, Path, Path],
) -> None:
    """Verification stays on: without `ca_file` the same push is a TLS connection error."""
    _, server, key = pki
    async with https(server, key) as url, HttpTransport() as transport:
        outcome = await transport.pool(limit=1).post(url, b"{}", {}, timeout=10.0)
    assert (outcome.kind, outcome.detail) == (
        OutcomeKind.CONNECTION_ERROR,
        "TLS error: ClientConnectorCertificateError",
    )


def test_a_file_that_is_not_pem_is_a_config_error(tmp_path: Path) -> None:
    """A caFile that holds no certificate is refused before anything is sent."""
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^tls.caFile .*ca.pem: not a PEM file of CA"):
        trusting(str(bad))


RUN = "munchkinId: 123-ABC-456\nsubscriptions:\n  - name: a\n"


def test_the_run_file_takes_tls_ca_file(pki: tuple[Path, Path, Path]) -> None:
    """`tls: {caFile: ...}` on an https subscription is read into its spec."""
    ca = pki[0]
    spec = parse_run(RUN + f"    endpoint: https://127.0.0.1:8443/\n    tls: {{caFile: {ca}}}\n")
    assert spec.subscriptions[0].tls.ca_file == str(ca)


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        pytest.param(
            "    endpoint: https://127.0.0.1:8443/\n    tls: {caFile: /no/such/ca.pem}\n",
            "<string>:5: subscriptions[0].tls.caFile: no such file: '/no/such/ca.pem'",
            id="missing-file",
        ),
        pytest.param(
            "    tls: {caFile: CA_FILE}\n",
            "<string>:4: subscriptions[0].tls.caFile: only applies to an https endpoint",
            id="embedded-endpoint",
        ),
    ],
)
def test_a_ca_file_that_cannot_apply_is_refused_at_its_line(
    tail: str, expected: str, pki: tuple[Path, Path, Path]
) -> None:
    """A missing file, or a caFile on an endpoint without TLS, is a located error."""
    with pytest.raises(ScenarioError) as caught:
        parse_run(RUN + tail.replace("CA_FILE", str(pki[0])))
    assert str(caught.value) == expected
