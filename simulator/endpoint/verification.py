"""What the dev endpoint checks as an Adobe I/O Events consumer (reference §4.3, §4.4).

A consumer proves it owns its webhook and checks that deliveries come from Adobe. This module
holds the consumer's side of both, apart from the routes that call it:
- the GET challenge, answered as `text/plain` ("text"), as JSON `{"challenge": ...}` ("json"),
  or ignored ("refuse": 200 "ok", like Adobe's sample consumer, which sends I/O Events into
  asynchronous validation);
- the asynchronous validation: a posted `validationUrl` is fetched with a GET `delay` seconds
  after the answer was written, like a human clicking it (`Verifier.confirm_later`);
- signatures: the digital signatures (public keys fetched from `key_base_url` + the header's
  relative path, cached per path for 24 h of receiver time) and the HMAC `x-adobe-signature`
  keyed with the client secret (`Verifier.verdict`: "ok", "BAD" or "-" for nothing checked).

Only http(s) URLs on a loopback host are ever fetched, never following redirects, and a key
body is read to at most `MAX_KEY_BYTES`. Time is receiver time (`now()`), so a looptime loop
plays the key cache and the confirmation delay in virtual time.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import math
from collections.abc import Callable, Mapping

import aiohttp
import orjson
from yarl import URL

from simulator.core.behaviour import ChallengeStyle
from simulator.endpoint.received import Stats
from simulator.errors import ConfigError
from simulator.payloads.signing import (
    HMAC_HEADER,
    KEY_CACHE_SECONDS,
    KEY_PATH_HEADERS,
    SIGNATURE_HEADERS,
    hmac_signature,
    is_key_path,
    verify_signature,
)
from simulator.shell.transit import transit
from simulator.shell.transport import read_bounded

__all__ = [
    "KEYS_CACHED",
    "KEY_FETCH_TIMEOUT",
    "MAX_KEY_BYTES",
    "VALIDATION_TIMEOUT",
    "Verifier",
    "answer_challenge",
    "check_io_options",
    "loopback_url_problem",
]

KEY_FETCH_TIMEOUT = 5.0  # seconds for one public-key GET (I/O Events gives a delivery 10 s)
VALIDATION_TIMEOUT = 10.0  # seconds for the GET on a validationUrl
MAX_KEY_BYTES = 16 * 1024  # an RSA-4096 SubjectPublicKeyInfo PEM is ~800 bytes
# Public keys cached at once: the producer signs with two and rotates them now and then, so a few
# dozen paths are plenty; the oldest is dropped past this, as the paths come from the requests.
KEYS_CACHED = 64


def answer_challenge(style: ChallengeStyle, challenge: str) -> tuple[str, str | None, str]:
    """(body, content type or None for text/plain, note for the log) answering a GET
    `challenge` in `style`."""
    if style == "json":
        body = orjson.dumps({"challenge": challenge}).decode()
        return body, "application/json", "challenge echoed as JSON"
    if style == "refuse":
        return "ok", None, "challenge ignored"
    return challenge, None, "challenge echoed"


def check_io_options(
    *,
    confirm_delay: float,
    verify_signatures: bool,
    key_base_url: str | None,
    reject_bad_signatures: bool,
    client_secret: str | None,
) -> None:
    """ConfigError unless the Receiver's I/O Events options fit together."""
    if not (confirm_delay >= 0.0 and math.isfinite(confirm_delay)):
        raise ConfigError(f"confirm_delay: {confirm_delay} is not a finite number >= 0")
    if verify_signatures and not key_base_url:
        raise ConfigError("verify_signatures needs key_base_url (where the public keys are)")
    if key_base_url:
        problem = loopback_url_problem(key_base_url)
        if problem:
            raise ConfigError(f"key_base_url {key_base_url!r}: {problem}")
    if client_secret is not None and not client_secret:
        raise ConfigError("client_secret: must not be empty")
    if reject_bad_signatures and not (verify_signatures or client_secret):
        raise ConfigError("reject_bad_signatures needs verify_signatures or client_secret")


def loopback_url_problem(url: str) -> str:
    """Why the receiver will not fetch `url` (it only talks to http(s) on a loopback host),
    or "" when it will."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return "not a URL"
    if parsed.scheme not in ("http", "https"):
        return "not an http(s) URL"
    host = parsed.host or ""
    if host == "localhost":
        return ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    return "" if loopback else "not a loopback host"


class Verifier:
    """The consumer's signature checks and validation GETs, with the HTTP client, key cache and
    background tasks they need. `key_base_url` and `client_secret` are checked by
    `check_io_options` first; `stats` gets the counters, `say(at, text)` logs a line and `now()`
    is receiver time. `close()` cancels pending validation GETs and closes the client."""

    def __init__(
        self,
        *,
        key_base_url: str | None,
        client_secret: str | None,
        stats: Stats,
        say: Callable[[float, str], None],
        now: Callable[[], float],
    ) -> None:
        self._key_base_url = (key_base_url or "").rstrip("/")
        self._client_secret = client_secret
        self._stats = stats
        self._say = say
        self._now = now
        self._keys: dict[str, tuple[bytes, float]] = {}  # key path -> (PEM, receiver time fetched)
        self._key_lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def settle(self) -> None:
        """Wait until every validation GET started so far is done (or has failed)."""
        while pending := [task for task in self._tasks if not task.done()]:
            await asyncio.gather(*pending, return_exceptions=True)

    async def close(self) -> None:
        """Cancel pending validation GETs and close the HTTP client."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        """The receiver's own HTTP client (public keys, validation URLs), made on first use."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    # --- signatures ------------------------------------------------------------------------------

    async def verdict(self, headers: Mapping[str, str], body: bytes, *, digital: bool) -> str:
        """ "ok", "BAD" or "-" (nothing to check) for an I/O delivery, counting the results;
        `digital` checks the digital signatures, a client secret the HMAC."""
        results = []
        if digital:
            valid = await self._digital_signature_ok(headers, body)
            if valid:
                self._stats.signatures_valid += 1
            else:
                self._stats.signatures_invalid += 1
            results.append(valid)
        if self._client_secret is not None:
            expected = hmac_signature(body, self._client_secret)
            given = headers.get(HMAC_HEADER, "")
            valid = hmac.compare_digest(expected.encode(), given.encode())
            if valid:
                self._stats.hmac_valid += 1
            else:
                self._stats.hmac_invalid += 1
            results.append(valid)
        if not results:
            return "-"
        return "ok" if all(results) else "BAD"

    async def _digital_signature_ok(self, headers: Mapping[str, str], body: bytes) -> bool:
        """Whether either `x-adobe-digital-signature-N` verifies over the raw body with the key
        at `x-adobe-publicN-path` (keys are fetched only as far as needed)."""
        for signature_header, path_header in zip(SIGNATURE_HEADERS, KEY_PATH_HEADERS, strict=True):
            signature = headers.get(signature_header)
            path = headers.get(path_header)
            if not signature or not path:
                continue
            pem = await self._public_key(path)
            if pem is not None and verify_signature(body, signature, pem):
                return True
        return False

    async def _public_key(self, path: str) -> bytes | None:
        """The PEM at `key_base_url` + `path`, fetched once and cached for 24 h of receiver
        time; None if the path is malformed or the key cannot be fetched (not cached)."""
        if not is_key_path(path):
            return None
        async with self._key_lock:
            cached = self._keys.get(path)
            if cached is not None and self._now() - cached[1] < KEY_CACHE_SECONDS:
                return cached[0]
            pem = await self._fetch_key(path)
            if pem is not None:
                self._keys.pop(path, None)  # re-inserted last: the dict is oldest first
                if len(self._keys) >= KEYS_CACHED:
                    del self._keys[next(iter(self._keys))]
                self._keys[path] = (pem, self._now())
            return pem

    async def _fetch_key(self, path: str) -> bytes | None:
        self._stats.key_fetches += 1
        timeout = aiohttp.ClientTimeout(total=KEY_FETCH_TIMEOUT)
        try:
            with transit().carrying():
                async with self._client().get(
                    self._key_base_url + path, allow_redirects=False, timeout=timeout
                ) as response:
                    status: int | str = response.status
                    pem = await read_bounded(response, MAX_KEY_BYTES + 1) if status == 200 else None
            if pem is not None and len(pem) > MAX_KEY_BYTES:
                status, pem = f"over {MAX_KEY_BYTES} bytes", None
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            status, pem = type(exc).__name__, None
        if pem is None:
            self._stats.key_fetch_failures += 1
        self._say(self._now(), f"KEY GET {path} {status}")
        return pem

    # --- validation ------------------------------------------------------------------------------

    def confirm_later(self, url: str, delay: float) -> None:
        """GET `url` in the background after `delay` seconds (call it once the answer to the
        validationUrl POST is written)."""
        task = asyncio.get_running_loop().create_task(self._confirm(url, delay))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _confirm(self, url: str, delay: float) -> None:
        await asyncio.sleep(delay)
        problem = loopback_url_problem(url)
        if problem:
            self._stats.validation_errors += 1
            self._say(self._now(), f"VALIDATE not confirmed ({problem})")
            return
        timeout = aiohttp.ClientTimeout(total=VALIDATION_TIMEOUT)
        try:
            with transit().carrying():
                async with self._client().get(
                    url, allow_redirects=False, timeout=timeout
                ) as response:
                    status: int | str = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            status = type(exc).__name__
        if isinstance(status, int) and 200 <= status < 300:
            self._stats.validations_confirmed += 1
        else:
            self._stats.validation_errors += 1
        self._say(self._now(), f"VALIDATE GET {status}")
