"""The virtual clock waits for our own requests' bytes still on their way (`shell.transit`).

A loaded machine can hand loopback bytes over milliseconds late; time then jumped meanwhile, at
worst to the request's own timeout. Here a relay in threads (`SlowRelay`) holds every chunk
30 ms of real time, far past looptime's no-op cycles: without the wait every push below times out
after 20 simulated seconds. With it, each answer comes at the simulated instant the server gave
it, and what a server does on the virtual clock (sleeping, hanging) still takes no real time.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress

import aiohttp
import pytest
from aiohttp import web
from loopback import SlowRelay, client_session, served, virtual
from yarl import URL

from simulator.core.outcome import Outcome, OutcomeKind
from simulator.endpoint.receiver import Receiver
from simulator.errors import ConfigError
from simulator.shell import transit
from simulator.shell.servers import serve_on_loopback
from simulator.shell.transport import HttpTransport
from simulator.testing.asgi import AsgiApp, Message, Scope, serve_asgi

Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

DELAY = 0.03  # real seconds the relay holds each chunk
LATENCY = 0.25  # simulated seconds the server takes to answer
BIG = b'{"activities": [' + b'{"id": 1},' * 40_000 + b"{}]}"  # 400 kB: many chunks


def answering_after(latency: float) -> web.Application:
    async def push(request: web.Request) -> web.Response:
        await request.read()
        await asyncio.sleep(latency)
        return web.Response(status=200)

    app = web.Application(client_max_size=1024**2)
    app.router.add_post("/", push)
    return app


def asgi_answering_after(*latencies: float) -> AsgiApp:
    """An ASGI app that reads each request whole and answers 200 after the next of `latencies`
    (simulated seconds); no lifespan work."""
    left = list(latencies)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        while (await receive()).get("more_body"):
            pass
        await asyncio.sleep(left.pop(0))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return app


@asynccontextmanager
async def relayed_asgi(app: AsgiApp) -> AsyncIterator[str]:
    """`app` served by uvicorn in the loop, reached through the slow relay."""
    server, url = await serve_asgi(app)
    try:
        port = URL(url).port
        assert port is not None
        with SlowRelay(port, DELAY) as relay:
            yield relay
    finally:
        await server.cleanup()


@asynccontextmanager
async def relayed(app: web.Application) -> AsyncIterator[str]:
    """`app` served in the loop, reached through the slow relay."""
    async with served(app) as url:
        port = URL(url).port
        assert port is not None
        with SlowRelay(port, DELAY) as relay:
            yield relay


async def push(url: str, body: bytes = b"{}") -> Outcome:
    """One push with the contract's 20 s timeout."""
    async with HttpTransport() as client:
        return await client.post(url, body, {"Content-Type": "application/json"}, timeout=20.0)


@virtual
async def test_a_push_whose_bytes_come_late_is_answered_at_the_servers_instant() -> None:
    async with relayed(answering_after(LATENCY)) as url:
        outcome = await push(url)
    assert (outcome.kind, outcome.status, outcome.latency) == (OutcomeKind.SUCCESS, 200, LATENCY)


@virtual
async def test_a_body_of_many_late_chunks_is_answered_at_the_servers_instant() -> None:
    async with relayed(answering_after(LATENCY)) as url:
        outcome = await push(url, BIG)
    assert (outcome.kind, outcome.latency) == (OutcomeKind.SUCCESS, LATENCY)


@virtual
async def test_pushes_on_one_kept_alive_connection_all_come_back_at_their_instants() -> None:
    async with relayed(answering_after(LATENCY)) as url, HttpTransport() as client:
        outcomes = [await client.post(url, b"{}", {}, timeout=20.0) for _ in range(5)]
    assert [o.latency for o in outcomes] == [LATENCY] * 5


@virtual
async def test_a_server_that_sleeps_past_the_timeout_still_times_out_at_20_s() -> None:
    async with relayed(answering_after(25.0)) as url:
        outcome = await push(url)
    assert (outcome.kind, outcome.latency) == (OutcomeKind.TIMEOUT, 20.0)


@virtual
async def test_an_asgi_app_is_waited_for_like_an_aiohttp_one() -> None:
    async with relayed_asgi(asgi_answering_after(LATENCY)) as url:
        outcome = await push(url, BIG)
    assert (outcome.kind, outcome.latency) == (OutcomeKind.SUCCESS, LATENCY)


@virtual
async def test_the_counts_are_even_once_every_exchange_has_ended() -> None:
    async with relayed(answering_after(LATENCY)) as url:
        await push(url, BIG)
        await push(url)
    counts = transit.transit()
    assert (counts.carried, counts.held) == (0, 0)


def test_the_wait_is_bounded_when_the_answer_never_comes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A peer outside the loop that never answers: each jump waits a bounded number of steps,
    then the clock moves on and the push times out on simulated time."""
    monkeypatch.setattr(transit, "HOLD_STEPS", 5)

    @virtual
    async def body() -> Outcome:
        # It listens, so the kernel completes connections and buffers requests; never accepts.
        with (
            socket.create_server(("127.0.0.1", 0)) as silent,
            SlowRelay(silent.getsockname()[1], DELAY) as relay,
        ):
            return await push(relay)

    outcome = body()
    assert (outcome.kind, outcome.latency) == (OutcomeKind.TIMEOUT, 20.0)


@virtual
async def test_a_session_traced_by_transit_is_waited_for_like_our_own() -> None:
    """A session not ours, traced (`tracing()`, as `sim.client()` and the tests' own are): its
    request's late bytes hold the clock too, so the answer comes at the server's instant."""
    loop = asyncio.get_running_loop()
    async with (
        relayed(answering_after(LATENCY)) as url,
        client_session() as http,
    ):
        started = loop.time()
        async with http.post(url, data=b"{}", timeout=aiohttp.ClientTimeout(total=20)) as answer:
            status = answer.status
        took = loop.time() - started
    assert (status, took) == (200, LATENCY)
    assert transit.transit().carried == 0


# --- the bound ---------------------------------------------------------------------------------


def test_a_wait_that_gives_up_does_so_once_per_jump(monkeypatch: pytest.MonkeyPatch) -> None:
    """Something counted as on its way never comes: the jump waits once, for its bound, and
    not again at each of looptime's no-op cycles; the clock then lands exactly on time."""
    monkeypatch.setattr(transit, "HOLD_STEPS", 3)

    @virtual
    async def body() -> tuple[float, int]:
        loop = asyncio.get_running_loop()
        counts = transit.transit()
        started = loop.time()
        with counts.carrying():
            await asyncio.sleep(5)
        return loop.time() - started, counts.waits

    assert body() == (5.0, 1)


# --- what holding changes, and where -------------------------------------------------------------


@virtual
async def test_a_handler_reading_the_body_as_a_stream_gets_all_of_it() -> None:
    """The middleware reads each request whole before the handler; a handler that streams the
    body (`request.content`) still gets every byte."""
    seen: list[int] = []

    async def streaming(request: web.Request) -> web.Response:
        seen.append(sum([len(chunk) async for chunk in request.content.iter_chunked(4096)]))
        return web.Response(status=200)

    app = web.Application(client_max_size=1024**2)
    app.router.add_post("/", streaming)
    async with served(app) as url:
        outcome = await push(url, BIG)
    assert (outcome.kind, seen) == (OutcomeKind.SUCCESS, [len(BIG)])


@virtual
async def test_a_foreign_request_waiting_at_an_uncounted_server_hides_nothing() -> None:
    """A client not ours (a consumer's own key or journal request) waits 30 s at a server left
    uncounted, as the publisher is: our push on its way through the relay is still waited
    for, and answered at the server's instant."""

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.Response(status=200)

    uncounted = web.Application()
    uncounted.router.add_get("/", slow)
    runner, elsewhere = await serve_on_loopback(uncounted, counted=False)
    try:
        async with aiohttp.ClientSession() as foreign:  # not traced: a consumer's own
            waiting = asyncio.ensure_future(foreign.get(elsewhere))
            async with relayed(answering_after(LATENCY)) as url:
                outcome = await push(url)
            waiting.cancel()
            with suppress(asyncio.CancelledError):
                await waiting
    finally:
        await runner.cleanup()
    assert (outcome.kind, outcome.latency) == (OutcomeKind.SUCCESS, LATENCY)


@virtual
async def test_an_asgi_app_still_busy_after_its_client_left_holds_nothing() -> None:
    """The app takes 30 s over the first request: the first push times out at 20 s; uvicorn does not
    cancel the app, yet the client's going ends the hold, so the next push, answered by a
    quick app, comes back at its instant instead of when the sleeping one wakes."""
    async with relayed_asgi(asgi_answering_after(30.0, LATENCY)) as url:
        first, second = await push(url), await push(url)
    assert (first.kind, first.latency) == (OutcomeKind.TIMEOUT, 20.0)
    assert (second.kind, second.latency) == (OutcomeKind.SUCCESS, LATENCY)


@virtual
async def test_a_compressed_body_is_left_to_the_handler() -> None:
    """A gzip body's size is known only once inflated: the dev endpoint itself refuses one over
    its bound, with its own 413, count and log line."""
    receiver = Receiver(max_body=10_000)
    url = await receiver.start()
    try:
        body = gzip.compress(b'{"activities": [' + b'{"id": 1},' * 10_000 + b"{}]}")
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        async with HttpTransport() as client:
            outcome = await client.post(url, body, headers, timeout=20.0)
    finally:
        await receiver.stop()
    assert (outcome.status, receiver.stats.too_large) == (413, 1)


@virtual
async def test_an_app_served_before_is_refused_on_the_virtual_clock() -> None:
    app = answering_after(0)
    async with served(app):
        pass
    with pytest.raises(ConfigError, match="served before"):
        await serve_on_loopback(app, what="the consumer app")


def test_on_the_real_clock_nothing_is_added_to_an_app() -> None:
    """No gate reads the counts there: requests are handled as they come (a refusal before
    the body is read, as the dev endpoint's docstring says)."""

    async def body() -> list[object]:
        app = answering_after(0)
        runner, _ = await serve_on_loopback(app)
        await runner.cleanup()
        return list(app.middlewares)

    assert asyncio.run(body()) == []
