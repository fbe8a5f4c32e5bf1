"""The live page of a running producer (placeholder until the page lands): GET / says it is
coming. `StatusSource` is what the page reads the status from (`server.ControlServer`)."""

from __future__ import annotations

from typing import Protocol

from aiohttp import web


class StatusSource(Protocol):
    def status(self, *, limit: int | None = None) -> dict[str, object]: ...

    def ended(self) -> bool: ...


def add_routes(app: web.Application, source: StatusSource) -> None:
    """Mount the page on `app`: for now a line saying it is coming."""

    async def page(request: web.Request) -> web.Response:
        return web.Response(text="marketo-sim: the live page is coming; GET /status meanwhile\n")

    app.router.add_get("/", page)
