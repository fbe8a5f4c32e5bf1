"""The live page of `--control-port`: one self-contained page, and the server-sent events that
push the status document to it (served here from a fake status source; the browser test,
tests/test_live_page.py, drives the real run)."""

from __future__ import annotations

import asyncio
import json
import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from loopback import client_session, served, virtual

from simulator.control.page import MAX_STREAMS, ROWS, add_routes, loop_interval
from simulator.control.server import ControlServer
from simulator.reports.chartdata import STATE_COLOURS, UNKNOWN_COLOUR
from simulator.reports.html import CSS
from simulator.shell.clock import ScaledEventLoop


class FakeSource:
    """A status source whose run ends once `reads` documents were read; it notes each `limit`
    asked for and the loop time of each read."""

    def __init__(self, reads: int = 3) -> None:
        self.reads = reads
        self.limits: list[int | None] = []
        self.times: list[float] = []

    def status(self, *, limit: int | None = None) -> dict[str, object]:
        self.limits.append(limit)
        self.times.append(asyncio.get_running_loop().time())
        return {"version": 1, "n": len(self.limits)}

    def ended(self) -> bool:
        return len(self.limits) >= self.reads


def app_for(source: FakeSource) -> web.Application:
    app = web.Application()
    add_routes(app, source)
    return app


async def read_events(response: aiohttp.ClientResponse, most: int = 20) -> list[tuple[str, Any]]:
    """The (event, data) pairs of a server-sent event stream, up to `most` of them."""
    events: list[tuple[str, Any]] = []
    name, data = "", ""
    async for raw in response.content:
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data = line.removeprefix("data: ")
        elif not line and name:
            events.append((name, json.loads(data)))
            name, data = "", ""
            if len(events) >= most:
                break
    return events


@virtual
async def test_the_page_is_served_with_the_reports_css_and_state_colours() -> None:
    """GET / is the page, its template filled: the report's CSS and one table of colours."""
    async with (
        served(app_for(FakeSource())) as url,
        client_session() as session,
        session.get(url) as response,
    ):
        text = await response.text()
        assert (response.status, response.content_type) == (200, "text/html")
        assert CSS in text
        assert f"const STATE_COLOURS = {json.dumps(STATE_COLOURS)};" in text
        assert f"const UNKNOWN_COLOUR = {json.dumps(UNKNOWN_COLOUR)};" in text
        assert re.findall(r"/\*[A-Z_]+\*/", text) == []  # every placeholder filled


@virtual
async def test_the_page_names_no_url_and_forbids_loading_from_elsewhere() -> None:
    """No http(s):// in the page at all (it works offline), and its policy lets it reach its
    own origin alone."""
    async with (
        served(app_for(FakeSource())) as url,
        client_session() as session,
        session.get(url) as response,
    ):
        text = await response.text()
        assert re.findall(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", text, re.IGNORECASE) == []
        assert re.findall(r"""(?:src|href)\s*=\s*["']?([^"' >]*)""", text, re.I) == ["data:,"]
        assert response.headers["Content-Security-Policy"] == (
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
            "connect-src 'self'; img-src data:"
        )


@virtual
async def test_events_push_the_document_until_the_run_ends_then_say_end() -> None:
    """Each `status` event carries the document with at most ROWS subscriptions; once the run has
    ended, one last document (showing the end) and an `end` event, and the stream closes."""
    source = FakeSource(reads=3)
    async with (
        served(app_for(source)) as url,
        client_session() as session,
        session.get(f"{url}events") as response,
    ):
        assert response.content_type == "text/event-stream"
        events = await read_events(response)
    assert events == [
        ("status", {"version": 1, "n": 1}),
        ("status", {"version": 1, "n": 2}),
        ("status", {"version": 1, "n": 3}),
        ("status", {"version": 1, "n": 4}),
        ("end", {}),
    ]
    assert source.limits == [ROWS, ROWS, ROWS, ROWS]


@virtual
async def test_events_are_half_a_second_apart_on_the_real_clock() -> None:
    """Twice a second at most: on an unscaled loop, pushes are 0.5 loop seconds apart."""
    source = FakeSource(reads=3)
    async with (
        served(app_for(source)) as url,
        client_session() as session,
        session.get(f"{url}events") as response,
    ):
        await read_events(response)
    gaps = [round(b - a, 6) for a, b in zip(source.times, source.times[1:], strict=False)]
    assert gaps == [0.5, 0.5, 0.5]


def test_a_scaled_loop_waits_as_many_loop_seconds_as_it_is_faster() -> None:
    """With --speed 10, half a real second is 5 seconds of the loop's time."""
    loop = ScaledEventLoop(10.0)
    try:
        assert loop_interval(loop) == 5.0
    finally:
        loop.close()


@virtual
async def test_a_page_that_leaves_stops_its_stream_and_frees_its_place() -> None:
    """MAX_STREAMS pages at once; one more is refused with 503 until one of them leaves."""
    source = FakeSource(reads=10**9)
    async with served(app_for(source)) as url, client_session() as session:
        streams = [await session.get(f"{url}events") for _ in range(MAX_STREAMS)]
        for stream in streams:
            await stream.content.readuntil(b"\n\n")  # the stream is open: its retry line came
        async with session.get(f"{url}events") as refused:
            assert (refused.status, await refused.json()) == (
                503,
                {"error": f"{MAX_STREAMS} pages are connected already; close one"},
            )
        streams.pop().close()
        for _ in range(100):  # the server sees the page leave at its next write
            await asyncio.sleep(0.5)
            async with session.get(f"{url}events") as again:
                if again.status == 200:
                    break
        assert again.status == 200
        for stream in streams:
            stream.close()


def test_the_page_is_package_data_of_the_wheel() -> None:
    """pyproject ships page.html with the package: `pip install .` without it serves no page."""
    config = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["simulator.control"]
    assert any(fnmatch("page.html", pattern) for pattern in patterns)


@virtual
async def test_a_connected_page_hears_the_end_before_the_server_stops() -> None:
    """The run ends (`end`) and the server stops right after: a page connected then still gets
    the last document, which says ended, and the `end` event (aiohttp's clean-up lets the
    stream's handler finish), before the connection closes."""
    server = ControlServer(token=None, clock="virtual")
    url = await server.start()
    async with client_session() as session, session.get(f"{url}events") as response:
        first = await read_events(response, most=1)
        server.end()
        stopping = asyncio.create_task(server.stop())
        rest = await read_events(response)
        await stopping
    assert first[0][0] == "status"
    assert [name for name, _ in rest] == ["status", "end"]
    assert rest[0][1]["ended"] is True
