"""A consumer the contract's probe talks to without a socket: it stands in for the transport,
answers on the running loop's clock, and keeps every request it was sent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from yarl import URL

from simulator.contract.probe import Probe, RatePlan, Target
from simulator.core.outcome import Outcome, classify_status
from simulator.shell.transport import HttpTransport


@dataclass(frozen=True, slots=True)
class Post:
    """One request the consumer received: when it started, its headers and parsed body."""

    at: float
    headers: dict[str, str]
    body: Any

    @property
    def events(self) -> list[Any]:
        """The events it carried: a legacy batch's activities, an I/O array, or one envelope."""
        if isinstance(self.body, list):
            return self.body
        events: list[Any] = self.body.get("activities", [self.body])
        return events


Answer = Callable[[int, Post], int]  # (request number from 1, the request) -> HTTP status


def always_ok(number: int, post: Post) -> int:
    """A consumer that takes everything."""
    return 200


@dataclass
class FakeConsumer:
    """Answers each POST `latency` seconds after it starts with `answer`'s status, and a GET with
    `get_status` and the challenge back (or `get_body` when it is set)."""

    latency: float = 0.1
    answer: Answer = always_ok
    get_status: int = 200
    get_body: bytes | None = None
    posts: list[Post] = field(default_factory=list)

    async def post(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        timeout: float,  # noqa: ASYNC109 - the transport's own signature, see transport.py
    ) -> Outcome:
        post = Post(asyncio.get_running_loop().time(), dict(headers), orjson.loads(body))
        self.posts.append(post)
        await asyncio.sleep(self.latency)
        status = self.answer(len(self.posts), post)
        return Outcome(classify_status(status), status, self.latency)

    async def get(
        self,
        url: str,
        headers: Mapping[str, str],
        *,
        timeout: float,  # noqa: ASYNC109 - the transport's own signature, see transport.py
    ) -> tuple[Outcome, bytes]:
        await asyncio.sleep(self.latency)
        echo = URL(url).query.get("challenge", "").encode()
        body = echo if self.get_body is None else self.get_body
        return Outcome(classify_status(self.get_status), self.get_status, self.latency), body


def probe_of(consumer: FakeConsumer, target: Target, *, rate: RatePlan | None = None) -> Probe:
    """A probe whose transport is `consumer`: it has the two methods a probe sends with."""
    return Probe(target, cast(HttpTransport, consumer), rate=rate)
