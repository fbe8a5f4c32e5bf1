"""A dev endpoint you can leave running (issue 9): its control routes need the token when one is
set, behaviour values are bounded, IdP tokens are random, malformed HTTP is one log line, and
idle keep-alive connections are closed. Over real HTTP on 127.0.0.1, on the virtual clock."""

from __future__ import annotations

import argparse
import asyncio

import pytest
from loopback import virtual
from receiving import GRANT, basic_auth, bearer, get_token, post, serving

from simulator.core.behaviour import Behaviour
from simulator.endpoint.flags import add_arguments
from simulator.endpoint.idp import OAuthServer
from simulator.endpoint.routing import IDLE_TIMEOUT, Receiver

CONTROL = [("GET", "_sim/stats"), ("GET", "_sim/behaviour"), ("PUT", "_sim/behaviour")]


@pytest.mark.parametrize(("method", "path"), CONTROL)
@virtual
async def test_a_control_route_needs_the_token_when_one_is_set(method: str, path: str) -> None:
    """Without the token: 401 and the behaviour untouched; with it: 200."""
    async with serving(token="tok-SECRET") as (receiver, url, session):
        async with session.request(method, url + path, json={"status": 500}) as refused:
            assert refused.status == 401
            assert (await refused.json())["error"] == (
                "the control routes need the token: Authorization: Bearer <token>"
            )
        assert receiver.behaviour == Behaviour()
        headers = bearer("tok-SECRET")
        async with session.request(method, url + path, json={}, headers=headers) as allowed:
            assert allowed.status == 200


@virtual
async def test_control_routes_stay_open_without_a_token() -> None:
    """A receiver without a static token keeps its control routes open, as before."""
    async with serving() as (_, url, session), session.get(url + "_sim/stats") as response:
        assert response.status == 200


@pytest.mark.parametrize(
    ("body", "error"),
    [
        pytest.param({"latency": 1e308}, "latency: 1e+308 is not between 0 and 3600s", id="1e308"),
        pytest.param({"latency": 3601}, "latency: 3601 is not between 0 and 3600s", id="3601"),
        pytest.param({"status": 150}, "status: 150 is not a final HTTP status (200-599)", id="1xx"),
    ],
)
@virtual
async def test_an_out_of_bounds_behaviour_is_refused_with_400(body: object, error: str) -> None:
    """`{"latency": 1e308}` stopped every answer; now it is a 400 saying why, and the receiver
    goes on answering."""
    async with serving() as (receiver, url, session):
        async with session.put(url + "_sim/behaviour", json=body) as response:
            assert (response.status, await response.json()) == (400, {"error": error})
        assert await post(session, url) == 200
    assert receiver.behaviour == Behaviour()


@virtual
async def test_idp_tokens_are_random_and_never_logged() -> None:
    """Two receivers with the same seed issue different tokens, and no log line shows one."""
    client = OAuthServer(client_id="cid", client_secret="csecret", token_ttl=60.0)
    lines: list[str] = []
    tokens = []
    for _ in range(2):
        async with serving(oauth=client, seed=7, log=lines.append) as (_, url, session):
            basic = basic_auth("cid", "csecret")
            tokens.append(await get_token(session, url, data=GRANT, headers=basic))
    assert tokens[0] != tokens[1]
    assert all(token.startswith("sim-") and len(token) == 44 for token in tokens)
    assert not [line for line in lines if any(token in line for token in tokens)]


async def _send_raw(url: str, raw: bytes) -> bytes:
    """Send `raw` bytes to the receiver and read the status line it answers."""
    host, port = url.removeprefix("http://").strip("/").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(raw)
    status = await reader.readline()
    writer.close()
    await writer.wait_closed()
    return status


@virtual
async def test_malformed_http_is_one_log_line() -> None:
    """A request aiohttp cannot parse is answered 400 and logged as one line, no traceback."""
    lines: list[str] = []
    async with serving(log=lines.append) as (_, url, _session):
        raw = b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"
        assert await _send_raw(url, raw) == b"HTTP/1.0 400 Bad Request\r\n"
        await asyncio.sleep(0.1)
    assert lines == [
        "+00:00:00.000 Error handling request from 127.0.0.1: "
        "BadHttpMessage: Invalid header token: b'Bad Header' ^"
    ]


@virtual
async def test_malformed_http_is_one_line_on_stderr_when_quiet(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without a request log (`--quiet`, or the embedded receiver), the one line goes to
    stderr: still no traceback."""
    async with serving() as (_, url, _session):
        await _send_raw(url, b"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n")
        await asyncio.sleep(0.1)
    assert capsys.readouterr().err.splitlines() == [
        "+00:00:00.000 Error handling request from 127.0.0.1: "
        "BadHttpMessage: Invalid character in Content-Length: b'Content-Length: abc' ^"
    ]


@virtual
async def test_an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() -> None:
    """A connection left idle after its answer is closed at `idle_timeout`, not an hour later."""
    receiver = Receiver(idle_timeout=5.0)
    url = await receiver.start()
    loop = asyncio.get_running_loop()
    try:
        host, port = url.removeprefix("http://").strip("/").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await reader.readuntil(b"ok")
        answered = loop.time()
        assert await reader.read() == b""  # the server closes it
        assert 5.0 <= loop.time() - answered < 6.0
        writer.close()
    finally:
        await receiver.stop()


def test_receive_closes_idle_connections_after_a_minute_by_default() -> None:
    """The documented default of `marketo-sim receive --idle-timeout`: 60 s, longer than a push
    interval; the embedded receiver keeps aiohttp's hour."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert (IDLE_TIMEOUT, parser.parse_args([]).idle_timeout) == (60.0, 60.0)
    assert Receiver().idle_timeout == 3630.0
