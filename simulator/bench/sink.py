"""The bare sink: an aiohttp server in its own process that reads each body and answers 200.

It does the least a consumer can do (no JSON parsing, no bookkeeping beyond two counters), so the
bench measures the producer, not the receiving end, and it runs in a separate process so that the
two do not share one event loop or one core. `Sink` starts it (`python -m simulator.bench.sink`)
on a free port of 127.0.0.1, asks it for its counters, and stops it.

The child prints its port, then answers each line on stdin with its counters as one JSON line
(requests, body bytes, CPU seconds used so far) and stops at the end of stdin, so it never
outlives the bench.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
from dataclasses import dataclass
from types import TracebackType
from typing import IO

from aiohttp import web


@dataclass(frozen=True, slots=True)
class SinkCounts:
    """What the sink has taken so far; `-` gives what it took between two readings."""

    requests: int
    body_bytes: int
    cpu: float  # seconds of CPU (user + system) the sink process used

    def __sub__(self, other: SinkCounts) -> SinkCounts:
        return SinkCounts(
            self.requests - other.requests, self.body_bytes - other.body_bytes, self.cpu - other.cpu
        )


class Sink:
    """The sink process, as a context manager: `url` to post to, `counts()` to read it."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> Sink:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "simulator.bench.sink"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        port = int(self._pipe()[1].readline())
        self.url = f"http://127.0.0.1:{port}/"
        return self

    def counts(self) -> SinkCounts:
        ask, answer = self._pipe()
        ask.write("\n")
        ask.flush()
        fields = json.loads(answer.readline())
        return SinkCounts(fields["requests"], fields["bytes"], fields["cpu"])

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._process is None:
            return
        ask, _ = self._pipe()
        ask.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        finally:
            if self._process.stdout is not None:
                self._process.stdout.close()

    def _pipe(self) -> tuple[IO[str], IO[str]]:
        assert self._process is not None
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        return self._process.stdin, self._process.stdout


# -- the child ------------------------------------------------------------------------------------


async def serve() -> None:
    """Serve until stdin ends; each line on stdin is answered with the counters on stdout."""
    counts = {"requests": 0, "bytes": 0}

    async def accept(request: web.Request) -> web.Response:
        while chunk := await request.content.readany():
            counts["bytes"] += len(chunk)
        counts["requests"] += 1
        return web.Response()

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", accept)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    await web.SockSite(runner, listener, backlog=4096).start()
    print(listener.getsockname()[1], flush=True)
    try:
        await _answer_stdin(counts)
    finally:
        await runner.cleanup()


async def _answer_stdin(counts: dict[str, int]) -> None:
    loop = asyncio.get_running_loop()
    ended = asyncio.Event()
    fd = sys.stdin.fileno()

    def readable() -> None:
        data = os.read(fd, 4096)
        if not data:
            ended.set()
            return
        for _ in range(data.count(b"\n")):
            usage = resource.getrusage(resource.RUSAGE_SELF)
            cpu = usage.ru_utime + usage.ru_stime
            print(json.dumps({**counts, "cpu": cpu}), flush=True)

    loop.add_reader(fd, readable)
    try:
        await ended.wait()
    finally:
        loop.remove_reader(fd)


if __name__ == "__main__":
    asyncio.run(serve())
