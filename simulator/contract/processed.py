"""The consumer's own account of what it processed: the event ids it lists, in any order.

Two sources, for the contract's idempotent and out-of-order checks: a URL answering a GET, or a
shell command printing to standard output. Either gives JSON (a list, or `{"processed": [...]}`)
or one id per line. An id may appear as often as the event was processed. Reads are bounded in
size and time; any problem is a `ProbeError` that names the source. A command runs with real
pipes, so `ProcessedCommand` belongs on the real clock only (a looptime loop would jump past it).
"""

from __future__ import annotations

import asyncio
from typing import Protocol

import aiohttp
import orjson

from simulator.errors import SimulatorError
from simulator.shell.transit import transit
from simulator.shell.transport import read_bounded

PROCESSED_TIMEOUT = 10.0  # seconds for one read
MAX_PROCESSED_BYTES = 32 * 1024 * 1024


class ProbeError(SimulatorError):
    """A check could not do what it needs (e.g. the processed ids could not be read)."""


class ProcessedSource(Protocol):
    where: str  # the URL or the command, for evidence

    async def read(self) -> list[str]: ...

    async def close(self) -> None: ...


def parse_processed(data: bytes) -> list[str]:
    """Event ids from a JSON list, a JSON object's "processed" list, or one id per line."""
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        lines = data.decode("utf-8", "replace").splitlines()
        return [line.strip() for line in lines if line.strip()]
    if isinstance(parsed, dict):
        parsed = parsed.get("processed")
    if not isinstance(parsed, list):
        raise ProbeError('expected a JSON list, {"processed": [...]} or one id per line')
    return [str(x) for x in parsed]


class ProcessedUrl:
    """GET a URL that lists the processed ids (no redirects, bounded, 10 s)."""

    def __init__(self, url: str) -> None:
        self.where = url
        self._session: aiohttp.ClientSession | None = None

    async def read(self) -> list[str]:
        if self._session is None:
            self._session = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
        try:
            with transit().carrying():
                data = await self._get()
        except TimeoutError:
            raise ProbeError(f"GET {self.where}: no answer in {PROCESSED_TIMEOUT:g}s") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise ProbeError(f"GET {self.where} failed: {exc.__class__.__name__}") from None
        return parse_processed(data)

    async def _get(self) -> bytes:
        assert self._session is not None
        timeout = aiohttp.ClientTimeout(total=PROCESSED_TIMEOUT)
        async with self._session.get(self.where, allow_redirects=False, timeout=timeout) as answer:
            if answer.status != 200:
                raise ProbeError(f"GET {self.where} answered HTTP {answer.status}")
            data = await read_bounded(answer, MAX_PROCESSED_BYTES + 1)
        if len(data) > MAX_PROCESSED_BYTES:
            raise ProbeError(f"GET {self.where}: over {MAX_PROCESSED_BYTES} bytes")
        return data

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class ProcessedCommand:
    """Run a shell command whose standard output lists the processed ids (10 s at most)."""

    def __init__(self, command: str) -> None:
        self.where = command

    async def read(self) -> list[str]:
        process = await asyncio.create_subprocess_shell(
            self.where, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        assert process.stdout is not None
        assert process.stderr is not None
        try:
            async with asyncio.timeout(PROCESSED_TIMEOUT):
                out, err, _ = await asyncio.gather(
                    _read_limited(process.stdout, MAX_PROCESSED_BYTES),
                    _read_limited(process.stderr, 4096),
                    process.wait(),
                )
        except TimeoutError:
            raise ProbeError(f"{self.where!r} did not finish in {PROCESSED_TIMEOUT:g}s") from None
        finally:
            if process.returncode is None:  # timed out, or the contract's --timeout cut it
                process.kill()
                await process.wait()
        if len(out) > MAX_PROCESSED_BYTES:
            raise ProbeError(f"{self.where!r} printed over {MAX_PROCESSED_BYTES} bytes")
        if process.returncode != 0:
            tail = err.decode("utf-8", "replace").strip()[-200:]
            raise ProbeError(f"{self.where!r} exited with {process.returncode}: {tail}")
        return parse_processed(out)

    async def close(self) -> None:
        return None


async def _read_limited(stream: asyncio.StreamReader, limit: int) -> bytes:
    """What `stream` gives until its end, keeping at most `limit` + 1 bytes (the rest is read
    and dropped, so the writer never blocks on a full pipe)."""
    data = bytearray()
    while chunk := await stream.read(65_536):
        if len(data) <= limit:
            data += chunk[: limit + 1 - len(data)]
    return bytes(data)
