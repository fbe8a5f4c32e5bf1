"""Starting the simulator's own HTTP servers (the dev endpoint, the publisher, a test's app), and
the one check of their control routes (`/_sim/...`).

They only ever bind a loopback address: the simulator is a development tool and nothing it
serves belongs on a network. A server left running must not be reconfigured by anyone who can
reach its port either: with a run's token set, its control routes need it (`control_refused`).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from yarl import URL

from simulator.errors import ConfigError
from simulator.shell.transit import transit


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
    `counted` holds each request while it is handled (`transit`): what our own clients send
    here, the virtual clock waits for; a server of people's requests (the control API, whose
    live page streams) is left out. `options` go to aiohttp's request handler
    (`keepalive_timeout`, `logger`)."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConfigError(f"host {host!r}: {what} only binds a loopback IP address")
    if counted and not app.middlewares.frozen:
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
    the handler would refuse as too large, or one of unknown length, is left to the handler:
    reading part of it here would leave the handler the rest as if it were all."""
    length = request.content_length
    if length is not None and length <= request.client_max_size:
        await request.read()  # aiohttp keeps it: the handler's read() returns the same bytes
    with transit().holding():
        return await handler(request)


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
