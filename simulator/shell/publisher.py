"""The producer side's own HTTP service for the Adobe I/O Events path, on 127.0.0.1.

A real consumer of the I/O path talks to Adobe as well as receiving webhooks: it fetches the
public keys that verify the digital signatures from static.adobeioevents.com (§4.3), opens the
asynchronous validation URL of csm.adobe.io (§4.1) and pulls the Journaling API of
events.adobe.io (§4.6). `Publisher` plays those hosts on one loopback port:

    GET  /prod/keys/{file}                         a public key (application/x-pem-file), or 404
    GET  /events/organizations/{org}/integrations/{credential}/{registration}
    GET  /organizations/{org}/integrations/{credential}/{registration}     (events-va6 form)
    GET  /journal/{registration}                   the journal (short alias)
    GET  <any journal URL>/validate?since=<pos>    the `rel="validate"` link of a 204
    GET  /csm/registrations/validate?id=<registration>&challenge=<c>
    POST /_sim/registrations/{registration}/enable the manual re-enable of the Developer Console
    GET  /_sim/registrations                       names and journal sizes

The control routes (`/_sim/...`) need the run's token (`control_token`, the dev endpoint's
static token) when one is set, as the dev endpoint's own do (`servers.control_refused`).

Journal requests need `Authorization: Bearer <token>` and `x-api-key`, as Adobe's do, or get a
401. The simulator only checks that both are present and non-empty: it does not validate the IMS
token or the API key against anything (there is no IMS here), and it does not look at
`x-ims-org-id`. The organization and credential in the journal URL must be the publisher's own
(`journal_url` builds it), else 404.

Journal answers, as §4.6 shows them: 200 with `{"events": [...], "_page": {"last", "count"}}`
and a `Link: <...?since=<last>&limit=n>; rel="next"` header; 204 at the end with `retry-after:
10`, a next link and a `rel="validate"` link; 410 with `Events at position <pos> have expired.`;
400 (text) for a malformed parameter or `seek` combined with `since`. Links are absolute URLs on
the path the request used, keeping the request's `limit`. A page stops before its serialised
body would pass 1.5 MB (1,500,000 bytes), but always carries at least one event, so a consumer
can move past an event larger than the cap.

Time: the registration's `now()` decides what the journal holds; the log lines show loop time
since `start()`, so a looptime loop plays this server in virtual time like the receiver. Nothing
here reads real time.

Bounds: request bodies are never read; every query value is at most 200 characters, a repeated
parameter is refused, `limit` has at most 9 digits and pages hold at most `MAX_LIMIT` events.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from aiohttp import web
from multidict import MultiMapping
from yarl import URL

from simulator.core.journal import Journal, JournalEntry, JournalPage, parse_seek
from simulator.core.timefmt import hours_offset
from simulator.errors import ConfigError, InvalidTransition
from simulator.shell.servers import control_refused, serve_on_loopback

__all__ = ["MAX_PAGE_BYTES", "MAX_QUERY_VALUE", "PublishedRegistration", "Publisher"]

MAX_PAGE_BYTES = 1_500_000
MAX_QUERY_VALUE = 200
RETRY_AFTER = "10"
KEY_PREFIX = "/prod/keys/"
_NAME = re.compile(r"[A-Za-z0-9._~-]{1,128}")
_JOURNAL_PARAMS = ("since", "limit", "latest", "seek")


class PublishedRegistration(Protocol):
    """One event registration, as the engine's I/O lane (`iolane.IoLane`) shows it to the
    publisher. Name and journal are read-only: the publisher never replaces them."""

    @property
    def name(self) -> str:
        """The registration id used in URLs."""
        ...

    @property
    def journal(self) -> Journal:
        """The registration's journal, brought up to now."""
        ...

    def materialise(self, entries: Sequence[JournalEntry]) -> list[dict[str, Any]]:
        """The event objects of journal entries, in the same order."""
        ...

    def enable(self) -> str:
        """Manual re-enable; returns the new state's name."""
        ...

    def validate(self, challenge: str) -> bool:
        """A GET on the async validation URL: True if it matched a pending challenge."""
        ...

    def now(self) -> float:
        """Simulated seconds."""
        ...


@dataclass(frozen=True, slots=True)
class _Query:
    """The journal query parameters, parsed and bounded."""

    since: str | None = None
    limit: int | None = None
    latest: bool = False
    seek: float | None = None


def _journal_query(query: MultiMapping[str]) -> _Query:
    """Parse since, limit, latest and seek; ValueError names the first bad one. Other
    parameters are ignored."""
    values: dict[str, str] = {}
    for name in _JOURNAL_PARAMS:
        given = query.getall(name, [])
        if len(given) > 1:
            raise ValueError(f"{name} is given more than once.")
        if given and len(given[0]) > MAX_QUERY_VALUE:
            raise ValueError(f"{name} is longer than {MAX_QUERY_VALUE} characters.")
        if given:
            values[name] = given[0]
    limit = values.get("limit")
    if limit is not None and not (limit.isascii() and limit.isdigit() and len(limit) <= 9):
        raise ValueError("limit must be a positive integer.")
    latest = values.get("latest", "false").lower()
    if latest not in ("true", "false"):
        raise ValueError("latest must be true or false.")
    seek = values.get("seek")
    return _Query(
        since=values.get("since"),
        limit=None if limit is None else int(limit),
        latest=latest == "true",
        seek=None if seek is None else parse_seek(seek),
    )


def _auth_problem(headers: Mapping[str, str]) -> str:
    """Why a journal request is refused (401), or "" when it carries both credentials. The
    token is not validated: the simulator has no IMS."""
    scheme, _, token = headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return "Authorization: Bearer <access token> is required."
    if not headers.get("x-api-key", "").strip():
        return "x-api-key is required."
    return ""


def _page_body(page: JournalPage, events: list[dict[str, Any]]) -> tuple[bytes, int]:
    """The 200 body, cut before it would pass MAX_PAGE_BYTES (but never empty); returns the
    body and how many of the page's entries it holds."""
    items: list[bytes] = []
    size = len(b'{"events":[],"_page":{"last":,"count":}}')
    for entry, event in zip(page.entries, events, strict=True):
        item = orjson.dumps({"position": entry.position, "event": event})
        tail = len(orjson.dumps(entry.position)) + len(str(len(items) + 1))
        added = len(item) + (1 if items else 0)
        if items and size + added + tail > MAX_PAGE_BYTES:
            break
        items.append(item)
        size += added
    last = page.entries[len(items) - 1].position
    page_info = orjson.dumps({"last": last, "count": len(items)})
    return b'{"events":[' + b",".join(items) + b'],"_page":' + page_info + b"}", len(items)


def _link(url: URL, rel: str) -> str:
    return f'<{url}>; rel="{rel}"'


def _text(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text)


def _json(status: int, obj: object, *, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status, body=orjson.dumps(obj), content_type="application/json", headers=headers
    )


class Publisher:
    """Adobe's side of the I/O path for the consumer under test. Create, `add` registrations,
    `await start()`; hand the consumer `journal_url`, `validation_url` and the key host."""

    def __init__(
        self,
        *,
        keys: Callable[[], Mapping[str, bytes]],
        org_id: str = "5A0B1C2D3E4F5A6B7C8D9E0F@AdobeOrg",
        credential_id: str = "sim-credential",
        log: Callable[[str], None] | None = None,
        control_token: str | None = None,
    ) -> None:
        for what, value in (("org_id", org_id), ("credential_id", credential_id)):
            if not _NAME.fullmatch(value.replace("@", "")):
                raise ConfigError(f"{what} {value!r}: expected 1-128 URL-safe characters")
        self._keys = keys
        self.org_id = org_id
        self.credential_id = credential_id
        self._log = log
        self._control_token = control_token
        self._registrations: dict[str, PublishedRegistration] = {}
        self._runner: web.AppRunner | None = None
        self._url: URL | None = None
        self._t0: float | None = None
        self.app = web.Application(client_max_size=64 * 1024)
        route = self.app.router
        route.add_get(KEY_PREFIX + "{file}", self._key)
        for prefix in ("/events/organizations", "/organizations"):
            path = prefix + "/{org}/integrations/{credential}/{registration}"
            route.add_get(path, self._journal)
            route.add_get(path + "/validate", self._validate_position)
        route.add_get("/journal/{registration}", self._journal)
        route.add_get("/journal/{registration}/validate", self._validate_position)
        route.add_get("/csm/registrations/validate", self._validate_registration)
        route.add_post("/_sim/registrations/{registration}/enable", self._enable)
        route.add_get("/_sim/registrations", self._list)

    # --- setup -----------------------------------------------------------------------------------

    def add(self, registration: PublishedRegistration) -> None:
        name = registration.name
        if not _NAME.fullmatch(name):
            raise ConfigError(f"registration {name!r}: expected 1-128 URL-safe characters")
        if name in self._registrations:
            raise ConfigError(f"registration {name!r}: added twice")
        self._registrations[name] = registration

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on a loopback address; returns the base URL, e.g. `http://127.0.0.1:PORT/`."""
        # Not counted (`transit`): its clients are mostly the consumer's own (the key fetch, the
        # journal reads), whose requests held here would hide ours; it answers at once anyway.
        self._runner, url = await serve_on_loopback(
            self.app, host, port, what="the publisher", counted=False
        )
        self._t0 = asyncio.get_running_loop().time()
        self._url = URL(url)
        return url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return str(self._base)

    def journal_url(self, name: str) -> str:
        """The registration's journal URL, as the Developer Console shows it."""
        path = f"/events/organizations/{self.org_id}/integrations/{self.credential_id}/{name}"
        return str(self._base.with_path(path))

    def validation_url(self, name: str, challenge: str) -> str:
        """The async validation URL sent in a `{"validationUrl": ...}` challenge POST."""
        url = self._base.with_path("/csm/registrations/validate")
        return str(url.with_query(id=name, challenge=challenge))

    @property
    def _base(self) -> URL:
        if self._url is None:
            raise RuntimeError("the publisher is not started")
        return self._url

    # --- helpers ---------------------------------------------------------------------------------

    def _control_refused(self, request: web.Request) -> web.Response | None:
        refused = control_refused(request, self._control_token)
        if refused is not None:
            self._say(f"{request.method} {request.path} 401 (control route needs the token)")
        return refused

    def _say(self, text: str) -> None:
        if self._log is not None:
            at = 0.0 if self._t0 is None else asyncio.get_running_loop().time() - self._t0
            self._log(f"{hours_offset(at)} {text}")

    def _lookup(self, request: web.Request) -> PublishedRegistration | None:
        """The registration a journal URL names, if the URL's org and credential are ours."""
        info = request.match_info
        if info.get("org", self.org_id) != self.org_id:
            return None
        if info.get("credential", self.credential_id) != self.credential_id:
            return None
        return self._registrations.get(info["registration"])

    def _next_url(self, request: web.Request, since: str | None, limit: int | None) -> URL:
        """The next link: the request's own journal path with `since` and the same `limit`."""
        query = {} if since is None else {"since": since}
        if limit is not None:
            query["limit"] = str(limit)
        path = request.path.removesuffix("/validate")
        return self._base.with_path(path).with_query(query)

    # --- key host --------------------------------------------------------------------------------

    async def _key(self, request: web.Request) -> web.Response:
        """GET /prod/keys/{file}: a public key of the current set (looked up per request)."""
        path = KEY_PREFIX + request.match_info["file"]
        pem = self._keys().get(path)
        if pem is None:
            self._say(f"KEY 404 {path[:MAX_QUERY_VALUE]}")
            return _text(404, "Not Found")
        self._say(f"KEY 200 {path}")
        return web.Response(body=pem, content_type="application/x-pem-file")

    # --- Journaling API --------------------------------------------------------------------------

    def _journal_of(self, request: web.Request) -> PublishedRegistration | web.Response:
        """The registration whose journal is asked for, or the answer that refuses the request."""
        denied = self._refuse(request)
        if denied is not None:
            return denied
        registration = self._lookup(request)
        if registration is None:
            return _json(404, {"error": "not_found", "message": "No such journal."})
        return registration

    async def _journal(self, request: web.Request) -> web.Response:
        registration = self._journal_of(request)
        if isinstance(registration, web.Response):
            return registration
        try:
            query = _journal_query(request.query)
        except ValueError as exc:
            return self._journal_error(registration, JournalPage(400, (), None, str(exc)))
        page = registration.journal.read(
            now=registration.now(),
            since=query.since,
            limit=query.limit,
            latest=query.latest,
            seek=query.seek,
        )
        if page.status == 200:
            return self._events(request, registration, page, query.limit)
        if page.status == 204:
            return self._at_end(request, registration, page, query.limit)
        return self._journal_error(registration, page)

    def _refuse(self, request: web.Request) -> web.Response | None:
        problem = _auth_problem(request.headers)
        if not problem:
            return None
        self._say(f"JOURNAL 401 {problem}")
        body = {"error": "unauthorized", "message": problem}
        return _json(401, body, headers={"WWW-Authenticate": "Bearer"})

    def _events(
        self,
        request: web.Request,
        registration: PublishedRegistration,
        page: JournalPage,
        limit: int | None,
    ) -> web.Response:
        events = registration.materialise(page.entries)
        body, count = _page_body(page, events)
        last = page.entries[count - 1].position
        link = _link(self._next_url(request, last, limit), "next")
        self._say(f"JOURNAL 200 {registration.name} events={count} bytes={len(body)}")
        return web.Response(body=body, content_type="application/json", headers={"Link": link})

    def _at_end(
        self,
        request: web.Request,
        registration: PublishedRegistration,
        page: JournalPage,
        limit: int | None,
    ) -> web.Response:
        next_url = self._next_url(request, page.next_since, limit)
        validate = self._base.with_path(next_url.path + "/validate").with_query(
            {} if page.next_since is None else {"since": page.next_since}
        )
        response = web.Response(status=204, headers={"retry-after": RETRY_AFTER})
        response.headers.add("Link", _link(next_url, "next"))
        response.headers.add("Link", _link(validate, "validate"))
        self._say(f"JOURNAL 204 {registration.name} at the end")
        return response

    def _journal_error(
        self, registration: PublishedRegistration, page: JournalPage
    ) -> web.Response:
        self._say(f"JOURNAL {page.status} {registration.name} {page.message[:MAX_QUERY_VALUE]}")
        return _text(page.status, page.message)

    async def _validate_position(self, request: web.Request) -> web.Response:
        """GET <journal>/validate?since=<pos>: 204 while the position can still be read from,
        410 once events after it have expired, 400 when it is not a position of this journal.
        (Adobe links it from every 204 but does not document it; this is the simulator's
        reading.)"""
        registration = self._journal_of(request)
        if isinstance(registration, web.Response):
            return registration
        try:
            since = _journal_query(request.query).since
        except ValueError as exc:
            return self._journal_error(registration, JournalPage(400, (), None, str(exc)))
        page = registration.journal.read(now=registration.now(), since=since, limit=1)
        if page.status in (200, 204):
            return web.Response(status=204)
        return self._journal_error(registration, page)

    # --- registration validation and control -----------------------------------------------------

    async def _validate_registration(self, request: web.Request) -> web.Response:
        """GET /csm/registrations/validate?id=&challenge=: the async validation URL (§4.1)."""
        name = request.query.get("id", "")
        challenge = request.query.get("challenge", "")
        if not (0 < len(name) <= MAX_QUERY_VALUE and 0 < len(challenge) <= MAX_QUERY_VALUE):
            self._say("VALIDATE 400 id and challenge are required")
            return _text(400, "id and challenge are required.")
        registration = self._registrations.get(name)
        if registration is None or not registration.validate(challenge):
            self._say(f"VALIDATE 404 {name}")
            return _text(404, "No pending validation matches this URL.")
        self._say(f"VALIDATE 200 {name}")
        return _text(200, "Validated.")

    async def _enable(self, request: web.Request) -> web.Response:
        """POST /_sim/registrations/{registration}/enable: the manual re-enable (§4.5)."""
        if refused := self._control_refused(request):
            return refused
        registration = self._registrations.get(request.match_info["registration"])
        if registration is None:
            return _json(404, {"error": "not_found", "message": "No such registration."})
        try:
            state = registration.enable()
        except InvalidTransition as exc:  # only a disabled registration can be re-enabled
            self._say(f"ENABLE {registration.name} 409 ({exc})")
            return _json(409, {"error": "conflict", "message": str(exc)})
        self._say(f"ENABLE {registration.name} -> {state}")
        return _json(200, {"state": state})

    async def _list(self, request: web.Request) -> web.Response:
        """GET /_sim/registrations: each registration's name and journal size."""
        if refused := self._control_refused(request):
            return refused
        listing = [
            {"name": name, "events": len(r.journal), "spans": len(r.journal.spans)}
            for name, r in self._registrations.items()
        ]
        return _json(200, {"registrations": listing})
