"""How a push proves itself: nothing, a static token, or an OAuth client-credentials token
fetched from an identity provider served on 127.0.0.1, on the virtual clock."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest
from aiohttp import web
from loopback import served, virtual

from simulator.errors import AuthError
from simulator.shell.auth import NoAuth, OAuthClientCredentials, StaticToken
from simulator.shell.transport import HttpTransport

REQUESTS = web.AppKey("requests", list)
ANSWERS = web.AppKey("answers", list)


def identity_provider(*answers: tuple[int, dict[str, Any]]) -> web.Application:
    """An IdP that answers its token requests in turn (the last answer repeats) and keeps each
    request's form and Authorization header."""
    app = web.Application()
    app[REQUESTS] = []
    app[ANSWERS] = list(answers)

    async def token(request: web.Request) -> web.Response:
        form = dict(await request.post())
        app[REQUESTS].append((form, request.headers.get("Authorization")))
        status, body = app[ANSWERS][0] if len(app[ANSWERS]) == 1 else app[ANSWERS].pop(0)
        return web.json_response(body, status=status)

    app.router.add_post("/token", token)
    return app


def token(value: str, expires_in: int | None = 600) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"access_token": value, "token_type": "Bearer"}
    if expires_in is not None:
        body["expires_in"] = expires_in
    return 200, body


def oauth(transport: HttpTransport, url: str, **options: Any) -> OAuthClientCredentials:
    return OAuthClientCredentials(
        transport, token_url=url + "token", client_id="app id", client_secret="p@ss", **options
    )


# -- nothing and static tokens -------------------------------------------------------------------


@virtual
async def test_no_auth_sends_no_header() -> None:
    """NoAuth adds nothing to a push."""
    assert await NoAuth().headers() == {}


@pytest.mark.parametrize(
    ("token_auth", "headers"),
    [
        pytest.param(StaticToken("s3cret"), {"Authorization": "Bearer s3cret"}, id="bearer"),
        pytest.param(StaticToken("k", "X-Api-Key", ""), {"X-Api-Key": "k"}, id="bare-header"),
        pytest.param(StaticToken("t", scheme="Token"), {"Authorization": "Token t"}, id="scheme"),
    ],
)
@virtual
async def test_a_static_token_goes_in_its_header(
    token_auth: StaticToken, headers: dict[str, str]
) -> None:
    """The header, and the scheme before the token unless the scheme is empty."""
    assert await token_auth.headers() == headers


def test_a_static_token_never_shows_in_its_repr() -> None:
    """Logs and tracebacks show the header, not the secret."""
    assert repr(StaticToken("s3cret")) == "StaticToken(header='Authorization', token='****')"


# -- OAuth client credentials --------------------------------------------------------------------


@virtual
async def test_client_credentials_go_form_encoded_in_basic_auth() -> None:
    """RFC 6749 §2.3.1: id and secret are form-encoded, then joined for Basic."""
    idp = identity_provider(token("t1"))
    async with served(idp) as url, HttpTransport() as transport:
        assert await oauth(transport, url, scope="events").headers() == {
            "Authorization": "Bearer t1"
        }
    basic = "Basic " + base64.b64encode(b"app%20id:p%40ss").decode()
    assert idp[REQUESTS] == [({"grant_type": "client_credentials", "scope": "events"}, basic)]


@virtual
async def test_client_credentials_can_go_in_the_form_body() -> None:
    """client_auth="body": id and secret are form fields, with no Authorization header."""
    idp = identity_provider(token("t1"))
    async with served(idp) as url, HttpTransport() as transport:
        await oauth(transport, url, client_auth="body").token()
    form = {"grant_type": "client_credentials", "client_id": "app id", "client_secret": "p@ss"}
    assert idp[REQUESTS] == [(form, None)]


@virtual
async def test_a_token_is_reused_until_the_refresh_margin_before_it_expires() -> None:
    """A 600 s token with a 60 s margin: the same at 539 s, a new one at 540 s."""
    idp = identity_provider(token("t1"), token("t2"))
    async with served(idp) as url, HttpTransport() as transport:
        auth = oauth(transport, url, refresh_margin=60.0)
        tokens = [await auth.token()]
        await asyncio.sleep(539.0)
        tokens.append(await auth.token())
        await asyncio.sleep(1.0)
        tokens.append(await auth.token())
    assert (tokens, auth.fetches) == (["t1", "t1", "t2"], 2)


@virtual
async def test_a_401_from_the_consumer_forgets_the_token() -> None:
    """After unauthorized() the next push fetches a new token."""
    idp = identity_provider(token("t1"), token("t2"))
    async with served(idp) as url, HttpTransport() as transport:
        auth = oauth(transport, url)
        first = await auth.token()
        auth.unauthorized()
        second = await auth.token()
    assert (first, second) == ("t1", "t2")


@virtual
async def test_identity_provider_hiccups_are_retried_after_1_and_2_seconds() -> None:
    """Two 503s, then a token: fetched at 3 s of loop time, on the third request."""
    idp = identity_provider((503, {}), (503, {}), token("t1"))
    async with served(idp) as url, HttpTransport() as transport:
        got = await oauth(transport, url).token()
        at = asyncio.get_running_loop().time()
    assert (got, at, len(idp[REQUESTS])) == ("t1", 3.0, 3)


@virtual
async def test_refused_client_credentials_are_an_auth_error_at_once() -> None:
    """A 401 from the identity provider is not retried: one request, an AuthError."""
    idp = identity_provider((401, {"error": "invalid_client"}))
    async with served(idp) as url, HttpTransport() as transport:
        with pytest.raises(AuthError, match=r"refused the client credentials \(401\)"):
            await oauth(transport, url).token()
    assert len(idp[REQUESTS]) == 1


@virtual
async def test_an_answer_without_an_access_token_is_an_auth_error() -> None:
    """200 with no access_token: the identity provider is named."""
    idp = identity_provider((200, {"token_type": "Bearer"}))
    async with served(idp) as url, HttpTransport() as transport:
        with pytest.raises(AuthError, match=r"token answered without an access_token"):
            await oauth(transport, url).token()


@virtual
async def test_a_token_without_a_lifetime_is_taken_to_last_an_hour() -> None:
    """No expires_in: reused at 3539 s, fetched again at 3540 s (an hour less the margin)."""
    idp = identity_provider(token("t1", expires_in=None), token("t2", expires_in=None))
    async with served(idp) as url, HttpTransport() as transport:
        auth = oauth(transport, url)
        await auth.token()
        await asyncio.sleep(3539.0)
        reused = await auth.token()
        await asyncio.sleep(1.0)
        renewed = await auth.token()
    assert (reused, renewed) == ("t1", "t2")
