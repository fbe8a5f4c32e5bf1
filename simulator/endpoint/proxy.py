"""A fault-injecting proxy in front of a real consumer, the way Toxiproxy stands in front of a
service: the producer pushes to the proxy on 127.0.0.1, which forwards to the consumer unless
its `Behaviour` (the dev endpoint's, `simulator.core.behaviour`) says to fail the request.

What it does with a request, in this order (the dev endpoint's order, without its own checks):
- an outage window covering now: refuse, hang, reset (`faults`) or answer its status; the
  consumer sees nothing;
- on a POST (a delivery): `hang` or `reset`; then one draw against `failure_rate`, keyed on the
  delivery's id and time as at the dev endpoint (`faults.Draws`), which picks `failure_status`,
  else `status`. A non-2xx status is answered after `latency`, without
  forwarding: the consumer never sees that batch, as behind a failing gateway. A 2xx status
  forwards after `latency`, added to the consumer's own time, and passes its answer back;
- a GET (an Adobe I/O challenge) is forwarded as it came.
Forwarding keeps the method, the body, the query and the headers but the hop-by-hop ones, follows
no redirect, and reads at most `max_response` bytes of the consumer's answer. A consumer that
cannot be reached shows as a dropped connection, as it would without the proxy.

Time is `now()`: the producer's clock when the caller gives it (outage windows then line up with
the run's steps), else loop time since `start()`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import aiohttp
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from simulator.core.behaviour import DEFAULT_BEHAVIOUR, Behaviour, Window
from simulator.core.timefmt import offset
from simulator.endpoint.bodies import Parsed, parse_delivery
from simulator.endpoint.faults import Draws, Faults, drop_connection, misbehaviour
from simulator.endpoint.received import Stats
from simulator.errors import ConfigError
from simulator.shell.servers import serve_on_loopback
from simulator.shell.transit import transit

__all__ = ["FaultProxy"]

# Headers that belong to one connection, not to the message (RFC 9110 7.6.1), and those aiohttp
# sets itself from the body it sends.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
MAX_BODY = 16 * 1024 * 1024  # what the producer may send: a full batch is well under
MAX_RESPONSE = 64 * 1024  # what is passed back of the consumer's answer


class FaultProxy:
    """Forwards to `upstream`, failing requests as `behaviour` says; `behaviour` may be replaced
    while it runs (the director does at each endpoint step). `stats` counts what it did the way
    the dev endpoint's do; `forwarded` counts the requests the consumer saw."""

    def __init__(
        self,
        upstream: str,
        *,
        behaviour: Behaviour = DEFAULT_BEHAVIOUR,
        seed: int = 0,
        now: Callable[[], float] | None = None,
        log: Callable[[str], None] | None = None,
        max_response: int = MAX_RESPONSE,
    ) -> None:
        target = URL(upstream)
        if target.scheme not in ("http", "https") or not target.host:
            raise ConfigError(f"fault proxy: {upstream!r} is not an http(s) URL")
        self.upstream = target
        self.behaviour = behaviour
        self.clock: Callable[[], float] | None = now
        self.stats = Stats()
        self.forwarded = 0
        self._log = log
        self._draws = Draws(seed)
        self._faults = Faults(stats=self.stats, say=self._say)
        self._max_response = max_response
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._t0 = 0.0
        self._url = ""
        self.app = web.Application(client_max_size=MAX_BODY)
        self.app.router.add_route("*", "/{tail:.*}", self._handle)

    @property
    def url(self) -> str:
        """Where to push instead of the consumer: `http://127.0.0.1:PORT/`."""
        return self._url

    def now(self) -> float:
        if self.clock is not None:
            return self.clock()
        return asyncio.get_running_loop().time() - self._t0

    async def start(self) -> str:
        """Listen on 127.0.0.1 (any free port); returns the proxy's URL."""
        self._session = aiohttp.ClientSession(
            auto_decompress=False,  # the bytes pass through as they came, with their encoding
            timeout=aiohttp.ClientTimeout(total=None),  # the producer's own timeout governs
        )
        try:
            self._runner, self._url = await serve_on_loopback(self.app, what="the fault proxy")
        except BaseException:
            await self._session.close()
            raise
        self._t0 = asyncio.get_running_loop().time()
        return self._url

    async def stop(self) -> None:
        """Stop listening; hung requests are dropped."""
        self._faults.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- one request -----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        at = self.now()
        window = next((w for w in self.behaviour.outages if w.covers(at)), None)
        if window is not None:
            return await self._outage(request, window, at)
        if request.method == "POST":
            failed = await self._misbehave(request, at)
            if failed is not None:
                return failed
        return await self._forward(request, at)

    async def _outage(self, request: web.Request, window: Window, at: float) -> web.Response:
        return await self._faults.outage(request, window, at, self._answer)

    async def _misbehave(self, request: web.Request, at: float) -> web.Response | None:
        """The Behaviour's answer to a delivery, or None to forward it (after the latency)."""
        behaviour = self.behaviour
        # The draw is keyed on the delivery's id, as at the dev endpoint: read it only when a
        # draw will be made (aiohttp keeps the body for the forward).
        try:
            parsed = await self._parsed(request) if behaviour.failure_rate > 0 else ValueError()
        except web.HTTPRequestEntityTooLarge:
            self.stats.too_large += 1
            return self._answer(413)
        fault, status, why = misbehaviour(behaviour, lambda: self._draws.draw(parsed, at))
        if fault is not None:
            return await self._faults.act(request, fault, at, fault)
        if not 200 <= status < 300:
            self.stats.injected_failures += 1
            self._say(at, f"POST {status} injected ({why}), not forwarded")
        await asyncio.sleep(behaviour.latency)
        return None if 200 <= status < 300 else self._answer(status)

    @staticmethod
    async def _parsed(request: web.Request) -> Parsed | ValueError:
        body = await request.read()
        try:
            return parse_delivery(body)
        except ValueError as exc:
            return exc  # no id: the seeded sequence draws

    async def _forward(self, request: web.Request, at: float) -> web.StreamResponse:
        assert self._session is not None, "the proxy forwards once started"
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            self.stats.too_large += 1
            return self._answer(413)
        target = self.upstream.update_query(request.query) if request.query else self.upstream
        headers = _end_to_end(request.headers)
        try:
            with transit().carrying():
                async with self._session.request(
                    request.method, target, headers=headers, data=body, allow_redirects=False
                ) as answer:
                    content = await answer.content.read(self._max_response)
                    status, kept = answer.status, _end_to_end(answer.headers)
        except (TimeoutError, aiohttp.ClientConnectionError) as exc:
            self._say(at, f"{request.method} consumer unreachable ({type(exc).__name__}): dropped")
            return drop_connection(request)
        self.forwarded += 1
        self._say(at, f"{request.method} {status} from the consumer")
        return self._answer(status, content, kept)

    # -- helpers ---------------------------------------------------------------------------------

    def _answer(
        self, status: int, body: bytes = b"", headers: CIMultiDict[str] | None = None
    ) -> web.Response:
        self.stats.statuses[status] = self.stats.statuses.get(status, 0) + 1
        return web.Response(status=status, body=body or None, headers=headers)

    def _say(self, at: float, text: str) -> None:
        if self._log is not None:
            with contextlib.suppress(Exception):  # a log that fails must not fail the request
                self._log(f"{offset(at)} proxy: {text}")


def _end_to_end(headers: CIMultiDictProxy[str]) -> CIMultiDict[str]:
    """The headers without the hop-by-hop ones (nor those that `Connection` names)."""
    named = {
        token.strip().lower()
        for value in headers.getall("Connection", [])
        for token in value.split(",")
    }
    out: CIMultiDict[str] = CIMultiDict()
    for key, value in headers.items():
        if key.lower() not in HOP_BY_HOP and key.lower() not in named:
            out.add(key, value)
    return out
