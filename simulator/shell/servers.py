"""Starting the simulator's own HTTP servers (the dev endpoint, the publisher, a test's app), and
the one check of their control routes (`/_sim/...`).

They only ever bind a loopback address: the simulator is a development tool and nothing it
serves belongs on a network. A server left running must not be reconfigured by anyone who can
reach its port either: with a run's token set, its control routes need it (`control_refused`).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import StreamReader, web
from yarl import URL

from simulator.errors import ConfigError
from simulator.shell.transit import transit

READ_LIMIT = 2**16  # aiohttp's own stream limit for a request body


async def serve_on_loopback(
    app: web.Application,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    what: str = "the server",
    counted: bool = True,
    **options: Any,
) -> tuple[web.AppRunner, str]:
    """Start `app` on host:port (port 0: any free one); returns the runner and the base URL.
    `counted`: on the virtual clock (a loop `transit.hold_jumps` watches), each request is read
    whole and held while it is handled (`_holding`), so the clock waits for what our own clients
    send here. Left out: servers whose clients are mostly not ours (the control API and its
    live page, the publisher that a consumer fetches keys from), which would hide ours. On
    other clocks nothing is added. `options` go to aiohttp's request handler
    (`keepalive_timeout`, `logger`)."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConfigError(f"host {host!r}: {what} only binds a loopback IP address")
    if counted and transit().gated:
        if app.middlewares.frozen:
            raise ConfigError(
                f"{what} has been served before (its middlewares are frozen): on the virtual "
                "clock, serve a new aiohttp Application"
            )
        app.middlewares.insert(0, _holding)
    runner = web.AppRunner(
        app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0, **options
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        raise ConfigError(f"{what} cannot listen on {host}:{port}: {exc.strerror}") from None
    except BaseException:
        await runner.cleanup()
        raise
    bound = runner.addresses[0][1]
    return runner, str(URL.build(scheme="http", host=host, port=bound, path="/"))


@web.middleware
async def _holding(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Read the request whole, then hold it while the handler runs (`Transit.holding`). A body
    the handler would refuse as too large, of unknown length or compressed (its size unknown
    until it is inflated) is left to the handler: reading part of it here would leave the
    handler the rest as if it were all."""
    length = request.content_length
    if length and length <= request.client_max_size and "Content-Encoding" not in request.headers:
        _read_ahead(request, await request.read())
    with transit().holding():
        return await handler(request)


def _read_ahead(request: web.Request, body: bytes) -> None:
    """After `request.read()` (whose bytes aiohttp keeps for read(), text(), json(), post()),
    give the handler's stream readers (`request.content`) the same bytes: a new stream with
    the whole body, its limit past its size so that feeding it never pauses the connection.
    aiohttp keeps a request's stream in `_payload`, which `content` returns."""
    content = StreamReader(
        request.protocol, max(READ_LIMIT, len(body)), loop=asyncio.get_running_loop()
    )
    content.feed_data(body)
    content.feed_eof()
    request._payload = content


CONTROL_REFUSED = "the control routes need the token: Authorization: Bearer <token>"


def bearer_problem(header: str | None, token: str) -> str:
    """Why `header` does not carry `token` (`Bearer <token>`, or the raw token as a delivery may
    send it), or "" when it does; compared in constant time."""
    if not header:
        return "no Authorization header"
    header = header.strip()
    scheme, _, rest = header.partition(" ")
    candidates = (
        (rest.strip(), header) if scheme.lower() == "bearer" and rest.strip() else (header,)
    )
    matches = [hmac.compare_digest(c.encode(), token.encode()) for c in candidates]
    return "" if any(matches) else "token not accepted"


def control_refused(
    request: web.Request,
    token: str | None,
    problem: Callable[[str | None], str] | None = None,
    *,
    query: bool = False,
) -> web.Response | None:
    """The 401 for a control route (`/_sim/...`) when a token is set and the request does not
    carry it, else None (no token set: the routes are open, as on a developer's laptop).
    `problem` judges the Authorization header instead of `bearer_problem` (the dev endpoint
    accepts the tokens its identity provider issued too). With `query`, `?token=TOKEN` carries
    it too (a browser's EventSource cannot set a header: the run's live page)."""
    if token is None:
        return None
    given = request.query.get("token") if query else None
    if given is not None and hmac.compare_digest(given.encode(), token.encode()):
        return None
    header = request.headers.get("Authorization")
    if not (problem(header) if problem is not None else bearer_problem(header, token)):
        return None
    return web.json_response(
        {"error": CONTROL_REFUSED}, status=401, headers={"WWW-Authenticate": "Bearer"}
    )
