"""What the dev endpoint checks as an Adobe I/O consumer (simulator.endpoint.verification):
the challenge, the asynchronous validation and the delivery signatures, over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web
from loopback import served, virtual
from receiving import (
    CLOUDEVENTS,
    VALIDATION_PATH,
    batch,
    counting_app,
    envelope,
    post,
    serving,
)

from simulator.endpoint.routing import Receiver
from simulator.errors import ConfigError
from simulator.payloads.signing import KeyRing, SigningKey, hmac_signature


@pytest.fixture(scope="module")
def keys() -> tuple[SigningKey, ...]:
    """Three keys, generated once for the module; 1024 bits keeps it fast, and the receiver
    does not care about the size (test_signing covers RSA-2048)."""
    return tuple(SigningKey.generate(bits=1024) for _ in range(3))


def key_host(public_keys: dict[str, bytes], hits: list[str]) -> web.Application:
    """The public-key host: serves `public_keys` by path, 404 for any other path."""

    def answer(request: web.Request) -> web.Response:
        pem = public_keys.get(request.path)
        return web.Response(body=pem) if pem is not None else web.Response(status=404)

    return counting_app(hits, answer)


@contextlib.asynccontextmanager
async def verifying(
    public_keys: dict[str, bytes], **kwargs: Any
) -> AsyncIterator[tuple[Receiver, str, aiohttp.ClientSession, list[str]]]:
    """A recording receiver that verifies signatures against a key host serving `public_keys`;
    yields the receiver, its URL, a client session and the key host's list of GET paths."""
    hits: list[str] = []
    async with (
        served(key_host(public_keys, hits), slash=False) as key_base_url,
        serving(verify_signatures=True, key_base_url=key_base_url, record=True, **kwargs) as (
            receiver,
            url,
            session,
        ),
    ):
        yield receiver, url, session, hits


def signed(ring: KeyRing, body: bytes) -> dict[str, str]:
    return {**CLOUDEVENTS, **ring.headers(body)}


# --- challenge -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("style", "content_type", "text"),
    [
        pytest.param("text", "text/plain", "c-8ec8", id="text"),
        pytest.param("json", "application/json", '{"challenge":"c-8ec8"}', id="json"),
        pytest.param("refuse", "text/plain", "ok", id="refuse"),
    ],
)
@virtual
async def test_challenge_styles(style: str, content_type: str, text: str) -> None:
    """The GET challenge is echoed as text/plain, as JSON, or ignored (200 "ok") by style."""
    async with (
        serving(challenge_style=style) as (receiver, url, session),
        session.get(url + "hook?challenge=c-8ec8") as response,
    ):
        assert (response.status, response.content_type) == (200, content_type)
        assert await response.text() == text
    assert (receiver.stats.probes, receiver.stats.challenges) == (1, 1)


# --- asynchronous validation ---------------------------------------------------------------------


@virtual
async def test_validation_url_post_is_recorded_not_fetched() -> None:
    """A validationUrl POST is answered 200 and recorded; without confirm it is not fetched."""
    hits: list[str] = []
    async with (
        served(counting_app(hits, lambda _: web.Response(text="ok")), slash=False) as csm,
        serving() as (receiver, url, session),
    ):
        assert await post(session, url, {"validationUrl": csm + VALIDATION_PATH}) == 200
    assert receiver.validation_urls == [csm + VALIDATION_PATH]
    s = receiver.stats
    assert (s.requests, s.validation_requests, s.batches, s.validations_confirmed) == (1, 1, 0, 0)
    assert hits == []


@virtual
async def test_validation_url_confirmed_by_get() -> None:
    """With confirm_validation the posted URL is fetched once with a GET, query intact."""
    hits: list[str] = []
    async with (
        served(counting_app(hits, lambda _: web.Response(text="ok")), slash=False) as csm,
        serving(confirm_validation=True) as (receiver, url, session),
    ):
        assert await post(session, url, {"validationUrl": csm + VALIDATION_PATH}) == 200
        await receiver.settle()
    assert hits == [VALIDATION_PATH]
    assert (receiver.stats.validations_confirmed, receiver.stats.validation_errors) == (1, 0)


@virtual
async def test_validation_confirmed_after_confirm_delay() -> None:
    """The confirming GET comes exactly confirm_delay seconds of loop time after the POST."""
    loop = asyncio.get_running_loop()
    times: list[float] = []

    def answer(_: web.Request) -> web.Response:
        times.append(loop.time())
        return web.Response(text="ok")

    async with (
        served(counting_app([], answer), slash=False) as csm,
        serving(confirm_validation=True, confirm_delay=360.0) as (receiver, url, session),
    ):
        await post(session, url, {"validationUrl": csm + VALIDATION_PATH})
        await receiver.settle()
    assert times == [360.0]


@virtual
async def test_validation_redirect_is_not_followed() -> None:
    """A redirect from the validation URL is not followed and counts as a validation error."""
    hits: list[str] = []

    def answer(request: web.Request) -> web.Response:
        if request.path == "/elsewhere":
            return web.Response(text="ok")
        return web.Response(status=302, headers={"Location": "/elsewhere"})

    async with (
        served(counting_app(hits, answer), slash=False) as csm,
        serving(confirm_validation=True) as (receiver, url, session),
    ):
        await post(session, url, {"validationUrl": csm + "/validate"})
        await receiver.settle()
    assert hits == ["/validate"]
    assert (receiver.stats.validations_confirmed, receiver.stats.validation_errors) == (0, 1)


@virtual
async def test_validation_url_off_loopback_is_not_fetched() -> None:
    """A validationUrl that is not on a loopback host is recorded but never fetched."""
    lines: list[str] = []
    real = "https://csm.adobe.io" + VALIDATION_PATH
    async with serving(confirm_validation=True, log=lines.append) as (receiver, url, session):
        assert await post(session, url, {"validationUrl": real}) == 200
        await receiver.settle()
    assert receiver.validation_urls == [real]
    assert receiver.stats.validation_errors == 1
    assert lines[-1] == "+00:00:00.000 VALIDATE not confirmed (not a loopback host)"


# --- signatures ----------------------------------------------------------------------------------


@virtual
async def test_valid_signature_counted_and_key_fetched_once(keys: tuple[SigningKey, ...]) -> None:
    """A correctly signed delivery counts as valid; the key is fetched once for two deliveries."""
    ring = KeyRing(keys[0], keys[1])
    async with verifying(ring.public_keys()) as (receiver, url, session, hits):
        for eventid in ("e-1", "e-2"):
            body = orjson.dumps([envelope(eventid)])
            assert await post(session, url, body, headers=signed(ring, body)) == 200
    assert hits == [keys[0].path]
    s = receiver.stats
    assert (s.signatures_valid, s.signatures_invalid, s.key_fetches, s.batches) == (2, 0, 1, 2)
    assert [r.signature for r in receiver.received] == ["ok", "ok"]


@virtual
async def test_tampered_body_counted_bad_and_accepted(keys: tuple[SigningKey, ...]) -> None:
    """A body changed after signing fails both signatures; without reject it is still taken."""
    ring = KeyRing(keys[0], keys[1])
    lines: list[str] = []
    body = orjson.dumps([envelope("e-1")])
    tampered = body.replace(b"e-1", b"e-9")
    async with verifying(ring.public_keys(), log=lines.append) as (receiver, url, session, hits):
        assert await post(session, url, tampered, headers=signed(ring, body)) == 200
    assert hits == [keys[0].path, keys[1].path]
    assert (receiver.stats.signatures_valid, receiver.stats.signatures_invalid) == (0, 1)
    assert lines[-1] == "+00:00:00.000 POST 200 io events=1 first=e-9 dup=0 sig=BAD"


@virtual
async def test_reject_bad_signature_is_401(keys: tuple[SigningKey, ...]) -> None:
    """With reject_bad_signatures, a delivery whose signatures fail is answered 401, not taken."""
    ring = KeyRing(keys[0], keys[1])
    body = orjson.dumps([envelope("e-1")])
    tampered = body.replace(b"e-1", b"e-9")
    async with verifying(ring.public_keys(), reject_bad_signatures=True) as (
        receiver,
        url,
        session,
        _,
    ):
        assert await post(session, url, tampered, headers=signed(ring, body)) == 401
        assert await post(session, url, body, headers=signed(ring, body)) == 200
    s = receiver.stats
    assert (s.signatures_invalid, s.signatures_valid, s.batches, s.statuses) == (
        1,
        1,
        1,
        {401: 1, 200: 1},
    )


@virtual
async def test_unsigned_delivery_is_bad(keys: tuple[SigningKey, ...]) -> None:
    """An I/O delivery with no signature headers fails verification without any key fetch."""
    async with verifying(KeyRing(keys[0], keys[1]).public_keys()) as (receiver, url, session, hits):
        assert await post(session, url, [envelope("e-1")]) == 200
    assert (receiver.stats.signatures_invalid, hits) == (1, [])


@virtual
async def test_second_signature_verifies_after_rotation(keys: tuple[SigningKey, ...]) -> None:
    """After rotation, while the key host lacks the new key, slot 2's cached old key verifies."""
    ring = KeyRing(keys[0], keys[1])
    served = ring.public_keys()  # the host has not picked up the rotated key yet
    async with verifying(served) as (receiver, url, session, hits):
        body = orjson.dumps([envelope("e-1")])
        await post(session, url, body, headers=signed(ring, body))
        ring.rotate(keys[2])
        body = orjson.dumps([envelope("e-2")])
        await post(session, url, body, headers=signed(ring, body))
    assert hits == [keys[0].path, keys[2].path]
    s = receiver.stats
    assert (s.signatures_valid, s.key_fetches, s.key_fetch_failures) == (2, 2, 1)


@virtual
async def test_cached_key_refetched_after_24_hours(keys: tuple[SigningKey, ...]) -> None:
    """A cached public key is used until 24 h of receiver time, then fetched again."""
    ring = KeyRing(keys[0], keys[1])
    async with verifying(ring.public_keys()) as (receiver, url, session, hits):
        for at, eventid in ((0.0, "e-1"), (86_399.0, "e-2"), (86_400.0, "e-3")):
            await asyncio.sleep(at - receiver.now())
            body = orjson.dumps([envelope(eventid)])
            await post(session, url, body, headers=signed(ring, body))
    assert hits == [keys[0].path, keys[0].path]
    assert receiver.stats.signatures_valid == 3


@virtual
async def test_malformed_key_path_is_not_fetched(keys: tuple[SigningKey, ...]) -> None:
    """A key path that is not `/prod/keys/pub-key-<id>.pem` is never appended to the key URL."""
    ring = KeyRing(keys[0], keys[1])
    body = orjson.dumps([envelope("e-1")])
    headers = {**signed(ring, body), "x-adobe-public-key1-path": "/../admin?.pem"}
    headers["x-adobe-public-key2-path"] = "//evil.example/prod/keys/pub-key-a.pem"
    async with verifying(ring.public_keys()) as (receiver, url, session, hits):
        await post(session, url, body, headers=headers)
    assert (receiver.stats.signatures_invalid, hits) == (1, [])


@virtual
async def test_legacy_batch_is_not_signature_checked(keys: tuple[SigningKey, ...]) -> None:
    """Signatures are checked on I/O deliveries only; a legacy batch is taken unchecked."""
    async with verifying(KeyRing(keys[0], keys[1]).public_keys(), reject_bad_signatures=True) as (
        receiver,
        url,
        session,
        hits,
    ):
        assert await post(session, url, batch("g1")) == 200
    s = receiver.stats
    assert (s.signatures_valid, s.signatures_invalid, hits) == (0, 0, [])
    assert receiver.received[0].signature == "-"


@pytest.mark.parametrize(
    ("signature", "counts", "sig"),
    [
        pytest.param("good", (1, 0), "ok", id="good"),
        pytest.param("AAAA", (0, 1), "BAD", id="wrong"),
        pytest.param(None, (0, 1), "BAD", id="missing"),
    ],
)
@virtual
async def test_hmac_signature_checked(
    signature: str | None, counts: tuple[int, int], sig: str
) -> None:
    """With client_secret, x-adobe-signature must be base64 HMAC-SHA256 of the raw body."""
    body = orjson.dumps([envelope("e-1")])
    value = hmac_signature(body, "io-client-secret") if signature == "good" else signature
    headers = {**CLOUDEVENTS, **({"x-adobe-signature": value} if value else {})}
    async with serving(client_secret="io-client-secret", record=True) as (receiver, url, session):
        assert await post(session, url, body, headers=headers) == 200
    assert (receiver.stats.hmac_valid, receiver.stats.hmac_invalid) == counts
    assert receiver.received[0].signature == sig


@virtual
async def test_bad_hmac_rejected_with_reject() -> None:
    """With reject_bad_signatures, a wrong x-adobe-signature is answered 401."""
    body = orjson.dumps([envelope("e-1")])
    headers = {**CLOUDEVENTS, "x-adobe-signature": hmac_signature(body, "other-secret")}
    async with serving(client_secret="io-client-secret", reject_bad_signatures=True) as (
        receiver,
        url,
        session,
    ):
        assert await post(session, url, body, headers=headers) == 401
    assert (receiver.stats.hmac_invalid, receiver.stats.batches) == (1, 0)


# --- options -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        pytest.param({"verify_signatures": True}, "needs key_base_url", id="no-key-url"),
        pytest.param(
            {"verify_signatures": True, "key_base_url": "https://static.adobeioevents.com"},
            "not a loopback host",
            id="key-url-off-loopback",
        ),
        pytest.param(
            {"reject_bad_signatures": True}, "needs verify_signatures or client_secret", id="rej"
        ),
        pytest.param({"confirm_delay": -1.0}, "confirm_delay", id="delay"),
    ],
)
def test_io_options_rejected(kwargs: dict[str, Any], error: str) -> None:
    """Inconsistent I/O options are a ConfigError naming the problem."""
    with pytest.raises(ConfigError, match=error):
        Receiver(**kwargs)
