"""The dev endpoint, over real HTTP on 127.0.0.1, with time played by a looptime loop."""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import io
import math
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web
from loopback import served, virtual

from simulator.endpoint.receiver import (
    Behaviour,
    OAuthServer,
    Receiver,
    Window,
    add_arguments,
    parse_outage,
    serve,
)
from simulator.errors import ConfigError
from simulator.payloads.signing import KeyRing, SigningKey, hmac_signature
from simulator.shell.clock import run_virtual

CLIENT = OAuthServer(client_id="acme-client", client_secret="cs-SECRET-value", token_ttl=10.0)
GRANT = {"grant_type": "client_credentials"}


@contextlib.asynccontextmanager
async def serving(**kwargs: Any) -> AsyncIterator[tuple[Receiver, str, aiohttp.ClientSession]]:
    receiver = Receiver(**kwargs)
    url = await receiver.start()
    try:
        async with aiohttp.ClientSession() as session:
            yield receiver, url, session
    finally:
        await receiver.stop()


def batch(*guids: str, message_id: str = "1") -> dict[str, Any]:
    return {
        "sourceApplication": "Marketo",
        "munchkinId": "123-ABC-456",
        "messageId": message_id,
        "messageCreatedDate": "2026-04-21T15:28:49Z",
        "activities": [{"marketoGUID": g, "leadId": 1, "activityTypeId": 3} for g in guids],
    }


async def post(session: aiohttp.ClientSession, url: str, body: object = None, **kwargs: Any) -> int:
    data = body if isinstance(body, bytes) else orjson.dumps(body or batch("g1"))
    async with session.post(url, data=data, **kwargs) as response:
        await response.read()
        return response.status


async def get_token(session: aiohttp.ClientSession, url: str, **kwargs: Any) -> str:
    async with session.post(url + "oauth/token", **kwargs) as response:
        assert response.status == 200
        return (await response.json())["access_token"]


def basic_auth(client_id: str, secret: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- GET -----------------------------------------------------------------------------------------


@virtual
async def test_get_answers_200_ok() -> None:
    """GET / answers 200 "ok", like Adobe's sample consumer."""
    async with serving() as (receiver, url, session), session.get(url) as response:
        assert (response.status, await response.text()) == (200, "ok")
    assert receiver.stats.probes == 1


@virtual
async def test_get_echoes_challenge() -> None:
    """GET with a challenge query parameter echoes it as text."""
    async with serving() as (_, url, session), session.get(url + "hook?challenge=x1y2") as response:
        assert (response.status, await response.text()) == (200, "x1y2")


# --- POST: counting ------------------------------------------------------------------------------


@virtual
async def test_post_counts_batch_and_events() -> None:
    """An accepted POST on any path counts one batch and its events."""
    async with serving() as (receiver, url, session):
        assert await post(session, url + "marketo/hook", batch("a", "b", "c")) == 200
    s = receiver.stats
    assert (s.requests, s.batches, s.events, s.duplicates, s.statuses) == (1, 1, 3, 0, {200: 1})


@virtual
async def test_duplicates_counted_by_guid() -> None:
    """An event whose marketoGUID was already accepted counts as a duplicate."""
    async with serving(record=True) as (receiver, url, session):
        await post(session, url, batch("a", "b", message_id="1"))
        await post(session, url, batch("b", "c", message_id="2"))
    assert (receiver.stats.events, receiver.stats.duplicates) == (4, 1)
    assert [(r.message_id, r.duplicates) for r in receiver.received] == [("1", 0), ("2", 1)]


@virtual
async def test_dedupe_off_counts_no_duplicates() -> None:
    """dedupe=False keeps no GUIDs and counts no duplicates."""
    async with serving(dedupe=False) as (receiver, url, session):
        await post(session, url, batch("a"))
        await post(session, url, batch("a"))
    assert (receiver.stats.batches, receiver.stats.duplicates) == (2, 0)


@virtual
async def test_record_keeps_arrival_time_and_activities() -> None:
    """record=True keeps each accepted batch with its receiver arrival time."""
    async with serving(record=True) as (receiver, url, session):
        await asyncio.sleep(2.0)
        await post(session, url, batch("a", message_id="17"))
    [kept] = receiver.received
    assert (kept.at, kept.message_id, [a["marketoGUID"] for a in kept.activities]) == (
        2.0,
        "17",
        ["a"],
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(b"{not json", "not JSON", id="not-json"),
        pytest.param(b"[]", "not a JSON object", id="array"),
        pytest.param(orjson.dumps({**batch(), "activities": {}}), "activities:", id="no-list"),
        pytest.param(orjson.dumps({**batch(), "messageId": 12345}), "messageId:", id="int-id"),
        pytest.param(
            orjson.dumps({**batch(), "activities": [{"leadId": 1}]}),
            "activities[0].marketoGUID",
            id="no-guid",
        ),
    ],
)
@virtual
async def test_bad_body_is_400(body: bytes, reason: str) -> None:
    """A body that is not JSON or not the legacy batch wrapper is answered 400."""
    async with serving() as (receiver, url, session), session.post(url, data=body) as response:
        assert response.status == 400
        assert reason in await response.text()
    assert (receiver.stats.bad_requests, receiver.stats.batches) == (1, 0)


@virtual
async def test_body_over_max_is_413() -> None:
    """A body larger than max_body is answered 413 and not counted."""
    async with serving(max_body=100) as (receiver, url, session):
        assert await post(session, url, batch("a" * 200)) == 413
    assert (receiver.stats.too_large, receiver.stats.batches) == (1, 0)


@virtual
async def test_bodies_written_as_json_lines() -> None:
    """Accepted bodies go to `bodies` one JSON line each, even when pretty-printed."""
    out = io.StringIO()
    pretty = orjson.dumps(batch("b", message_id="2"), option=orjson.OPT_INDENT_2)
    async with serving(bodies=out) as (_, url, session):
        await post(session, url, batch("a", message_id="1"))
        await post(session, url, pretty)
        await post(session, url, b"{not json")
    lines = out.getvalue().splitlines()
    assert [orjson.loads(line) for line in lines] == [batch("a"), batch("b", message_id="2")]


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


# --- misbehaviour --------------------------------------------------------------------------------


@virtual
async def test_latency_is_exact_in_loop_time() -> None:
    """A 19.5 s latency delays the answer by exactly 19.5 s of loop time."""
    loop = asyncio.get_running_loop()
    async with serving(behaviour=Behaviour(latency=19.5)) as (_, url, session):
        before = loop.time()
        assert await post(session, url) == 200
        assert loop.time() - before == 19.5


@virtual
async def test_hang_lets_client_time_out_at_exactly_20s() -> None:
    """With hang, a client with a 20 s timeout times out at exactly 20.0."""
    loop = asyncio.get_running_loop()
    timeout = aiohttp.ClientTimeout(total=20)
    async with serving(behaviour=Behaviour(hang=True)) as (receiver, url, session):
        with pytest.raises(asyncio.TimeoutError):
            await post(session, url, timeout=timeout)
        assert loop.time() == 20.0
    assert (receiver.stats.hangs, receiver.stats.injected_failures) == (1, 1)


@virtual
async def test_slow_answer_after_client_timeout_makes_duplicates() -> None:
    """A batch the consumer took but answered too late shows up as duplicates on retry."""
    timeout = aiohttp.ClientTimeout(total=20)
    async with serving(behaviour=Behaviour(latency=25.0)) as (receiver, url, session):
        with pytest.raises(asyncio.TimeoutError):
            await post(session, url, batch("a", "b"), timeout=timeout)
        receiver.behaviour = Behaviour()
        assert await post(session, url, batch("a", "b")) == 200
    assert (receiver.stats.batches, receiver.stats.duplicates) == (2, 2)


@virtual
async def test_reset_is_a_connection_error() -> None:
    """With reset, the client sees a connection error and no status."""
    async with serving(behaviour=Behaviour(reset=True)) as (receiver, url, session):
        with pytest.raises(aiohttp.ClientConnectionError):
            await post(session, url)
    s = receiver.stats
    assert (s.resets, s.injected_failures, s.batches, s.statuses) == (1, 1, 0, {})


@virtual
async def test_refuse_outage_by_time() -> None:
    """A refuse window gives connection errors inside [start, end) and 200 outside."""
    behaviour = Behaviour(outages=(Window(start=10.0, end=20.0),))
    results: list[int | str] = []
    async with serving(behaviour=behaviour) as (receiver, url, session):
        for at in (9.0, 10.0, 19.0, 20.0):
            await asyncio.sleep(at - receiver.now())
            try:
                results.append(await post(session, url))
            except aiohttp.ClientConnectionError:
                results.append("refused")
    assert results == [200, "refused", "refused", 200]
    assert (receiver.stats.refused, receiver.stats.requests) == (2, 4)


@virtual
async def test_status_outage_by_time() -> None:
    """A status window answers its status inside the window, even to an unauthorized POST."""
    behaviour = Behaviour(outages=(Window(start=60.0, end=1260.0, mode="status", status=502),))
    results = []
    async with serving(token="t", behaviour=behaviour) as (receiver, url, session):
        for at in (0.0, 60.0, 1259.0, 1260.0):
            await asyncio.sleep(at - receiver.now())
            results.append(await post(session, url, headers=bearer("t")))
        results.append(await post(session, url))
    assert results == [200, 502, 502, 200, 401]


@virtual
async def test_failure_rate_is_deterministic_by_seed() -> None:
    """failure_rate draws from random.Random(seed): seed 7 at 0.5 gives a fixed sequence."""
    behaviour = Behaviour(failure_rate=0.5, failure_status=500)
    async with serving(behaviour=behaviour, seed=7) as (receiver, url, session):
        statuses = [await post(session, url, batch(f"g{i}")) for i in range(8)]
    assert statuses == [500, 500, 200, 500, 200, 500, 500, 200]
    assert (receiver.stats.injected_failures, receiver.stats.batches) == (5, 3)


@virtual
async def test_put_behaviour_changes_answers() -> None:
    """PUT /_sim/behaviour replaces the named fields of a running receiver."""
    async with serving() as (receiver, url, session):
        async with session.put(url + "_sim/behaviour", json={"status": 500}) as response:
            assert (response.status, (await response.json())["status"]) == (200, 500)
        assert await post(session, url) == 500
    assert receiver.behaviour == Behaviour(status=500)


@virtual
async def test_put_behaviour_sets_outages() -> None:
    """PUT /_sim/behaviour accepts outage windows as a list of objects."""
    body = {"outages": [{"start": 0, "end": 5, "mode": "status", "status": 504}]}
    async with serving() as (receiver, url, session):
        async with session.put(url + "_sim/behaviour", json=body) as response:
            assert response.status == 200
        assert await post(session, url) == 504
    assert receiver.behaviour.outages == (Window(start=0.0, end=5.0, mode="status", status=504),)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        pytest.param({"colour": "red"}, "behaviour: unknown field 'colour'", id="unknown"),
        pytest.param({"hang": 1}, "behaviour.hang: expected bool, got 1", id="mistyped"),
        pytest.param({"failure_rate": 2}, "failure_rate: 2.0 is not between 0 and 1", id="range"),
        pytest.param(
            {"outages": [{"start": 5, "end": 1}]}, "outage 5.0-1.0: need 0 <= start < end", id="win"
        ),
    ],
)
@virtual
async def test_put_behaviour_rejects_bad_fields(body: dict[str, Any], error: str) -> None:
    """PUT /_sim/behaviour answers 400 with the reason and keeps the old behaviour."""
    async with (
        serving() as (receiver, url, session),
        session.put(url + "_sim/behaviour", json=body) as response,
    ):
        assert (response.status, await response.json()) == (400, {"error": error})
    assert receiver.behaviour == Behaviour()


@virtual
async def test_stats_endpoint() -> None:
    """GET /_sim/stats returns the counters as JSON."""
    async with serving() as (_, url, session):
        await post(session, url, batch("a", "b"))
        async with session.get(url + "_sim/stats") as response:
            stats = await response.json()
    assert (stats["requests"], stats["events"], stats["statuses"]) == (1, 2, {"200": 1})


# --- logging and secrets -------------------------------------------------------------------------


@virtual
async def test_log_line_per_batch() -> None:
    """Each accepted batch logs one short line stamped with receiver time."""
    lines: list[str] = []
    async with serving(log=lines.append) as (_, url, session):
        await asyncio.sleep(124.0)
        await post(session, url, batch("g-1", "g-2", message_id="17"))
    assert lines == ["+00:02:04.000 POST 200 msg=17 events=2 dup=0 first=g-1"]


@virtual
async def test_secrets_never_logged() -> None:
    """Neither the static token, the client secret nor issued tokens reach the log."""
    lines: list[str] = []
    basic = basic_auth(CLIENT.client_id, CLIENT.client_secret)
    async with serving(token="tok-SECRET", oauth=CLIENT, log=lines.append) as (_, url, session):
        token = await get_token(session, url, data=GRANT, headers=basic)
        await post(session, url, headers=bearer(token))
        await post(session, url, headers=bearer("tok-SECRET"))
        await post(session, url, headers=bearer("tok-SECRET-typo"))
        async with session.get(url + "?token=tok-SECRET") as response:
            assert response.status == 200
    text = "\n".join(lines)
    assert len(lines) == 5
    assert "SECRET" not in text
    assert token not in text
    assert "SECRET" not in repr(CLIENT)


def test_serve_never_prints_secrets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`receive` prints where secrets come from, a line per batch and stats, never a secret."""
    monkeypatch.setenv("SIM_TOKEN", "tok-SECRET")
    monkeypatch.setenv("SIM_CLIENT_SECRET", "cs-SECRET")
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        [
            *("--port", "0", "--token-env", "SIM_TOKEN"),
            *("--oauth-client-id", "acme", "--oauth-secret-env", "SIM_CLIENT_SECRET"),
        ]
    )

    async def scenario() -> int:
        task = asyncio.create_task(serve(args))
        await asyncio.sleep(1.0)
        url = capsys.readouterr().out.split("receiving on ")[1].split()[0]
        async with aiohttp.ClientSession() as session:
            assert await post(session, url, headers=bearer("tok-SECRET")) == 200
        task.cancel()
        return await task

    assert run_virtual(scenario()) == 0
    out = capsys.readouterr().out
    assert "SECRET" not in out
    assert "POST 200 msg=1 events=1" in out
    assert "stats: requests=1 batches=1" in out


# --- configuration -------------------------------------------------------------------------------


@virtual
async def test_start_refuses_non_loopback_host() -> None:
    """start() binds loopback addresses only."""
    with pytest.raises(ConfigError, match="loopback"):
        await Receiver().start(host="0.0.0.0")


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"start": 10.0, "end": 10.0}, id="empty"),
        pytest.param({"start": -1.0, "end": 10.0}, id="negative"),
        pytest.param({"start": 0.0, "end": 1.0, "mode": "explode"}, id="mode"),
        pytest.param({"start": 0.0, "end": 1.0, "status": 99}, id="status"),
    ],
)
def test_window_rejects_bad_values(kwargs: dict[str, Any]) -> None:
    """A Window needs 0 <= start < end, a known mode and an HTTP status."""
    with pytest.raises(ConfigError):
        Window(**kwargs)


@pytest.mark.parametrize(
    ("text", "window"),
    [
        pytest.param("0:60", Window(start=0.0, end=60.0), id="refuse-default"),
        pytest.param("60:1260:hang", Window(start=60.0, end=1260.0, mode="hang"), id="hang"),
        pytest.param("5:inf:reset", Window(start=5.0, end=math.inf, mode="reset"), id="forever"),
        pytest.param(
            "60:1260:502", Window(start=60.0, end=1260.0, mode="status", status=502), id="status"
        ),
    ],
)
def test_parse_outage(text: str, window: Window) -> None:
    """--outage START:END[:MODE] parses to a Window; a number as MODE is a status."""
    assert parse_outage(text) == window


def test_parse_outage_rejects_garbage() -> None:
    """A malformed --outage is an argparse type error naming the value."""
    with pytest.raises(argparse.ArgumentTypeError, match="'60'"):
        parse_outage("60")


# --- Adobe I/O Events ----------------------------------------------------------------------------

CLOUDEVENTS = {"Content-Type": "application/cloudevents+json; charset=UTF-8"}
VALIDATION_PATH = "/csm/registrations/validate?id=g1&challenge=g2"


@pytest.fixture(scope="module")
def keys() -> tuple[SigningKey, ...]:
    """Three keys, generated once for the module; 1024 bits keeps it fast, and the receiver
    does not care about the size (test_signing covers RSA-2048)."""
    return tuple(SigningKey.generate(bits=1024) for _ in range(3))


def envelope(eventid: str, /, **changes: Any) -> dict[str, Any]:
    """A Lead Activity CloudEvent as I/O Events delivers it; None in `changes` drops a field."""
    event = {
        "eventid": eventid,
        "specversion": "1.0",
        "type": "com.adobe.platform.marketo.activity.standard.clicklink",
        "source": "urn:marketo_activity_stream",
        "id": f"ce-{eventid}",
        "time": "2024-12-17T18:43:56Z",
        "datacontenttype": "application/json",
        "data": {"munchkinId": "123-ABC-456", "leadId": "1234", "activityTypeId": 3},
        "recipientclientid": "your_client_id",
    }
    event.update(changes)
    return {key: value for key, value in event.items() if value is not None}


def counting_app(hits: list[str], answer: Callable[[web.Request], web.Response]) -> web.Application:
    """An app that appends each GET's path (with query) to `hits` and answers with `answer`."""

    async def handle(request: web.Request) -> web.Response:
        hits.append(request.path_qs)
        return answer(request)

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    return app


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


# challenge


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


@virtual
async def test_challenge_style_changes_at_run_time() -> None:
    """Setting challenge_style on a running receiver changes the next answer."""
    async with serving() as (receiver, url, session):
        receiver.challenge_style = "refuse"
        async with session.get(url + "?challenge=c1") as response:
            assert await response.text() == "ok"


def test_challenge_style_rejects_unknown() -> None:
    """An unknown challenge style is a ConfigError naming the choices."""
    with pytest.raises(ConfigError, match="expected one of text, json, refuse"):
        Receiver(challenge_style="ignore")


# asynchronous validation


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


# I/O deliveries


@virtual
async def test_cloudevents_content_type_accepted() -> None:
    """A single envelope sent as application/cloudevents+json is accepted as one I/O event."""
    event = envelope("e-1")
    headers = {**CLOUDEVENTS, "x-adobe-delivery-id": "d-1", "x-adobe-event-id": "e-1"}
    async with serving(record=True) as (receiver, url, session):
        assert await post(session, url, event, headers=headers) == 200
    [kept] = receiver.received
    assert (kept.kind, kept.message_id, kept.events, kept.activities) == ("io", "d-1", [event], [])
    assert kept.headers == {
        "content-type": "application/cloudevents+json; charset=UTF-8",
        "x-adobe-delivery-id": "d-1",
        "x-adobe-event-id": "e-1",
    }
    s = receiver.stats
    assert (s.batches, s.io_batches, s.events, s.bad_requests) == (1, 1, 1, 0)


@virtual
async def test_io_batch_counted_per_event_with_duplicates_by_eventid() -> None:
    """An array is one batch of events; an eventid seen before counts as a duplicate."""
    async with serving(record=True) as (receiver, url, session):
        await post(session, url, [envelope("e-1"), envelope("e-2")], headers=CLOUDEVENTS)
        await post(session, url, [envelope("e-2"), envelope("e-3")], headers=CLOUDEVENTS)
    s = receiver.stats
    assert (s.batches, s.io_batches, s.events, s.duplicates) == (2, 2, 4, 1)
    assert [r.duplicates for r in receiver.received] == [0, 1]


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="eventid"),
        pytest.param({"eventid": None, "event_id": "e-1"}, id="event_id"),
        pytest.param({"eventid": None, "id": "e-1"}, id="cloudevents-id"),
    ],
)
@virtual
async def test_io_event_id_fallbacks(changes: dict[str, Any]) -> None:
    """Duplicates are found by eventid, else the deprecated event_id, else the CloudEvents id."""
    event = envelope("e-1", **changes)
    async with serving() as (receiver, url, session):
        await post(session, url, event)
        await post(session, url, event)
    assert (receiver.stats.events, receiver.stats.duplicates) == (2, 1)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(
            [{"specversion": "1.0"}], "events[0]: no eventid, event_id or id string", id="no-id"
        ),
        pytest.param([envelope("e-1"), "x"], "events[1]: not a JSON object", id="not-object"),
        pytest.param({"validationUrl": 5}, "validationUrl: not a string", id="validation"),
    ],
)
@virtual
async def test_bad_io_body_is_400(body: object, reason: str) -> None:
    """An I/O body without event ids, or a validationUrl that is no string, is answered 400."""
    async with (
        serving() as (receiver, url, session),
        session.post(url, data=orjson.dumps(body)) as response,
    ):
        assert (response.status, await response.text()) == (400, f"Bad Request: {reason}")
    assert (receiver.stats.bad_requests, receiver.stats.batches) == (1, 0)


@virtual
async def test_io_log_line() -> None:
    """An I/O delivery logs its event count, first event id, retry count and signature state."""
    lines: list[str] = []
    headers = {**CLOUDEVENTS, "x-adobe-retry-count": "2"}
    async with serving(log=lines.append) as (_, url, session):
        await post(session, url, [envelope("e-1"), envelope("e-2")], headers=headers)
        await post(session, url, envelope("e-3"))
    assert lines == [
        "+00:00:00.000 POST 200 io events=2 first=e-1 retry=2 dup=0 sig=-",
        "+00:00:00.000 POST 200 io events=1 first=e-3 dup=0 sig=-",
    ]


@virtual
async def test_io_bodies_written_as_json_lines() -> None:
    """Accepted I/O bodies go to `bodies` one JSON line each, like legacy batches."""
    out = io.StringIO()
    async with serving(bodies=out) as (_, url, session):
        await post(session, url, orjson.dumps([envelope("e-1")], option=orjson.OPT_INDENT_2))
    assert [orjson.loads(line) for line in out.getvalue().splitlines()] == [[envelope("e-1")]]


# signatures


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


# command line


def test_serve_io_flags(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`receive` with the I/O flags answers JSON challenges and 401s unsigned deliveries."""
    monkeypatch.setenv("SIM_IO_SECRET", "io-SECRET")
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        [
            *("--port", "0", "--challenge", "json", "--verify-signatures"),
            *("--key-base-url", "http://127.0.0.1:9", "--reject-bad-signatures"),
            *("--hmac-secret-env", "SIM_IO_SECRET"),
        ]
    )

    out = ""

    async def scenario() -> int:
        nonlocal out
        task = asyncio.create_task(serve(args))
        await asyncio.sleep(1.0)
        out = capsys.readouterr().out
        url = out.split("receiving on ")[1].split()[0]
        async with aiohttp.ClientSession() as session:
            async with session.get(url + "?challenge=c1") as response:
                assert await response.json() == {"challenge": "c1"}
            assert await post(session, url, [envelope("e-1")], headers=CLOUDEVENTS) == 401
        task.cancel()
        return await task

    assert run_virtual(scenario()) == 0
    out += capsys.readouterr().out
    assert "challenge: json\n" in out
    assert (
        "signatures: digital (keys from http://127.0.0.1:9) + hmac (secret: set from"
        " $SIM_IO_SECRET), bad ones answered 401\n"
    ) in out
    assert "SECRET" not in out.replace("$SIM_IO_SECRET", "")
    assert "POST 401 io events=1 first=e-1 sig=BAD" in out


def test_serve_verify_without_key_url_is_config_error() -> None:
    """`--verify-signatures` without `--key-base-url` stops with a ConfigError."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--port", "0", "--verify-signatures"])
    with pytest.raises(ConfigError, match="needs key_base_url"):
        run_virtual(serve(args))
