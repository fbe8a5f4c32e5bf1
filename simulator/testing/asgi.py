"""Serving an ASGI application (FastAPI, Starlette, ...) on 127.0.0.1 in the running event loop.

uvicorn serves it, started without its main loop: `Server.startup` binds and runs the app's
lifespan, `Server.shutdown` closes. uvicorn's main loop would wake every 0.1 s of loop time only
to refresh its Date header, millions of wake-ups over a simulated week; without it, only the
requests themselves run, so the app follows the virtual clock like an aiohttp app does.
uvicorn comes with the `[pytest]` extra and is imported only when an ASGI app is served.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from simulator.errors import ConfigError
from simulator.shell.transit import transit

# The ASGI 3 interface: app(scope, receive, send).
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
AsgiApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]
INSTALL = "pip install 'marketo-stream-simulator[pytest]' (or pip install uvicorn)"
GRACE = 1.0  # seconds (of loop time) that requests in flight get at shutdown


class AsgiServer:
    """A started uvicorn server; `cleanup()` stops it (like aiohttp's `AppRunner.cleanup`)."""

    def __init__(self, server: Any) -> None:
        self._server = server
        self._closed = False

    async def cleanup(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._server.shutdown()


async def serve_asgi(app: AsgiApp, *, what: str = "the consumer app") -> tuple[AsgiServer, str]:
    """Start `app` on 127.0.0.1 on a free port; returns the server and its base URL."""
    try:
        uvicorn = importlib.import_module("uvicorn")
    except ImportError:
        raise ConfigError(
            f"{what} is an ASGI application; serving it in the test's loop needs uvicorn: "
            + INSTALL
        ) from None
    config = uvicorn.Config(
        holding(app),
        host="127.0.0.1",
        port=0,
        lifespan="auto",
        log_config=None,  # leave the test process's logging as it is
        log_level=logging.WARNING,
        access_log=False,
        timeout_graceful_shutdown=GRACE,
    )
    server = uvicorn.Server(config)
    # What Server.serve does before startup; main_loop, and serve's signal handlers, we leave out.
    config.load()
    server.lifespan = config.lifespan_class(config)
    try:
        await server.startup()
    except SystemExit:  # uvicorn's way to say the app's lifespan startup failed
        raise ConfigError(f"{what} did not start: its lifespan startup failed") from None
    served = AsgiServer(server)
    port = server.servers[0].sockets[0].getsockname()[1]
    return served, f"http://127.0.0.1:{port}/"


def holding(app: AsgiApp) -> AsgiApp:
    """`app`, on the virtual clock (a loop `transit.hold_jumps` watches), receiving each request
    whole before it is called and holding it until its answer is sent (`Transit.holding`): the
    clock waits for what is on its way, not for what the app does. The hold also ends when the
    client goes away: uvicorn does not cancel an app whose client left, and a hold kept for it
    would hide our next request. The body is read here as the producer sent it (bounded by
    what it sends); on other clocks the app is called as it is."""

    async def held(
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http" or not transit().gated:
            await app(scope, receive, send)
            return
        received = [await receive()]
        while received[-1]["type"] == "http.request" and received[-1].get("more_body"):
            received.append(await receive())
        buffered = iter(received)
        with contextlib.ExitStack() as hold:
            hold.enter_context(transit().holding())
            # After the body, the next message is the client's disconnect (uvicorn also says so
            # once the answer is complete): the hold ends then, whatever the app is doing.
            gone = asyncio.ensure_future(receive())
            gone.add_done_callback(lambda _: hold.close())

            async def replay() -> Message:
                message = next(buffered, None)
                return message if message is not None else await asyncio.shield(gone)

            async def answer(message: Message) -> None:
                if message["type"] == "http.response.body" and not message.get("more_body"):
                    hold.close()  # answered: what is left is on its way back
                await send(message)

            try:
                await app(scope, replay, answer)
            finally:
                gone.cancel()

    return held
