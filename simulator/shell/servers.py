"""Starting the simulator's own HTTP servers (the dev endpoint, the publisher, a test's app).

They only ever bind a loopback address: the simulator is a development tool and nothing it
serves belongs on a network.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from aiohttp import web
from yarl import URL

from simulator.errors import ConfigError


async def serve_on_loopback(
    app: web.Application,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    what: str = "the server",
    **options: Any,
) -> tuple[web.AppRunner, str]:
    """Start `app` on host:port (port 0: any free one); returns the runner and the base URL.
    `options` go to aiohttp's request handler (`keepalive_timeout`, `logger`)."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConfigError(f"host {host!r}: {what} only binds a loopback IP address")
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
