"""The dev endpoint, over real HTTP on 127.0.0.1, with time played by a looptime loop."""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import functools
import io
import math
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import aiohttp
import looptime
import orjson
import pytest

from simulator.errors import ConfigError
from simulator.receiver import (
    Behaviour,
    OAuthServer,
    Receiver,
    Window,
    add_arguments,
    parse_outage,
    serve,
)

CLIENT = OAuthServer(client_id="acme-client", client_secret="cs-SECRET-value", token_ttl=10.0)
GRANT = {"grant_type": "client_credentials"}


def run_virtual(coro: Coroutine[Any, Any, Any]) -> Any:
    with asyncio.Runner(loop_factory=lambda: looptime.new_event_loop(start=0.0)) as runner:
        return runner.run(coro)


def virtual(test: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
    """Run an async test body as a sync test, on a looptime loop starting at 0.0."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return run_virtual(test(*args, **kwargs))

    return wrapper


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
