"""Helpers the dev endpoint's tests share: a Receiver serving on 127.0.0.1 with a client
session, the bodies Marketo and Adobe I/O Events POST to it, and the headers they carry."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import orjson
from aiohttp import web
from loopback import client_session

from simulator.endpoint.idp import OAuthServer
from simulator.endpoint.routing import Receiver

CLIENT = OAuthServer(client_id="acme-client", client_secret="cs-SECRET-value", token_ttl=10.0)
GRANT = {"grant_type": "client_credentials"}
CLOUDEVENTS = {"Content-Type": "application/cloudevents+json; charset=UTF-8"}
VALIDATION_PATH = "/csm/registrations/validate?id=g1&challenge=g2"


@contextlib.asynccontextmanager
async def serving(**kwargs: Any) -> AsyncIterator[tuple[Receiver, str, aiohttp.ClientSession]]:
    receiver = Receiver(**kwargs)
    url = await receiver.start()
    try:
        async with client_session() as session:
            yield receiver, url, session
    finally:
        await receiver.stop()


def batch(*guids: str, message_id: str = "1") -> dict[str, Any]:
    return {
        "sourceApplication": "Marketo",
        "munchkinId": "123-ABC-456",
        "messageId": message_id,
        "messageCreatedDate": "2026-04-21T15:28:49Z",
        "activities": [{"marketoGUID": g, "leadId": 1, "activityTypeId": 3} for g in guids],
    }


async def post(session: aiohttp.ClientSession, url: str, body: object = None, **kwargs: Any) -> int:
    data = body if isinstance(body, bytes) else orjson.dumps(body or batch("g1"))
    async with session.post(url, data=data, **kwargs) as response:
        await response.read()
        return response.status


async def get_token(session: aiohttp.ClientSession, url: str, **kwargs: Any) -> str:
    async with session.post(url + "oauth/token", **kwargs) as response:
        assert response.status == 200
        return (await response.json())["access_token"]


def basic_auth(client_id: str, secret: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def envelope(eventid: str, /, **changes: Any) -> dict[str, Any]:
    """A Lead Activity CloudEvent as I/O Events delivers it; None in `changes` drops a field."""
    event = {
        "eventid": eventid,
        "specversion": "1.0",
        "type": "com.adobe.platform.marketo.activity.standard.clicklink",
        "source": "urn:marketo_activity_stream",
        "id": f"ce-{eventid}",
        "time": "2024-12-17T18:43:56Z",
        "datacontenttype": "application/json",
        "data": {"munchkinId": "123-ABC-456", "leadId": "1234", "activityTypeId": 3},
        "recipientclientid": "your_client_id",
    }
    event.update(changes)
    return {key: value for key, value in event.items() if value is not None}


def counting_app(hits: list[str], answer: Callable[[web.Request], web.Response]) -> web.Application:
    """An app that appends each GET's path (with query) to `hits` and answers with `answer`."""

    async def handle(request: web.Request) -> web.Response:
        hits.append(request.path_qs)
        return answer(request)

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    return app
