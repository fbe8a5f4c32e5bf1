"""How a push proves itself to the consumer: nothing, a static API token, or an OAuth
client-credentials token from the customer's identity provider (legacy contract, §1a).

The OAuth token is cached until `refresh_margin` seconds before it expires, fetched again after
the consumer answers 401, and identity-provider hiccups (connection errors, 429, 5xx) are retried
with tenacity on the loop's clock, so they cost no real time on the virtual clock.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

import aiohttp
import orjson
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from simulator.errors import AuthError
from simulator.shell.transport import HttpTransport, describe

# When the identity provider omits `expires_in`, assume the common one-hour lifetime.
DEFAULT_TOKEN_LIFETIME = 3600.0


class Auth(Protocol):
    async def headers(self) -> dict[str, str]: ...

    def unauthorized(self) -> None:
        """The consumer answered 401: forget any cached credential."""


class NoAuth:
    async def headers(self) -> dict[str, str]:
        return {}

    def unauthorized(self) -> None:
        return None


@dataclass(frozen=True, slots=True, repr=False)
class StaticToken:
    token: str
    header: str = "Authorization"
    scheme: str = "Bearer"

    async def headers(self) -> dict[str, str]:
        return {self.header: f"{self.scheme} {self.token}" if self.scheme else self.token}

    def unauthorized(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"StaticToken(header={self.header!r}, token='****')"


class _Transient(Exception):
    """An identity-provider failure worth retrying."""


class OAuthClientCredentials:
    """Client-credentials tokens, cached on the loop's clock."""

    def __init__(
        self,
        transport: HttpTransport,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        client_auth: str = "basic",
        scope: str | None = None,
        refresh_margin: float = 60.0,
        timeout: float = 20.0,
        attempts: int = 4,
        name: str | None = None,
    ) -> None:
        self._transport = transport
        self.token_url = token_url
        # How messages (and so the attempt log's `detail`) name it: by role for the embedded
        # IdP, whose URL carries a random port, so the same seed gives the same log.
        self.name = name or f"identity provider {token_url}"
        self._client_id = client_id
        self._client_secret = client_secret
        self._client_auth = client_auth
        self._scope = scope
        self.refresh_margin = refresh_margin
        self._timeout = timeout
        self._attempts = attempts
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0  # successful token requests, for the status display and tests

    def __repr__(self) -> str:
        return f"OAuthClientCredentials(token_url={self.token_url!r}, client_secret='****')"

    async def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token()}"}

    def unauthorized(self) -> None:
        self._token = None

    async def token(self) -> str:
        async with self._lock:  # one request to the IdP even when several pushes need a token
            now = asyncio.get_running_loop().time()
            if self._token is None or now >= self._expires_at - self.refresh_margin:
                self._token, lifetime = await self._fetch_with_retries()
                self._expires_at = asyncio.get_running_loop().time() + lifetime
                self.fetches += 1
            return self._token

    async def _fetch_with_retries(self) -> tuple[str, float]:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=1, min=1, max=30),
            retry=retry_if_exception_type(_Transient),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._fetch()
        except _Transient as exc:
            raise AuthError(f"{self.name}: {exc}") from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    def _request(self) -> tuple[dict[str, str], dict[str, str]]:
        fields = {"grant_type": "client_credentials"}
        if self._scope:
            fields["scope"] = self._scope
        headers = {"Accept": "application/json"}
        if self._client_auth == "body":
            fields |= {"client_id": self._client_id, "client_secret": self._client_secret}
        else:
            # RFC 6749 §2.3.1: form-encode id and secret before joining them for Basic.
            pair = f"{quote(self._client_id, safe='')}:{quote(self._client_secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        return fields, headers

    async def _fetch(self) -> tuple[str, float]:
        fields, headers = self._request()
        try:
            status, body = await self._transport.form(
                self.token_url, fields, headers, timeout=self._timeout
            )
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise _Transient(
                describe(exc) if not isinstance(exc, TimeoutError) else "timeout"
            ) from None
        if status == 429 or status >= 500:
            raise _Transient(f"answered {status}")
        if status != 200:
            raise AuthError(f"{self.name} refused the client credentials ({status})")
        return _parse_token(body, self.name)


def _parse_token(body: bytes, name: str) -> tuple[str, float]:
    try:
        data = orjson.loads(body)
        token = data["access_token"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise AuthError(f"{name} answered without an access_token") from None
    lifetime = data.get("expires_in", DEFAULT_TOKEN_LIFETIME)
    if not isinstance(token, str) or not isinstance(lifetime, int | float):
        raise AuthError(f"{name} answered a malformed token")
    return token, float(lifetime)
