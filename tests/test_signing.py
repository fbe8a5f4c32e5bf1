"""I/O Events signing keys, checked against the documented algorithm written out in the tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from simulator.errors import ConfigError
from simulator.payloads.signing import (
    KeyRing,
    SigningKey,
    hmac_signature,
    is_key_path,
    verify_signature,
)

BODY = b'[{"eventid":"ec2c6092-1e94-45e9-b2dd-0b6bad0baa6f","specversion":"1.0"}]'
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def keys() -> tuple[SigningKey, ...]:
    """Three keys, generated once for the module: the first RSA-2048 like I/O Events' own, the
    others RSA-1024, which the algorithm treats alike and which generate and load much faster."""
    return (SigningKey.generate(), SigningKey.generate(bits=1024), SigningKey.generate(bits=1024))


def documented_check(body: bytes, signature_b64: str, public_pem: bytes) -> bool:
    """The verification steps of the I/O Events docs: PEM public key, rsa-sha256, raw body."""
    public_key = serialization.load_pem_public_key(public_pem)
    assert isinstance(public_key, rsa.RSAPublicKey)
    try:
        public_key.verify(
            base64.b64decode(signature_b64), body, padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature:
        return False
    return True


def tampered(body: bytes) -> bytes:
    """`body` with its first byte changed."""
    return bytes([body[0] ^ 0x01]) + body[1:]


# --- SigningKey ----------------------------------------------------------------------------------


def test_signature_verifies_with_the_documented_check(keys: tuple[SigningKey, ...]) -> None:
    """A signature from `sign` verifies by the documented rsa-sha256 check over the raw body."""
    assert documented_check(BODY, keys[0].sign(BODY), keys[0].public_pem)


def test_signature_fails_after_one_byte_changes(keys: tuple[SigningKey, ...]) -> None:
    """The same signature fails the documented check once one byte of the body changes."""
    assert not documented_check(tampered(BODY), keys[0].sign(BODY), keys[0].public_pem)


def test_signature_is_base64_of_256_bytes(keys: tuple[SigningKey, ...]) -> None:
    """An RSA-2048 signature is 256 bytes, 344 base64 characters, as in the real capture."""
    signature = keys[0].sign(BODY)
    assert (len(signature), len(base64.b64decode(signature))) == (344, 256)


def test_path_names_the_key_id(keys: tuple[SigningKey, ...]) -> None:
    """A generated key has a uuid4 id and the documented relative path."""
    key = keys[0]
    assert UUID4.fullmatch(key.key_id)
    assert key.path == f"/prod/keys/pub-key-{key.key_id}.pem"


def test_public_pem_is_subject_public_key_info(keys: tuple[SigningKey, ...]) -> None:
    """public_pem is a `BEGIN PUBLIC KEY` (SubjectPublicKeyInfo) PEM."""
    assert keys[0].public_pem.startswith(b"-----BEGIN PUBLIC KEY-----\n")


def test_repr_hides_the_private_key(keys: tuple[SigningKey, ...]) -> None:
    """repr shows the key id only."""
    assert repr(keys[0]) == f"SigningKey(key_id='{keys[0].key_id}')"


def test_key_id_must_be_a_uuid(keys: tuple[SigningKey, ...]) -> None:
    """A key id that is not a uuid string (it goes into a URL path) is a ConfigError."""
    with pytest.raises(ConfigError, match="expected a lowercase uuid"):
        SigningKey("../../etc/passwd", keys[0].private_key)


# --- loading -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "private_format",
    [
        pytest.param(serialization.PrivateFormat.PKCS8, id="pkcs8"),
        pytest.param(serialization.PrivateFormat.TraditionalOpenSSL, id="traditional"),
    ],
)
def test_load_from_pem_file(
    tmp_path: Path, keys: tuple[SigningKey, ...], private_format: serialization.PrivateFormat
) -> None:
    """A key loaded from a PEM file signs like the original and gets a stable uuid4 id."""
    pem = keys[1].private_key.private_bytes(
        serialization.Encoding.PEM, private_format, serialization.NoEncryption()
    )
    (tmp_path / "key.pem").write_bytes(pem)
    loaded = SigningKey.load(tmp_path / "key.pem")
    assert loaded.public_pem == keys[1].public_pem
    assert documented_check(BODY, loaded.sign(BODY), keys[1].public_pem)
    assert UUID4.fullmatch(loaded.key_id)
    assert SigningKey.load(str(tmp_path / "key.pem")).key_id == loaded.key_id


def test_load_bad_pem_names_the_file(tmp_path: Path) -> None:
    """A file that is not a PEM private key is a ConfigError naming the file."""
    path = tmp_path / "broken.pem"
    path.write_text("-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ConfigError, match=re.escape(f"{path}: not a PEM private key")):
        SigningKey.load(path)


def test_load_missing_file_names_it(tmp_path: Path) -> None:
    """A missing key file is a ConfigError naming the file."""
    path = tmp_path / "absent.pem"
    with pytest.raises(ConfigError, match=re.escape(f"{path}: cannot read the private key")):
        SigningKey.load(path)


def test_load_encrypted_pem_is_refused(tmp_path: Path, keys: tuple[SigningKey, ...]) -> None:
    """A password-protected key is a ConfigError naming the file."""
    pem = keys[1].private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    path = tmp_path / "locked.pem"
    path.write_bytes(pem)
    with pytest.raises(ConfigError, match=re.escape(f"{path}: the private key is encrypted")):
        SigningKey.load(path)


def test_load_non_rsa_key_is_refused(tmp_path: Path) -> None:
    """An EC private key is a ConfigError naming the file: I/O Events signs with RSA."""
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = tmp_path / "ec.pem"
    path.write_bytes(pem)
    with pytest.raises(ConfigError, match=re.escape(f"{path}: not an RSA private key")):
        SigningKey.load(path)


# --- KeyRing -------------------------------------------------------------------------------------


def test_ring_headers_carry_both_signatures_and_paths(keys: tuple[SigningKey, ...]) -> None:
    """headers() gives a signature and a key path per slot, each signature by its slot's key."""
    headers = KeyRing(keys[0], keys[1]).headers(BODY)
    assert headers == {
        "x-adobe-digital-signature-1": keys[0].sign(BODY),
        "x-adobe-digital-signature-2": keys[1].sign(BODY),
        "x-adobe-public-key1-path": keys[0].path,
        "x-adobe-public-key2-path": keys[1].path,
    }
    assert documented_check(BODY, headers["x-adobe-digital-signature-2"], keys[1].public_pem)


def test_rotation_keeps_the_old_key_verifying_through_slot_2(
    keys: tuple[SigningKey, ...],
) -> None:
    """After rotate(new), the old slot-1 key signs slot 2, so its cached PEM still verifies."""
    ring = KeyRing(keys[0], keys[1])
    assert ring.rotate(keys[2]) is keys[2]
    headers = ring.headers(BODY)
    assert headers["x-adobe-public-key2-path"] == keys[0].path
    assert documented_check(BODY, headers["x-adobe-digital-signature-2"], keys[0].public_pem)
    assert (ring.first, ring.second, ring.retired) == (keys[2], keys[0], (keys[1],))


def test_rotation_retires_the_old_slot_2_key(keys: tuple[SigningKey, ...]) -> None:
    """The key that was in slot 2 signs nothing after rotation and is no longer served."""
    ring = KeyRing(keys[0], keys[1])
    ring.rotate(keys[2])
    headers = ring.headers(BODY)
    assert keys[1].path not in headers.values()
    assert ring.public_keys() == {
        keys[2].path: keys[2].public_pem,
        keys[0].path: keys[0].public_pem,
    }


def test_rotation_generates_a_key_when_none_given(keys: tuple[SigningKey, ...]) -> None:
    """rotate() without a key puts a freshly generated one in slot 1 and returns it."""
    ring = KeyRing(keys[0], keys[1])
    new = ring.rotate()
    assert (ring.first, ring.second) == (new, keys[0])
    assert new.key_id not in (keys[0].key_id, keys[1].key_id)


def test_rotation_refuses_a_key_already_in_a_slot(keys: tuple[SigningKey, ...]) -> None:
    """Rotating in a key that is already in a slot is a ConfigError and changes nothing."""
    ring = KeyRing(keys[0], keys[1])
    with pytest.raises(ConfigError, match="already in a slot"):
        ring.rotate(keys[1])
    assert (ring.first, ring.second, ring.retired) == (keys[0], keys[1], ())


def test_ring_refuses_the_same_key_twice(keys: tuple[SigningKey, ...]) -> None:
    """A ring needs two different keys."""
    with pytest.raises(ConfigError, match="both slots"):
        KeyRing(keys[0], keys[0])


def test_public_keys_serve_both_slots(keys: tuple[SigningKey, ...]) -> None:
    """public_keys() maps each slot's path to its PEM."""
    ring = KeyRing(keys[0], keys[1])
    assert ring.public_keys() == {
        keys[0].path: keys[0].public_pem,
        keys[1].path: keys[1].public_pem,
    }


# --- verify_signature ----------------------------------------------------------------------------


def test_verify_signature_accepts_a_good_signature(keys: tuple[SigningKey, ...]) -> None:
    """verify_signature is True for the body the key signed."""
    assert verify_signature(BODY, keys[0].sign(BODY), keys[0].public_pem) is True


@pytest.mark.parametrize(
    ("body", "signature", "pem"),
    [
        pytest.param(tampered(BODY), "good", "own", id="tampered-body"),
        pytest.param(BODY, "good", "other", id="other-key"),
        pytest.param(BODY, "not base64!", "own", id="not-base64"),
        pytest.param(BODY, "", "own", id="empty-signature"),
        pytest.param(BODY, "good", "garbage", id="garbage-pem"),
        pytest.param(BODY, "good", "ec", id="ec-key"),
    ],
)
def test_verify_signature_is_false_on_bad_input(
    keys: tuple[SigningKey, ...], body: bytes, signature: str, pem: str
) -> None:
    """verify_signature is False, never an exception, for a wrong body, key or signature."""
    pems = {
        "own": keys[0].public_pem,
        "other": keys[1].public_pem,
        "garbage": b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        "ec": ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
    }
    value = keys[0].sign(BODY) if signature == "good" else signature
    assert verify_signature(body, value, pems[pem]) is False


# --- HMAC and key paths --------------------------------------------------------------------------


def test_hmac_signature_matches_hmac_sha256_base64() -> None:
    """hmac_signature is base64 of HMAC-SHA256 of the raw body keyed by the client secret."""
    expected = base64.b64encode(hmac.new(b"cs-secret", BODY, hashlib.sha256).digest()).decode()
    assert hmac_signature(BODY, "cs-secret") == expected


@pytest.mark.parametrize(
    ("path", "ok"),
    [
        pytest.param(
            "/prod/keys/pub-key-ec2c6092-1e94-45e9-b2dd-0b6bad0baa6f.pem", True, id="uuid"
        ),
        pytest.param("/prod/keys/pub-key-Ptc2pD9vT9.pem", True, id="aem-capture"),
        pytest.param("/prod/keys/pub-key-../../x.pem", False, id="dot-dot"),
        pytest.param("https://evil.example/prod/keys/pub-key-a.pem", False, id="absolute"),
        pytest.param("/prod/keys/pub-key-a.pem?x=1", False, id="query"),
    ],
)
def test_is_key_path(path: str, ok: bool) -> None:
    """Only the documented relative key-path shape is accepted."""
    assert is_key_path(path) is ok
