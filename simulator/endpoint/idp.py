"""The dev endpoint's mock customer identity provider (OAuth 2.0 client credentials).

Marketo's push with OAuth first asks the customer's identity provider for a token, then sends it
with each delivery. So that a run needs nothing outside the simulator, the receiver plays that
identity provider on its own port (`POST /oauth/token`). This module is that provider: the
`OAuthServer` settings, the token endpoint (random tokens from `secrets`, new in every process,
so that knowing a run's seed does not give its tokens; requests failed on command; every token
forgotten at once, like a rotation on the customer's side) and the check of a delivery's
Authorization header against a static API token or an unexpired issued one.

Secrets (the client secret, the static token, issued tokens) are compared in constant time and
never logged.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

import orjson
from aiohttp import web

from simulator.endpoint.received import Stats
from simulator.errors import ConfigError

__all__ = ["IdentityProvider", "OAuthServer", "decode_basic_auth"]


@dataclass(frozen=True, slots=True, kw_only=True)
class OAuthServer:
    """The mock customer identity provider (OAuth 2.0 client credentials)."""

    client_id: str
    client_secret: str = field(repr=False)
    token_ttl: float = 3600.0

    def __post_init__(self) -> None:
        if not self.client_id or not self.client_secret:
            raise ConfigError("oauth: client_id and client_secret must not be empty")
        if not (self.token_ttl > 0 and math.isfinite(self.token_ttl)):
            raise ConfigError(f"token_ttl: {self.token_ttl} is not a finite number > 0")


def decode_basic_auth(header: str) -> tuple[str, str]:
    """(client id, secret) from `Basic <base64 of id:secret>`; ValueError if malformed.
    (aiohttp 3.14 deprecates `BasicAuth`, so this is done by hand.)"""
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise ValueError("not Basic")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("bad Basic credentials") from exc
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise ValueError("bad Basic credentials")
    return client_id, secret


def _bearer_candidates(header: str) -> tuple[str, ...]:
    """The token a header may carry: `Bearer <token>` or the raw token (the real format is
    undocumented)."""
    header = header.strip()
    scheme, _, rest = header.partition(" ")
    if scheme.lower() == "bearer" and rest.strip():
        return (rest.strip(), header)
    return (header,)


def _same(expected: tuple[str, str], given: tuple[str, str]) -> bool:
    """Constant-time comparison of (client id, secret) pairs."""
    results = [
        hmac.compare_digest(e.encode(), g.encode()) for e, g in zip(expected, given, strict=True)
    ]
    return all(results)


def _json(status: int, obj: object, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON answer of the identity provider (not counted in `Stats.statuses`)."""
    return web.Response(
        status=status, body=orjson.dumps(obj), content_type="application/json", headers=headers
    )


class IdentityProvider:
    """The token endpoint and the tokens it issued. `oauth` None means no provider is configured:
    the endpoint answers 404 and only a static token (if any) is checked.

    `stats` gets the token counters; `say(at, text)` logs a line; `now()` is receiver time.
    """

    def __init__(
        self,
        oauth: OAuthServer | None,
        *,
        seed: int = 0,
        stats: Stats,
        say: Callable[[float, str], None],
        now: Callable[[], float],
    ) -> None:
        self.oauth = oauth
        del seed  # tokens are random: nothing a run's seed repeats may predict them
        self._stats = stats
        self._say = say
        self._now = now
        self._tokens: dict[str, float] = {}  # issued token -> receiver time it expires, in order
        self._counter = 0
        self._failures: list[int] = []  # statuses for the next token requests

    @property
    def held(self) -> int:
        """How many issued tokens are remembered (live ones, and those expired within a
        lifetime of the latest issue)."""
        return len(self._tokens)

    def fail_next(self, n: int, status: int) -> None:
        """The next `n` token requests fail with `status`."""
        self._failures.extend([status] * n)

    def expire_all(self) -> None:
        """Revoke every token issued so far."""
        self._tokens.clear()

    def auth_problem(self, header: str | None, static_token: str | None) -> str:
        """Why a delivery's Authorization header is refused, or "" when it is accepted (or when
        neither `static_token` nor a provider is configured)."""
        if static_token is None and self.oauth is None:
            return ""
        if not header:
            return "no Authorization header"
        expired = False
        for candidate in _bearer_candidates(header):
            if static_token is not None and hmac.compare_digest(
                candidate.encode(), static_token.encode()
            ):
                return ""
            expires = self._tokens.get(candidate)
            if expires is not None and self._now() < expires:
                return ""
            expired = expired or expires is not None
        return "token expired" if expired else "token not accepted"

    async def issue(self, request: web.Request) -> web.Response:
        """POST /oauth/token: OAuth 2.0 client credentials grant."""
        at = self._now()
        self._stats.token_requests += 1
        no_store = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if self.oauth is None:
            self._say(at, "TOKEN 404 (no identity provider configured)")
            return _json(404, {"error": "no identity provider configured"})
        if self._failures:
            status = self._failures.pop(0)
            self._stats.token_failures += 1
            self._say(at, f"TOKEN {status} injected")
            error = "temporarily_unavailable" if status == 503 else "server_error"
            return _json(status, {"error": error}, no_store)
        form = await request.post()
        if not self._client_ok(request, form):
            self._say(at, "TOKEN 401 invalid_client")
            return _json(401, {"error": "invalid_client"}, {"WWW-Authenticate": "Basic"})
        if form.get("grant_type") != "client_credentials":
            self._say(at, "TOKEN 400 unsupported_grant_type")
            return _json(400, {"error": "unsupported_grant_type"}, no_store)
        ttl = self.oauth.token_ttl
        self._forget_old_tokens(at - ttl)
        token = self._new_token()
        self._tokens[token] = at + ttl
        self._stats.tokens_issued += 1
        self._say(at, f"TOKEN 200 issued #{self._counter} expires_in={ttl:g}s")
        expires_in = int(ttl) if float(ttl).is_integer() else ttl
        body = {"access_token": token, "token_type": "Bearer", "expires_in": expires_in}
        return _json(200, body, no_store)

    def _forget_old_tokens(self, before: float) -> None:
        """Forget the tokens that expired before `before` (a lifetime ago when issuing), so the
        table holds about two lifetimes' worth of tokens however long the run. A delivery with
        a forgotten token is "not accepted" instead of "expired": a 401 all the same. The dict
        is in the order of issue, which is the order of expiry while the lifetime is unchanged."""
        tokens = self._tokens
        while tokens:
            oldest = next(iter(tokens))
            if tokens[oldest] >= before:
                return
            del tokens[oldest]

    def _client_ok(self, request: web.Request, form: Any) -> bool:
        """Client credentials by HTTP Basic (raw, or form-urlencoded as RFC 6749 2.3.1 says)
        or in the form body (`client_id`, `client_secret`)."""
        assert self.oauth is not None
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("basic "):
            try:
                client_id, secret = decode_basic_auth(header)
            except ValueError:
                return False
        else:
            client_id, secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
        expected = (self.oauth.client_id, self.oauth.client_secret)
        return _same(expected, (client_id, secret)) or _same(
            expected, (unquote_plus(client_id), unquote_plus(secret))
        )

    def _new_token(self) -> str:
        self._counter += 1
        return f"sim-{secrets.token_hex(20)}"
