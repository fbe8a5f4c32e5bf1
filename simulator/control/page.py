"""The live page of `run --control-port`: one self-contained HTML page and the server-sent
events that keep it current.

`GET /` serves `page.html` (next to this module, shipped as package data) with the `--report`
page's CSS and state colours filled in from `simulator.reports`, so both draw a state alike and
the colours live in one place. The page needs no network: inline CSS and JavaScript, no URL
outside its own origin. `GET /events` pushes the status document (`event: status`, at most
`ROWS` subscriptions, trouble first) at most twice a second of real time, until the run ends
(`event: end`) or the client leaves; at most `MAX_STREAMS` pages at once.

The page draws the state timeline in the browser from the document's `changes`: the document is
all a page receives, and a chart redrawn from it twice a second costs the run nothing, where an
SVG from the report's code would need the run's whole recording on every push.

The server mounting these routes (`simulator.control.server`) checks the run's control token on
every route; the page keeps the `?token=` it was loaded with and sends it on its own requests.
"""

from __future__ import annotations

import asyncio
import json
from importlib.resources import files
from typing import Final, Protocol

import orjson
from aiohttp import web

from simulator.reports.chartdata import STATE_COLOURS, UNKNOWN_COLOUR
from simulator.reports.html import CSS
from simulator.shell.clock import ScaledEventLoop

ROWS: Final = 50  # subscriptions per pushed document: a page shows those in trouble first
INTERVAL: Final = 0.5  # real seconds between two pushes to one page
MAX_STREAMS: Final = 8  # pages connected at once; one more is refused with 503


class StatusSource(Protocol):
    """What the page reads: the run's status document and whether the run has ended."""

    def status(self, *, limit: int | None = None) -> dict[str, object]:
        """The status document (version 1), with at most `limit` subscriptions when given."""
        ...

    def ended(self) -> bool:
        """True once the run is over: the event stream then sends its last document."""
        ...


def page_html() -> str:
    """The page with the report's CSS and state colours filled in."""
    template = files(__package__).joinpath("page.html").read_text(encoding="utf-8")
    return (
        template.replace("/*REPORT_CSS*/", CSS)
        .replace("/*STATE_COLOURS*/{}", json.dumps(STATE_COLOURS))
        .replace('/*UNKNOWN_COLOUR*/"#c9ced4"', json.dumps(UNKNOWN_COLOUR))
    )


def loop_interval(loop: asyncio.AbstractEventLoop, real_seconds: float = INTERVAL) -> float:
    """`real_seconds` in the loop's own seconds: a scaled loop (`--speed`) runs faster than real
    time, and the page must not be pushed to faster than it is on the real clock."""
    return real_seconds * loop.speed if isinstance(loop, ScaledEventLoop) else real_seconds


def event(name: str, document: object) -> bytes:
    """One server-sent event; orjson writes one line, so one `data:` field carries it."""
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(document) + b"\n\n"


def add_routes(app: web.Application, source: StatusSource) -> None:
    """Mount `GET /` (the page) and `GET /events` (its event stream) on `app`."""
    body = page_html().encode()
    streams = [0]  # open event streams: a list so the handler can count in place

    async def page(request: web.Request) -> web.Response:
        return web.Response(
            body=body,
            content_type="text/html",
            charset="utf-8",
            headers={"Cache-Control": "no-store", "Content-Security-Policy": _CSP},
        )

    async def events(request: web.Request) -> web.StreamResponse:
        if streams[0] >= MAX_STREAMS:
            return web.json_response(
                {"error": f"{MAX_STREAMS} pages are connected already; close one"}, status=503
            )
        streams[0] += 1
        try:
            return await _stream(request, source)
        finally:
            streams[0] -= 1

    app.router.add_get("/", page)
    app.router.add_get("/events", events)


# The page loads nothing: its own inline style and script, and requests to its own origin alone.
_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "connect-src 'self'; img-src data:"
)


async def _stream(request: web.Request, source: StatusSource) -> web.StreamResponse:
    """Push the document until the run ends or the client leaves (a write then fails)."""
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    interval = loop_interval(asyncio.get_running_loop())
    try:
        await response.write(b"retry: 2000\n\n")
        while True:
            ended = source.ended()  # read first: the document after it then shows the end
            await response.write(event("status", source.status(limit=ROWS)))
            if ended:
                await response.write(event("end", {}))
                break
            await asyncio.sleep(interval)
    except ConnectionError:
        pass  # the page was closed: nothing to send it any more
    return response
