"""The dev endpoint's authorisation (simulator.endpoint.idp): the static token, and the mock
OAuth identity provider that issues, expires and fails tokens on command."""

from __future__ import annotations

import asyncio

import pytest
from loopback import virtual
from receiving import (
    CLIENT,
    GRANT,
    basic_auth,
    bearer,
    get_token,
    post,
    serving,
)

from simulator.endpoint.idp import OAuthServer

# --- static token --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param({}, 401, id="missing"),
        pytest.param(bearer("wrong"), 401, id="wrong"),
        pytest.param(bearer("tok-SECRET"), 200, id="bearer"),
        pytest.param({"Authorization": "tok-SECRET"}, 200, id="raw"),
    ],
)
@virtual
async def test_static_token(headers: dict[str, str], status: int) -> None:
    """With a token set, only `Bearer <token>` or the raw token is accepted; else 401."""
    async with serving(token="tok-SECRET") as (receiver, url, session):
        assert await post(session, url, headers=headers) == status
    assert receiver.stats.unauthorized == (status == 401)


# --- OAuth identity provider ---------------------------------------------------------------------


@virtual
async def test_oauth_issues_token_by_basic_auth() -> None:
    """Client credentials by HTTP Basic get a Bearer token that the endpoint accepts."""
    basic = basic_auth(CLIENT.client_id, CLIENT.client_secret)
    async with serving(oauth=CLIENT) as (receiver, url, session):
        async with session.post(receiver.token_url, data=GRANT, headers=basic) as response:
            body = await response.json()
        assert (response.status, body["token_type"], body["expires_in"]) == (200, "Bearer", 10)
        assert await post(session, url, headers=bearer(body["access_token"])) == 200
    assert (receiver.stats.token_requests, receiver.stats.tokens_issued) == (1, 1)


@virtual
async def test_oauth_issues_token_by_body_credentials() -> None:
    """Client credentials in the form body also get a token."""
    form = {**GRANT, "client_id": CLIENT.client_id, "client_secret": CLIENT.client_secret}
    async with serving(oauth=CLIENT) as (_, url, session):
        token = await get_token(session, url, data=form)
        assert await post(session, url, headers=bearer(token)) == 200


@virtual
async def test_oauth_accepts_form_urlencoded_basic_credentials() -> None:
    """Basic credentials form-urlencoded first (RFC 6749 2.3.1) are accepted too."""
    oauth = OAuthServer(client_id="acme client", client_secret="s+e/c:ret")
    async with serving(oauth=oauth) as (_, url, session):
        encoded = basic_auth("acme+client", "s%2Be%2Fc%3Aret")
        assert await get_token(session, url, data=GRANT, headers=encoded)


@virtual
async def test_oauth_tokens_are_unique() -> None:
    """Each token request gets a different token."""
    basic = basic_auth(CLIENT.client_id, CLIENT.client_secret)
    async with serving(oauth=CLIENT) as (_, url, session):
        tokens = {await get_token(session, url, data=GRANT, headers=basic) for _ in range(3)}
    assert len(tokens) == 3


@virtual
async def test_oauth_token_expires_exactly_at_ttl() -> None:
    """A token is accepted until issued + ttl and refused from that instant on."""
    basic = basic_auth(CLIENT.client_id, CLIENT.client_secret)
    async with serving(oauth=CLIENT) as (receiver, url, session):
        token = await get_token(session, url, data=GRANT, headers=basic)
        await asyncio.sleep(9.999)
        assert await post(session, url, headers=bearer(token)) == 200
        await asyncio.sleep(0.001)
        assert receiver.now() == 10.0
        assert await post(session, url, headers=bearer(token)) == 401


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        pytest.param({**GRANT, "client_id": "acme-client"}, 401, "invalid_client", id="no-secret"),
        pytest.param(
            {**GRANT, "client_id": "acme-client", "client_secret": "nope"},
            401,
            "invalid_client",
            id="wrong-secret",
        ),
        pytest.param(
            {
                "grant_type": "password",
                "client_id": "acme-client",
                "client_secret": "cs-SECRET-value",
            },
            400,
            "unsupported_grant_type",
            id="wrong-grant",
        ),
    ],
)
@virtual
async def test_oauth_rejects(form: dict[str, str], status: int, error: str) -> None:
    """Wrong client credentials get 401 invalid_client, a wrong grant 400."""
    async with (
        serving(oauth=CLIENT) as (receiver, _, session),
        session.post(receiver.token_url, data=form) as response,
    ):
        assert (response.status, await response.json()) == (status, {"error": error})
    assert receiver.stats.tokens_issued == 0


@virtual
async def test_fail_token_requests() -> None:
    """fail_token_requests(n) makes exactly the next n token requests fail."""
    basic = basic_auth(CLIENT.client_id, CLIENT.client_secret)
    async with serving(oauth=CLIENT) as (receiver, _, session):
        receiver.fail_token_requests(2)
        statuses = []
        for _ in range(3):
            async with session.post(receiver.token_url, data=GRANT, headers=basic) as response:
                statuses.append(response.status)
    assert statuses == [503, 503, 200]
    assert (receiver.stats.token_requests, receiver.stats.tokens_issued) == (3, 1)


@virtual
async def test_expire_tokens_revokes_issued_tokens() -> None:
    """After expire_tokens(), a token issued before it is refused."""
    basic = basic_auth(CLIENT.client_id, CLIENT.client_secret)
    async with serving(oauth=CLIENT) as (receiver, url, session):
        token = await get_token(session, url, data=GRANT, headers=basic)
        receiver.expire_tokens()
        assert await post(session, url, headers=bearer(token)) == 401


@virtual
async def test_tokens_expired_a_lifetime_ago_are_forgotten() -> None:
    """The provider forgets a token once it expired more than a lifetime before a new issue, so
    a long run holds a couple of lifetimes' tokens, not every token; a forgotten token is still
    refused (401), only logged as not accepted instead of expired."""
    basic = basic_auth(CLIENT.client_id, CLIENT.client_secret)
    lines: list[str] = []
    async with serving(oauth=CLIENT, log=lines.append) as (receiver, url, session):
        first = await get_token(session, url, data=GRANT, headers=basic)
        for _ in range(9):
            await asyncio.sleep(30.0)  # three lifetimes of 10 s between issues
            await get_token(session, url, data=GRANT, headers=basic)
        assert receiver._idp.held == 1  # the latest: the table does not grow with the issues
        assert await post(session, url, headers=bearer(first)) == 401
    assert lines[-1].endswith("POST 401 unauthorized (token not accepted)")
