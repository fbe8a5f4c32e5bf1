"""The transport: what an HTTP exchange with the consumer comes to, over loopback and from the fake
transport's handler, on the virtual clock."""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Iterator

import aiohttp
import pytest
from aiohttp import web
from loopback import served, virtual

from simulator.core.outcome import Outcome, OutcomeKind
from simulator.endpoint.routing import Receiver
from simulator.errors import ConfigError
from simulator.shell.faketransport import FakeTransport, Request
from simulator.shell.transit import transit
from simulator.shell.transport import (
    HttpTransport,
    describe,
    reserve_descriptors,
    status_outcome,
)

HEADERS = {"Content-Type": "application/json"}
SEEN = web.AppKey("seen", list)


def consumer(*, status: int = 200, latency: float = 0.0, body: bytes = b"") -> web.Application:
    """An app that answers every request to / after `latency` seconds; /moved redirects to /."""
    app = web.Application()
    seen: list[str] = []
    app[SEEN] = seen

    async def answer(request: web.Request) -> web.Response:
        seen.append(request.method)
        await asyncio.sleep(latency)
        return web.Response(status=status, body=body)

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/")

    app.router.add_route("*", "/", answer)
    app.router.add_post("/moved", moved)
    return app


# -- HttpTransport, over loopback ----------------------------------------------------------------


@virtual
async def test_a_2xx_answer_is_a_success_with_its_latency() -> None:
    """A 202 after 1.5 s: success, status 202, latency 1.5 s."""
    async with served(consumer(status=202, latency=1.5)) as url, HttpTransport() as transport:
        outcome = await transport.post(url, b"{}", HEADERS, timeout=20.0)
    assert outcome == Outcome(OutcomeKind.SUCCESS, 202, 1.5, "")


@virtual
async def test_a_redirect_is_a_failure_and_is_not_followed() -> None:
    """A 302 fails the push; the redirect target never sees a request."""
    app = consumer()
    async with served(app) as url, HttpTransport() as transport:
        outcome = await transport.post(url + "moved", b"{}", HEADERS, timeout=20.0)
    assert outcome == Outcome(OutcomeKind.HTTP_ERROR, 302, 0.0, "redirect not followed")
    assert app[SEEN] == []


@virtual
async def test_no_answer_within_the_timeout_is_a_timeout_at_exactly_the_timeout() -> None:
    """An answer that would take 30 s times out at 20 s."""
    async with served(consumer(latency=30.0)) as url, HttpTransport() as transport:
        outcome = await transport.post(url, b"{}", HEADERS, timeout=20.0)
    assert outcome == Outcome(OutcomeKind.TIMEOUT, None, 20.0, "no answer in 20s")


@virtual
async def test_a_response_body_is_read_only_up_to_the_bound() -> None:
    """A 100,000-byte body read with a 65,536-byte bound: the first 65,536 bytes."""
    body = bytes(range(256)) * 400
    async with (
        served(consumer(body=body)) as url,
        HttpTransport(max_response_bytes=65_536) as transport,
    ):
        outcome, got = await transport.get(url, {}, timeout=20.0)
    assert outcome.ok
    assert got == body[:65_536]


@virtual
async def test_nothing_listening_is_a_connection_error() -> None:
    """A port nobody listens on: a connection error that names the address."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with HttpTransport() as transport:
        outcome = await transport.post(f"http://127.0.0.1:{port}/", b"{}", HEADERS, timeout=20.0)
    assert outcome.kind is OutcomeKind.CONNECTION_ERROR
    assert outcome.detail.startswith(f"cannot connect to 127.0.0.1:{port}")


@virtual
async def test_a_pool_keeps_the_rules_and_its_own_connections() -> None:
    """A lane's pool of one connection: its request hangs 30 s and times out at 20 s, while a
    request through another pool is answered at once; redirects stay unfollowed in pools."""
    async with (
        served(consumer(latency=30.0)) as slow,
        served(consumer()) as fast,
        HttpTransport() as transport,
    ):
        hung, other = transport.pool(limit=1), transport.pool(limit=1)
        waiting = asyncio.ensure_future(hung.post(slow, b"{}", HEADERS, timeout=20.0))
        await asyncio.sleep(1.0)
        answered = await other.post(fast, b"{}", HEADERS, timeout=20.0)
        moved = await other.post(fast + "moved", b"{}", HEADERS, timeout=20.0)
        timed_out = await waiting
    assert answered == Outcome(OutcomeKind.SUCCESS, 200, 0.0, "")
    assert moved == Outcome(OutcomeKind.HTTP_ERROR, 302, 0.0, "redirect not followed")
    assert timed_out == Outcome(OutcomeKind.TIMEOUT, None, 20.0, "no answer in 20s")


def test_a_pool_needs_a_connection() -> None:
    """A pool of no connections could never send: refused."""
    with pytest.raises(ValueError, match="at least one connection"):
        HttpTransport().pool(limit=0)


def test_describe_says_what_failed_without_a_traceback() -> None:
    """A reset, a server that hung up, and anything else, each in a few words."""
    reset = ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
    assert describe(reset) == "connection reset by peer"
    assert describe(aiohttp.ServerDisconnectedError()) == (
        "server closed the connection without answering"
    )
    assert describe(ValueError("odd")) == "ValueError: odd"


def test_a_status_comes_to_success_redirect_or_failure() -> None:
    """200 succeeds, 301 is a redirect not followed, 503 fails."""
    assert status_outcome(200, 0.5) == Outcome(OutcomeKind.SUCCESS, 200, 0.5, "")
    assert status_outcome(301, 0.5) == Outcome(
        OutcomeKind.HTTP_ERROR, 301, 0.5, "redirect not followed"
    )
    assert status_outcome(503, 0.5) == Outcome(OutcomeKind.HTTP_ERROR, 503, 0.5, "")


# -- FakeTransport -------------------------------------------------------------------------------


@virtual
async def test_the_fake_answers_with_the_handlers_status_and_keeps_the_request() -> None:
    """A handler returning 503: a failed outcome, and the request as it was sent."""
    transport = FakeTransport(lambda request: 503)
    await asyncio.sleep(7.0)
    outcome = await transport.post("http://consumer/", b"[1]", {"X-Id": "a"}, timeout=20.0)
    assert outcome == Outcome(OutcomeKind.HTTP_ERROR, 503, 0.0, "")
    assert transport.requests == [Request("POST", "http://consumer/", {"X-Id": "a"}, b"[1]", 7.0)]


@virtual
async def test_the_fakes_latency_passes_on_the_loops_clock() -> None:
    """An answer with a 2.5 s latency returns 2.5 s of loop time later."""
    loop = asyncio.get_running_loop()
    transport = FakeTransport(lambda request: Outcome(OutcomeKind.SUCCESS, 200, 2.5))
    outcome = await transport.post("http://consumer/", b"", {}, timeout=20.0)
    assert (outcome.latency, loop.time()) == (2.5, 2.5)


@virtual
async def test_the_fake_times_out_like_the_real_transport() -> None:
    """An answer that would take 25 s times out at exactly 20 s."""
    loop = asyncio.get_running_loop()
    transport = FakeTransport(lambda request: Outcome(OutcomeKind.SUCCESS, 200, 25.0))
    outcome = await transport.post("http://consumer/", b"", {}, timeout=20.0)
    assert outcome == Outcome(OutcomeKind.TIMEOUT, None, 20.0, "no answer in 20s")
    assert loop.time() == 20.0


@virtual
async def test_the_fake_returns_a_body_for_a_get() -> None:
    """A (status, body) answer: the GET returns both."""
    transport = FakeTransport(lambda request: (200, b"c-123"))
    outcome, body = await transport.get("http://consumer/?challenge=c-123", {}, timeout=10.0)
    assert (outcome.status, body) == (200, b"c-123")
    assert transport.requests[0].method == "GET"


@pytest.fixture
def soft_limit() -> Iterator[tuple[int, int]]:
    """The open-files limit, its soft part lowered to 900 for the test and restored after."""
    resource = pytest.importorskip("resource")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1000:
        pytest.skip("the hard limit is too low to raise a soft limit of 900 past 1,000")
    resource.setrlimit(resource.RLIMIT_NOFILE, (900, hard))
    try:
        yield 900, hard
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_thousand_connections_raise_the_soft_limit_on_open_files(
    soft_limit: tuple[int, int],
) -> None:
    """A soft limit of 900 and 1,000 descriptors needed: raised to the hard limit."""
    import resource

    reserve_descriptors(1000)
    _, hard = soft_limit
    expected = 1000 if hard == resource.RLIM_INFINITY else hard
    assert resource.getrlimit(resource.RLIMIT_NOFILE) == (expected, hard)


def test_enough_open_files_are_left_alone(soft_limit: tuple[int, int]) -> None:
    """800 descriptors under a soft limit of 900: nothing changes."""
    import resource

    reserve_descriptors(800)
    assert resource.getrlimit(resource.RLIMIT_NOFILE) == soft_limit


def test_more_open_files_than_the_hard_limit_is_a_config_error() -> None:
    """Past the hard limit nothing can be raised: the error says how many and what to do."""
    resource = pytest.importorskip("resource")
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        pytest.skip("no hard limit on open files here")
    with pytest.raises(ConfigError, match=rf"needs about {hard + 1} open files .* at most {hard}"):
        reserve_descriptors(hard + 1)


# -- a pooled connection closed under a push ---------------------------------------------------


class Scripted:
    """A bare HTTP/1.1 server on 127.0.0.1 that meets each request it reads, in order, with the
    next step of its script: "answer" (200, kept alive), "close" (close without a byte of an
    answer), "partial" (the start of a status line, then close) or "hang" (never answer)."""

    def __init__(self, *script: str) -> None:
        self.script = list(script)
        self.connections = 0
        self.requests = 0
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/"

    async def __aexit__(self, *exc_info: object) -> None:
        assert self.server is not None
        for writer in self.writers:
            writer.close()
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                length = next(
                    int(line.split(b":")[1])
                    for line in head.lower().split(b"\r\n")
                    if line.startswith(b"content-length:")
                )
                await reader.readexactly(length)
                self.requests += 1
                step = self.script.pop(0)
                if step == "answer":
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                    continue
                if step == "partial":
                    writer.write(b"HTTP/1.1 2")
                elif step == "hang":
                    # Held, as the simulator's own servers hold what they handle: the virtual
                    # clock waits for bytes on their way, not for a server that never answers.
                    with transit().holding():
                        await reader.read()  # until the client gives up and closes
                break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def two_pushes(url: str, transport: HttpTransport) -> Outcome:
    """A first push that opens the pool's connection, then the push under test on it (each
    with a 20 s timeout)."""
    assert (await transport.post(url, b"{}", HEADERS, timeout=20.0)).ok
    return await transport.post(url, b"{}", HEADERS, timeout=20.0)


@virtual
async def test_a_reused_connection_closed_before_any_answer_is_sent_again_on_a_new_one() -> None:
    """The consumer closes the pooled connection as the second push arrives, with no byte of an
    answer: the push is sent once more, on a new connection, and its answer is the outcome."""
    scripted = Scripted("answer", "close", "answer")
    async with scripted as url, HttpTransport() as transport:
        outcome = await two_pushes(url, transport)
    assert outcome == Outcome(OutcomeKind.SUCCESS, 200, 0.0, "")
    assert (scripted.connections, scripted.requests, transport.stale_retries) == (2, 3, 1)


@virtual
async def test_the_same_close_is_sent_again_only_once() -> None:
    """The new connection is closed too: that is the outcome, a connection error."""
    scripted = Scripted("answer", "close", "close")
    async with scripted as url, HttpTransport() as transport:
        outcome = await two_pushes(url, transport)
    assert (outcome.kind, outcome.detail) == (
        OutcomeKind.CONNECTION_ERROR,
        "server closed the connection without answering",
    )
    assert (scripted.requests, transport.stale_retries) == (3, 1)


@virtual
async def test_a_new_connection_closed_before_any_answer_is_not_sent_again() -> None:
    """On a connection opened for it, a close is the consumer's doing: a connection error."""
    scripted = Scripted("close")
    async with scripted as url, HttpTransport() as transport:
        outcome = await transport.post(url, b"{}", HEADERS, timeout=20.0)
    assert outcome.kind is OutcomeKind.CONNECTION_ERROR
    assert (scripted.requests, transport.stale_retries) == (1, 0)


@virtual
async def test_a_close_after_the_start_of_an_answer_is_not_sent_again() -> None:
    """The consumer began answering, so it had the request: a connection error, no resend."""
    scripted = Scripted("answer", "partial")
    async with scripted as url, HttpTransport() as transport:
        outcome = await two_pushes(url, transport)
    assert outcome.kind is OutcomeKind.CONNECTION_ERROR
    assert (scripted.requests, transport.stale_retries) == (2, 0)


@virtual
async def test_a_timeout_on_a_reused_connection_is_not_sent_again() -> None:
    """No answer within the timeout is a timeout at exactly the timeout, never a resend."""
    scripted = Scripted("answer", "hang")
    async with scripted as url, HttpTransport() as transport:
        outcome = await two_pushes(url, transport)
    assert (outcome.kind, outcome.latency) == (OutcomeKind.TIMEOUT, 20.0)
    assert (scripted.requests, transport.stale_retries) == (2, 0)


@virtual
async def test_with_retry_stale_off_the_close_is_a_connection_error() -> None:
    """`retry_stale=False` (a pool's setting too): the stale connection's close is the outcome."""
    scripted = Scripted("answer", "close")
    async with scripted as url, HttpTransport() as shared:
        outcome = await two_pushes(url, shared.pool(1, retry_stale=False))
    assert outcome.kind is OutcomeKind.CONNECTION_ERROR
    assert scripted.requests == 2


PUSH_GAPS = (1.998, 1.999, 2.0, 2.001, 2.002)  # seconds after an answer: around the idle close


async def pushes_around_the_idle_close(transport: HttpTransport) -> tuple[list[Outcome], int]:
    """A push, then a push at each of PUSH_GAPS after the previous answer, to the dev endpoint
    closing idle connections after 2 s; the outcomes and the requests it received."""
    receiver = Receiver(idle_timeout=2.0)
    url = await receiver.start()
    outcomes = []
    try:
        outcomes.append(await transport.post(url, b"{}", HEADERS, timeout=20.0))
        for gap in PUSH_GAPS:
            await asyncio.sleep(gap)
            outcomes.append(await transport.post(url, b"{}", HEADERS, timeout=20.0))
    finally:
        await receiver.stop()
    return outcomes, receiver.stats.requests


@virtual
async def test_pushes_at_the_instant_the_dev_endpoint_closes_idle_connections_all_arrive() -> None:
    """The dev endpoint with a 2 s idle timeout, pushed to around each close: every push is
    answered, each received once (the one that met the close was sent again)."""
    async with HttpTransport() as transport:
        outcomes, received = await pushes_around_the_idle_close(transport)
        assert transport.stale_retries >= 1
    assert [o.status for o in outcomes] == [400] * 6  # `{}` is no batch: an answer all the same
    assert received == 6


@virtual
async def test_the_same_pushes_without_the_resend_meet_the_close() -> None:
    """Without the resend, a push meets the closing connection: the race the resend is for."""
    async with HttpTransport(retry_stale=False) as transport:
        outcomes, _ = await pushes_around_the_idle_close(transport)
    assert "server closed the connection without answering" in [o.detail for o in outcomes]
