"""Adobe I/O Events delivery signatures: the keys that sign, and the checks a consumer makes.

What I/O Events does (reference §4.3):
- It signs the RAW request body twice, with two RSA key pairs: RSA PKCS#1 v1.5 over SHA-256
  ("rsa-sha256"), base64, in `x-adobe-digital-signature-1` and `x-adobe-digital-signature-2`.
- It sends the relative paths of the two public keys, `/prod/keys/pub-key-<random-uuid>.pem`, in
  `x-adobe-public-key1-path` and `x-adobe-public-key2-path`; the consumer downloads them from the
  key host and caches them for no more than 24 h. A delivery is valid if either signature verifies.
- The legacy `x-adobe-signature` is base64 HMAC-SHA256 of the raw body keyed with the client
  secret (deprecated in 2022, still named by the FAQ).

This module is pure apart from the crypto: no I/O, no asyncio, no clock. Serving the public keys
and fetching them are the callers' business.

Decisions where the docs are silent:
- A key loaded from a PEM file gets a key id derived from its public key (SHA-256 of the
  SubjectPublicKeyInfo DER, shaped as a version-4 UUID), so the same file always gives the same
  path and a consumer's key cache survives a restart of the simulator.
- `KeyRing.rotate()` returns the key now in slot 1; the retired key is no longer served by
  `public_keys()` (as if revoked), but stays available in `KeyRing.retired`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from simulator.errors import ConfigError

__all__ = [
    "HMAC_HEADER",
    "KEY_CACHE_SECONDS",
    "KEY_PATH_HEADERS",
    "SIGNATURE_HEADERS",
    "KeyRing",
    "SigningKey",
    "hmac_signature",
    "is_key_path",
    "key_path",
    "verify_signature",
]

SIGNATURE_HEADERS = ("x-adobe-digital-signature-1", "x-adobe-digital-signature-2")
KEY_PATH_HEADERS = ("x-adobe-public-key1-path", "x-adobe-public-key2-path")
HMAC_HEADER = "x-adobe-signature"
KEY_CACHE_SECONDS = 24 * 3600.0  # "cache expiry of not more than 24h"

_KEY_PATH_PREFIX = "/prod/keys/pub-key-"
# What a consumer accepts as a relative key path: the documented shape, with any id of letters,
# digits and dashes (the real AEM capture shows `/prod/keys/pub-key-Ptc2pD9vT9.pem`, not a uuid).
_KEY_PATH = re.compile(r"/prod/keys/pub-key-[A-Za-z0-9-]{1,64}\.pem")


def key_path(key_id: str) -> str:
    """The relative path a public key is served at: `/prod/keys/pub-key-<key_id>.pem`."""
    return f"{_KEY_PATH_PREFIX}{key_id}.pem"


def is_key_path(path: str) -> bool:
    """Whether `path` has the documented key-path shape (so it is safe to append to a URL)."""
    return _KEY_PATH.fullmatch(path) is not None


def _check_key_id(key_id: str) -> None:
    try:
        canonical = str(uuid.UUID(key_id))
    except (ValueError, TypeError, AttributeError):
        canonical = None
    if canonical != key_id:
        raise ConfigError(f"key_id {key_id!r}: expected a lowercase uuid string")


def _derived_key_id(public_key: rsa.RSAPublicKey) -> str:
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return str(uuid.UUID(bytes=hashlib.sha256(der).digest()[:16], version=4))


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One I/O Events key pair: signs bodies, and names the path its public half is served at."""

    key_id: str
    private_key: rsa.RSAPrivateKey = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_key_id(self.key_id)
        if not isinstance(self.private_key, rsa.RSAPrivateKey):
            raise ConfigError(f"key {self.key_id}: not an RSA private key")

    @property
    def path(self) -> str:
        """`/prod/keys/pub-key-<key_id>.pem`, the value of `x-adobe-public-key<N>-path`."""
        return key_path(self.key_id)

    @property
    def public_pem(self) -> bytes:
        """The public key as SubjectPublicKeyInfo PEM, what the key host serves at `path`."""
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @classmethod
    def generate(cls, *, bits: int = 2048) -> SigningKey:
        """A fresh RSA key (65537) with a random uuid4 id; 2048 bits costs ~50-100 ms."""
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        return cls(str(uuid.uuid4()), private_key)

    @classmethod
    def load(cls, private_pem: str | os.PathLike[str]) -> SigningKey:
        """An unencrypted RSA private key from a PEM file (PKCS#8 or traditional "RSA PRIVATE
        KEY"); its id is derived from the public key. Any problem is a ConfigError naming the file.
        """
        path = Path(private_pem)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the private key: {exc.strerror}") from None
        try:
            private_key = serialization.load_pem_private_key(data, password=None)
        except TypeError:
            raise ConfigError(f"{path}: the private key is encrypted (no password given)") from None
        except (ValueError, UnsupportedAlgorithm):
            raise ConfigError(f"{path}: not a PEM private key") from None
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise ConfigError(f"{path}: not an RSA private key")
        return cls(_derived_key_id(private_key.public_key()), private_key)

    def sign(self, body: bytes) -> str:
        """base64 of the RSA PKCS#1 v1.5 SHA-256 signature over the raw bytes of `body`."""
        signature = self.private_key.sign(body, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode("ascii")


class KeyRing:
    """The two key slots I/O Events signs with. Rotation: `rotate(new)` puts the new key in slot 1
    and moves the old slot-1 key to slot 2 (the previous slot-2 key is retired), so a consumer that
    still caches the old key keeps verifying through the second signature."""

    __slots__ = ("_first", "_retired", "_second")

    def __init__(self, first: SigningKey, second: SigningKey) -> None:
        if first.key_id == second.key_id:
            raise ConfigError(f"key ring: both slots hold key {first.key_id}")
        self._first = first
        self._second = second
        self._retired: list[SigningKey] = []

    def __repr__(self) -> str:
        return f"KeyRing(first={self._first.key_id}, second={self._second.key_id})"

    @classmethod
    def generate(cls) -> KeyRing:
        """Two fresh RSA-2048 keys (~0.1-0.2 s: make one ring per run, not per delivery)."""
        return cls(SigningKey.generate(), SigningKey.generate())

    @property
    def first(self) -> SigningKey:
        return self._first

    @property
    def second(self) -> SigningKey:
        return self._second

    @property
    def retired(self) -> tuple[SigningKey, ...]:
        """Keys rotated out of both slots, oldest first."""
        return tuple(self._retired)

    def headers(self, body: bytes) -> dict[str, str]:
        """The four signature headers for one delivery of the raw `body`."""
        sig1, sig2 = SIGNATURE_HEADERS
        path1, path2 = KEY_PATH_HEADERS
        return {
            sig1: self._first.sign(body),
            sig2: self._second.sign(body),
            path1: self._first.path,
            path2: self._second.path,
        }

    def rotate(self, new: SigningKey | None = None) -> SigningKey:
        """Put `new` (or a freshly generated key) in slot 1, the slot-1 key in slot 2, and retire
        the slot-2 key; returns the key now in slot 1."""
        new = new if new is not None else SigningKey.generate()
        if new.key_id in (self._first.key_id, self._second.key_id):
            raise ConfigError(f"key ring: key {new.key_id} is already in a slot")
        self._retired.append(self._second)
        self._second = self._first
        self._first = new
        return new

    def public_keys(self) -> dict[str, bytes]:
        """path -> PEM of the keys in the two slots, i.e. what a key host serves. Retired keys are
        left out on purpose: nothing is signed with them any more, and a consumer that asks for
        one gets a 404, as if the key were revoked."""
        return {key.path: key.public_pem for key in (self._first, self._second)}


def hmac_signature(body: bytes, client_secret: str) -> str:
    """The legacy `x-adobe-signature`: base64 HMAC-SHA256 of the raw body, keyed by the secret."""
    digest = hmac.new(client_secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_signature(body: bytes, signature_b64: str, public_pem: bytes) -> bool:
    """Whether `signature_b64` is a valid RSA-SHA256 (PKCS#1 v1.5) signature of the raw `body`
    under the RSA public key in `public_pem`; False on any bad input, never raises."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        public_key = serialization.load_pem_public_key(public_pem)
        if not isinstance(public_key, rsa.RSAPublicKey):
            return False
        public_key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError, binascii.Error):
        return False
    return True
