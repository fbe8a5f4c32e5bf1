"""A transport for tests, after httpx's `MockTransport`: each request goes to a handler function
instead of the network, and its answer comes back as an `Outcome`, on the loop's clock.

    def consumer(request: Request) -> Answer:
        return 503 if request.at < 1200 else 200  # down for the first 20 minutes

    engine = Engine(lanes, munchkin_id=..., clock=clock, transport=FakeTransport(consumer))

The handler returns a status (`200`), a status and a body (`(200, b"...")`, e.g. for the I/O
challenge GET), or a whole `Outcome` (a timeout, a connection error, a status with a latency).
A latency is slept on the loop's clock, so on the virtual clock it costs no real time; an
answer that would take the request's timeout or longer times out at exactly the timeout, as
with `HttpTransport`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from simulator.core.outcome import Outcome
from simulator.shell.transport import status_outcome, timed_out


@dataclass(frozen=True, slots=True)
class Request:
    """One request, as the handler sees it."""

    method: str  # GET or POST
    url: str
    headers: Mapping[str, str]
    body: bytes
    at: float  # the loop's time when it was sent (the run's simulated time on a fresh loop)


Answer = int | tuple[int, bytes] | Outcome
Handler = Callable[[Request], Answer]


@dataclass(slots=True)
class FakeTransport:
    """A `Transport` whose answers come from `handler`; `requests` keeps every request sent."""

    handler: Handler
    requests: list[Request] = field(default_factory=list)

    # The `timeout` parameters are the `Transport` protocol's: a request's own limit, which an
    # asyncio.timeout() around the call could not express (ASYNC109, as in transport.py).
    async def post(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        timeout: float,  # noqa: ASYNC109
    ) -> Outcome:
        outcome, _ = await self._exchange("POST", url, headers, body, timeout)
        return outcome

    async def get(
        self,
        url: str,
        headers: Mapping[str, str],
        *,
        timeout: float,  # noqa: ASYNC109
    ) -> tuple[Outcome, bytes]:
        return await self._exchange("GET", url, headers, b"", timeout)

    async def _exchange(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes, limit: float
    ) -> tuple[Outcome, bytes]:
        at = asyncio.get_running_loop().time()
        request = Request(method, url, dict(headers), body, at)
        self.requests.append(request)
        outcome, answer_body = _outcome(self.handler(request))
        if outcome.latency >= limit:
            await asyncio.sleep(limit)
            return timed_out(limit, limit), b""
        if outcome.latency > 0:
            await asyncio.sleep(outcome.latency)
        return outcome, answer_body


def _outcome(answer: Answer) -> tuple[Outcome, bytes]:
    if isinstance(answer, Outcome):
        return answer, b""
    if isinstance(answer, tuple):
        status, body = answer
        return status_outcome(status, 0.0), body
    return status_outcome(answer, 0.0), b""
