"""Helpers the test modules share: serve an aiohttp app on 127.0.0.1, hold a port that refuses
connections, run a test body on the virtual clock, run `marketo-sim` in a child process and read
its lines as they come."""

from __future__ import annotations

import contextlib
import functools
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from simulator.shell.clock import run_virtual
from simulator.shell.servers import serve_on_loopback
from simulator.shell.transit import tracing


@contextlib.asynccontextmanager
async def served(app: web.Application, *, slash: bool = True) -> AsyncIterator[str]:
    """Serve `app` on 127.0.0.1 (a free port) as the simulator serves its own servers, its
    requests held for the virtual clock; yields its base URL (`slash`: ending in /)."""
    runner, url = await serve_on_loopback(app, what="the test's app")
    try:
        yield url if slash else url.rstrip("/")
    finally:
        await runner.cleanup()


def client_session(**options: Any) -> aiohttp.ClientSession:
    """A test's own aiohttp session, its requests counted as the simulator's are
    (`transit.tracing`): on the virtual clock, time waits for them while they are on their way."""
    return aiohttp.ClientSession(trace_configs=[tracing()], **options)


class SlowRelay:
    """A TCP relay on 127.0.0.1, in threads, that hands every chunk on `delay` real seconds late
    in either direction: bytes on their way outside the event loop, as a loaded kernel keeps
    loopback bytes. `with SlowRelay(port, delay) as url:`; each connection ends when either
    side closes, and the relay closes them all when the block ends."""

    def __init__(self, port: int, delay: float) -> None:
        self._target = ("127.0.0.1", port)
        self._delay = delay
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._sockets: list[socket.socket] = [self._listener]
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> str:
        self._start(self._accept)
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/"

    def __exit__(self, *exc_info: object) -> None:
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _start(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # the relay closed
            upstream = socket.create_connection(self._target)
            self._sockets += [client, upstream]
            self._start(self._pipe, client, upstream)
            self._start(self._pipe, upstream, client)

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65_536):
                # The kernel's hand-over, late: real time in a thread, outside any event loop.
                time.sleep(self._delay)  # noqa: TID251
                sink.sendall(chunk)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@contextlib.contextmanager
def refusing_port() -> Iterator[int]:
    """A port on 127.0.0.1 where nothing listens, for as long as the block lasts. The socket is
    bound and never listens: a connection is refused, and no other test, xdist worker or program
    can take the port meanwhile (a port bound and released at once could be)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


@contextlib.contextmanager
def reserved_port() -> Iterator[int]:
    """A port on 127.0.0.1 for a server that must be told its port before it starts and cannot
    take port 0. The port stays bound (with SO_REUSEADDR, never listening) while the block
    lasts: the kernel hands it to no one else, yet a server that also sets SO_REUSEADDR, as
    asyncio's and so aiohttp's do, may bind and listen on it. Prefer port 0 everywhere else."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def virtual(test: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
    """Run an async test body as a sync test, on the virtual clock."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return run_virtual(test(*args, **kwargs))

    return wrapper


ROOT = Path(__file__).resolve().parent.parent
CHILD_WAIT = 30.0  # real seconds: a bound on each wait for a child's line, never a timing


class Child:
    """A `python -m simulator ...` process; a thread reads its output (stdout and stderr) line
    by line as it comes, so a test waits for a line without blocking on the pipe."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def until(self, found: Callable[[str], bool]) -> list[str]:
        """The lines up to and including the first one `found` accepts (AssertionError if the
        output ends first; each line waited for at most CHILD_WAIT seconds)."""
        seen: list[str] = []
        while (line := self._lines.get(timeout=CHILD_WAIT)) is not None:
            seen.append(line)
            if found(line):
                return seen
        raise AssertionError(f"the output ended without the line looked for: {seen}")

    def rest(self) -> list[str]:
        """Every line still to come, until the output ends."""
        lines = []
        while (line := self._lines.get(timeout=CHILD_WAIT)) is not None:
            lines.append(line)
        return lines


@contextlib.contextmanager
def simulator_process(cwd: Path, *argv: str, env: Mapping[str, str] = {}) -> Iterator[Child]:
    """`marketo-sim ARGV` (this checkout's) in `cwd`, with `env` added; stopped (SIGTERM, then
    SIGKILL) if it is still running when the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", *argv],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield Child(process)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=CHILD_WAIT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=CHILD_WAIT)
        assert process.stdout is not None
        process.stdout.close()
