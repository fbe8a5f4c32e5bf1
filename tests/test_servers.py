"""The simulator's own servers start on a loopback address only, and say why they cannot."""

from __future__ import annotations

import pytest
from aiohttp import web
from loopback import client_session, virtual

from simulator.errors import ConfigError
from simulator.shell.servers import serve_on_loopback


def hello() -> web.Application:
    app = web.Application()

    async def answer(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    app.router.add_get("/", answer)
    return app


@virtual
async def test_a_server_listens_on_a_free_loopback_port_and_names_its_url() -> None:
    """Port 0: a free port, and the base URL that reaches the app."""
    runner, url = await serve_on_loopback(hello())
    try:
        async with client_session() as session, session.get(url) as response:
            assert (response.status, await response.text()) == (200, "hello")
        assert url == f"http://127.0.0.1:{runner.addresses[0][1]}/"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "localhost"])
@virtual
async def test_a_server_refuses_an_address_that_is_not_a_loopback_ip(host: str) -> None:
    """Nothing the simulator serves belongs on a network; a host name is refused as well."""
    with pytest.raises(ConfigError, match=f"host '{host}': the dev endpoint only binds a loopback"):
        await serve_on_loopback(hello(), host, what="the dev endpoint")


@virtual
async def test_a_port_in_use_is_a_config_error_that_names_it() -> None:
    """A second server on the same port: refused, naming the address."""
    runner, _ = await serve_on_loopback(hello())
    port = runner.addresses[0][1]
    try:
        with pytest.raises(ConfigError, match=f"the publisher cannot listen on 127.0.0.1:{port}"):
            await serve_on_loopback(hello(), port=port, what="the publisher")
    finally:
        await runner.cleanup()
