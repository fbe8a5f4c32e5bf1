"""The Receiver's routes (simulator.endpoint.routing), over real HTTP on 127.0.0.1 with time
played by a looptime loop: what GET and POST answer, the control routes, the log lines, and
where it may listen."""

from __future__ import annotations

import asyncio

import pytest
from loopback import virtual
from receiving import (
    CLIENT,
    CLOUDEVENTS,
    GRANT,
    basic_auth,
    batch,
    bearer,
    envelope,
    get_token,
    post,
    serving,
)

from simulator.endpoint.routing import Receiver
from simulator.errors import ConfigError

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


# --- POST ----------------------------------------------------------------------------------------


@virtual
async def test_post_counts_batch_and_events() -> None:
    """An accepted POST on any path counts one batch and its events."""
    async with serving() as (receiver, url, session):
        assert await post(session, url + "marketo/hook", batch("a", "b", "c")) == 200
    s = receiver.stats
    assert (s.requests, s.batches, s.events, s.duplicates, s.statuses) == (1, 1, 3, 0, {200: 1})


@virtual
async def test_dedupe_off_counts_no_duplicates() -> None:
    """dedupe=False keeps no GUIDs and counts no duplicates."""
    async with serving(dedupe=False) as (receiver, url, session):
        await post(session, url, batch("a"))
        await post(session, url, batch("a"))
    assert (receiver.stats.batches, receiver.stats.duplicates) == (2, 0)


@virtual
async def test_body_over_max_is_413() -> None:
    """A body larger than max_body is answered 413 and not counted."""
    async with serving(max_body=100) as (receiver, url, session):
        assert await post(session, url, batch("a" * 200)) == 413
    assert (receiver.stats.too_large, receiver.stats.batches) == (1, 0)


# --- control routes ------------------------------------------------------------------------------


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


# --- configuration -------------------------------------------------------------------------------


@virtual
async def test_start_refuses_non_loopback_host() -> None:
    """start() binds loopback addresses only."""
    with pytest.raises(ConfigError, match="loopback"):
        await Receiver().start(host="0.0.0.0")
