"""The dev endpoint: an aiohttp server on 127.0.0.1 that plays a customer's consumer.

It answers like Adobe's sample consumer (GET and POST on any path, 200), checks a static API
token or tokens from its own mock identity provider (`POST /oauth/token`), and misbehaves on
command: fixed or random failure statuses, latency, hangs, resets and outage windows.

Rules:
- Time is the running loop's time only (`loop.time()` and `asyncio.sleep`), so a looptime loop
  plays a 19.5 s latency or a 20-minute outage in milliseconds with exact times.
- It only ever binds a loopback address.
- Secrets (the static token, the client secret, issued tokens) are never logged or printed.

How the outage modes and `reset` drop a connection: the handler sets SO_LINGER to 0 and aborts
the transport, so the kernel sends a TCP RST and no response byte is ever written; the producer
sees a connection error (aiohttp `ClientOSError`/`ServerDisconnectedError`), never a status.
"refuse" does this as soon as the request head is parsed, without reading the body; "reset"
reads the whole body first. The listening socket stays open throughout: the decision is made
per request from `now()`, so nothing has to be scheduled or polled, a `behaviour` changed at run
time takes effect on the next request, and the token and `/_sim` endpoints on the same port keep
working while the consumer is "down".

Order of checks for a delivery (POST on any path): outage window (an endpoint that is down
checks nothing), then Authorization (401), then the body size (413), then hang, reset, the
latency, failure_rate (one draw of the seeded RNG per POST that gets this far), the fixed
status. A 2xx batch is parsed and counted when it arrives, before the latency, like a consumer
that stores the batch and is slow to answer: if the producer times out meanwhile, its retry
shows up as duplicates.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
import dataclasses
import functools
import hashlib
import hmac
import ipaddress
import math
import os
import random
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import unquote_plus

import orjson
from aiohttp import web

from simulator.errors import ConfigError, MissingSecret

__all__ = [
    "MODES",
    "Behaviour",
    "OAuthServer",
    "ReceivedBatch",
    "Receiver",
    "Stats",
    "Window",
    "add_arguments",
    "behaviour_from_json",
    "behaviour_to_json",
    "describe_behaviour",
    "format_time",
    "parse_batch",
    "parse_outage",
    "serve",
]

MODES = ("refuse", "status", "hang", "reset")


def _check_status(name: str, value: int) -> None:
    if not 200 <= value <= 599:
        raise ConfigError(f"{name}: {value} is not a final HTTP status (200-599)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Window:
    """A span of receiver time [start, end) in seconds since start (end may be math.inf) during
    which the consumer misbehaves as `mode` says, whatever the rest of the Behaviour says:
    "refuse" drops the connection unread, "status" answers `status`, "hang" never answers,
    "reset" reads the request and drops the connection."""

    start: float
    end: float
    mode: str = "refuse"
    status: int = 503

    def __post_init__(self) -> None:
        if not (0 <= self.start < self.end and math.isfinite(self.start)):
            raise ConfigError(f"outage {self.start}-{self.end}: need 0 <= start < end")
        if self.mode not in MODES:
            raise ConfigError(f"outage mode {self.mode!r}: expected one of {', '.join(MODES)}")
        _check_status("outage status", self.status)

    def covers(self, now: float) -> bool:
        """Whether receiver time `now` falls inside the window (start inclusive, end exclusive)."""
        return self.start <= now < self.end


@dataclass(frozen=True, slots=True, kw_only=True)
class Behaviour:
    """How the consumer answers deliveries; `Receiver.behaviour` can be replaced at run time."""

    status: int = 200
    failure_rate: float = 0.0
    failure_status: int = 503
    latency: float = 0.0
    hang: bool = False
    reset: bool = False
    outages: tuple[Window, ...] = ()

    def __post_init__(self) -> None:
        _check_status("status", self.status)
        _check_status("failure_status", self.failure_status)
        if not 0.0 <= self.failure_rate <= 1.0:
            raise ConfigError(f"failure_rate: {self.failure_rate} is not between 0 and 1")
        if not (self.latency >= 0.0 and math.isfinite(self.latency)):
            raise ConfigError(f"latency: {self.latency} is not a finite number >= 0")


DEFAULT_BEHAVIOUR = Behaviour()


@dataclass(frozen=True, slots=True, kw_only=True)
class OAuthServer:
    """The mock customer identity provider (OAuth 2.0 client credentials)."""

    client_id: str
    client_secret: str = field(repr=False)
    token_ttl: float = 3600.0

    def __post_init__(self) -> None:
        if not self.client_id or not self.client_secret:
            raise ConfigError("oauth: client_id and client_secret must not be empty")
        if not (self.token_ttl > 0 and math.isfinite(self.token_ttl)):
            raise ConfigError(f"token_ttl: {self.token_ttl} is not a finite number > 0")


@dataclass(slots=True)
class ReceivedBatch:
    """One accepted batch, kept only when the receiver records."""

    at: float
    message_id: str
    activities: list[dict[str, Any]]
    duplicates: int


@dataclass(slots=True)
class Stats:
    """Counters of everything the receiver saw.

    `requests` counts delivery POSTs (any path) and `probes` GETs. `injected_failures` counts
    the requests the Behaviour made fail: an outage window, hang, reset, failure_rate, or a
    non-2xx fixed status. `refused`, `resets` and `hangs` count requests left unanswered.
    `statuses` counts the statuses sent to deliveries and probes, not the token endpoint's.
    """

    requests: int = 0
    batches: int = 0
    events: int = 0
    duplicates: int = 0
    unauthorized: int = 0
    injected_failures: int = 0
    bad_requests: int = 0
    too_large: int = 0
    refused: int = 0
    resets: int = 0
    hangs: int = 0
    probes: int = 0
    token_requests: int = 0
    tokens_issued: int = 0
    token_failures: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def to_json(self) -> bytes:
        return orjson.dumps(dataclasses.asdict(self), option=orjson.OPT_NON_STR_KEYS)

    def summary(self) -> str:
        """One line for the end of a run."""
        fields = dataclasses.asdict(self)
        statuses = fields.pop("statuses")
        parts = [f"{name}={value}" for name, value in fields.items()]
        parts.append("statuses=" + ",".join(f"{k}:{v}" for k, v in sorted(statuses.items())))
        return "stats: " + " ".join(parts)


def format_time(seconds: float) -> str:
    """Receiver time as `+HH:MM:SS.mmm` (hours grow past 99 rather than wrap)."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"+{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


# --- Behaviour <-> JSON (for PUT /_sim/behaviour) ------------------------------------------------

_SCALARS: dict[str, type] = {
    "status": int,
    "failure_rate": float,
    "failure_status": int,
    "latency": float,
    "hang": bool,
    "reset": bool,
}
_WINDOW_FIELDS: dict[str, type] = {"start": float, "end": float, "mode": str, "status": int}


def _typed(name: str, value: object, kind: type) -> Any:
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        return value
    raise ConfigError(f"{name}: expected {kind.__name__}, got {value!r}")


def _fields(obj: object, allowed: dict[str, type], where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise ConfigError(f"{where}: expected a JSON object")
    unknown = sorted(set(obj) - set(allowed))
    if unknown:
        raise ConfigError(f"{where}: unknown field {unknown[0]!r}")
    return {name: _typed(f"{where}.{name}", value, allowed[name]) for name, value in obj.items()}


def behaviour_from_json(changes: object, base: Behaviour) -> Behaviour:
    """`base` with the fields named in a JSON object replaced; raises ConfigError on anything
    unknown, mistyped or out of range."""
    if isinstance(changes, dict) and "outages" in changes:
        changes = dict(changes)
        outages = changes.pop("outages")
        if not isinstance(outages, list):
            raise ConfigError("behaviour.outages: expected a list")
        windows = tuple(
            Window(**_fields(item, _WINDOW_FIELDS, f"behaviour.outages[{i}]"))
            for i, item in enumerate(outages)
        )
        return dataclasses.replace(base, outages=windows, **_fields(changes, _SCALARS, "behaviour"))
    return dataclasses.replace(base, **_fields(changes, _SCALARS, "behaviour"))


def behaviour_to_json(behaviour: Behaviour) -> dict[str, Any]:
    return dataclasses.asdict(behaviour)


def describe_behaviour(behaviour: Behaviour) -> str:
    """The fields that differ from the default, e.g. `latency=19.5 outage=60-1260s:refuse`."""
    parts = [
        f"{f.name}={getattr(behaviour, f.name)}"
        for f in dataclasses.fields(behaviour)
        if f.name != "outages" and getattr(behaviour, f.name) != f.default
    ]
    parts += [
        f"outage={w.start:g}-{w.end:g}s:{w.status if w.mode == 'status' else w.mode}"
        for w in behaviour.outages
    ]
    return " ".join(parts) or "always 200"


# --- Payload -------------------------------------------------------------------------------------

_WRAPPER_STRINGS = ("sourceApplication", "munchkinId", "messageId", "messageCreatedDate")


def parse_batch(body: bytes) -> dict[str, Any]:
    """The legacy batch wrapper, parsed; raises ValueError naming the first problem."""
    try:
        batch = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc})") from None
    if not isinstance(batch, dict):
        raise ValueError("not a JSON object")
    for key in _WRAPPER_STRINGS:
        if not isinstance(batch.get(key), str):
            raise ValueError(f"{key}: missing or not a string")
    activities = batch.get("activities")
    if not isinstance(activities, list):
        raise ValueError("activities: missing or not a list")
    for i, activity in enumerate(activities):
        if not isinstance(activity, dict) or not isinstance(activity.get("marketoGUID"), str):
            raise ValueError(f"activities[{i}].marketoGUID: missing or not a string")
    return batch


def _body_line(body: bytes, batch: dict[str, Any]) -> str:
    """The body as one JSON line: verbatim when it is one line already, else re-serialized."""
    if b"\n" in body or b"\r" in body:
        return orjson.dumps(batch).decode()
    return body.decode()


def _drop_connection(request: web.BaseRequest) -> web.Response:
    """Close the connection with a TCP RST and no response; the returned placeholder is never
    written (aiohttp sees the closed transport and moves on)."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response(status=204)


def decode_basic_auth(header: str) -> tuple[str, str]:
    """(client id, secret) from `Basic <base64 of id:secret>`; ValueError if malformed.
    (aiohttp 3.14 deprecates `BasicAuth`, so this is done by hand.)"""
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise ValueError("not Basic")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("bad Basic credentials") from exc
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise ValueError("bad Basic credentials")
    return client_id, secret


def _bearer_candidates(header: str) -> tuple[str, ...]:
    """The token a header may carry: `Bearer <token>` or the raw token (the real format is
    undocumented)."""
    header = header.strip()
    scheme, _, rest = header.partition(" ")
    if scheme.lower() == "bearer" and rest.strip():
        return (rest.strip(), header)
    return (header,)


class Receiver:
    """The dev consumer endpoint. Create, `await start()`, point the producer at the URL."""

    def __init__(
        self,
        *,
        token: str | None = None,
        oauth: OAuthServer | None = None,
        behaviour: Behaviour = DEFAULT_BEHAVIOUR,
        seed: int = 0,
        record: bool = False,
        dedupe: bool = True,
        bodies: IO[str] | None = None,
        log: Callable[[str], None] | None = None,
        max_body: int = 16 * 1024 * 1024,
    ) -> None:
        if token is not None and not token:
            raise ConfigError("token: must not be empty")
        self._token = token
        self.oauth = oauth
        self.behaviour = behaviour
        self.seed = seed
        self.record = record
        self.dedupe = dedupe
        self.stats = Stats()
        self.received: list[ReceivedBatch] = []
        self._bodies = bodies
        self._log = log
        self._rng = random.Random(seed)
        self._seen: set[str] = set()
        self._tokens: dict[str, float] = {}  # issued token -> receiver time it expires
        self._token_counter = 0
        self._token_failures: list[int] = []  # statuses for the next token requests
        self._stopping = asyncio.Event()
        self._t0: float | None = None
        self._runner: web.AppRunner | None = None
        self._url = ""
        self._max_body = max_body
        self.app = web.Application(client_max_size=max_body)
        self.app.router.add_get("/_sim/stats", self._get_stats)
        self.app.router.add_get("/_sim/behaviour", self._get_behaviour)
        self.app.router.add_put("/_sim/behaviour", self._put_behaviour)
        self.app.router.add_post("/oauth/token", self._issue_token)
        self.app.router.add_get("/{tail:.*}", self._probe)
        self.app.router.add_post("/{tail:.*}", self._deliver)

    # --- lifecycle -------------------------------------------------------------------------------

    def now(self) -> float:
        """Receiver time: seconds of loop time since `start()` (0.0 before it)."""
        if self._t0 is None:
            return 0.0
        return asyncio.get_running_loop().time() - self._t0

    @property
    def url(self) -> str:
        return self._url

    @property
    def token_url(self) -> str:
        return self._url + "oauth/token"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on a loopback address; returns the base URL, e.g. `http://127.0.0.1:PORT/`."""
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ConfigError(f"host {host!r}: the receiver only binds a loopback IP address")
        runner = web.AppRunner(
            self.app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        self._t0 = asyncio.get_running_loop().time()
        bound = runner.addresses[0][1]
        self._url = f"http://{host}:{bound}/" if ":" not in host else f"http://[{host}]:{bound}/"
        return self._url

    async def stop(self) -> None:
        """Stop listening; hung requests are dropped, slow ones get up to 1 s to finish."""
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- test and scenario hooks -----------------------------------------------------------------

    def fail_token_requests(self, n: int, status: int = 503) -> None:
        """The next `n` token requests fail with `status` (an identity provider hiccup)."""
        _check_status("status", status)
        self._token_failures.extend([status] * n)

    def expire_tokens(self) -> None:
        """Revoke every token issued so far (token rotation on the customer's side)."""
        self._tokens.clear()

    # --- helpers ---------------------------------------------------------------------------------

    def _say(self, at: float, text: str) -> None:
        if self._log is not None:
            self._log(f"{format_time(at)} {text}")

    def _answer(self, status: int, text: str | None = None, **kwargs: Any) -> web.Response:
        self.stats.statuses[status] = self.stats.statuses.get(status, 0) + 1
        return web.Response(status=status, text=text, **kwargs)

    def _outage(self, at: float) -> Window | None:
        return next((w for w in self.behaviour.outages if w.covers(at)), None)

    def _auth_problem(self, header: str | None) -> str:
        """Why the Authorization header is refused, or "" when it is accepted."""
        if self._token is None and self.oauth is None:
            return ""
        if not header:
            return "no Authorization header"
        expired = False
        for candidate in _bearer_candidates(header):
            if self._token is not None and hmac.compare_digest(
                candidate.encode(), self._token.encode()
            ):
                return ""
            expires = self._tokens.get(candidate)
            if expires is not None and self.now() < expires:
                return ""
            expired = expired or expires is not None
        return "token expired" if expired else "token not accepted"

    async def _hang(self) -> None:
        """Never answer: the handler is cancelled when the client gives up, or ends at `stop()`."""
        await self._stopping.wait()

    async def _misbehave(self, request: web.Request, mode: str, at: float, why: str) -> Any:
        """Refuse, hang or reset a request (outage windows and the hang/reset flags)."""
        self.stats.injected_failures += 1
        if mode == "refuse":
            self.stats.refused += 1
            self._say(at, f"{request.method} refused ({why})")
            return _drop_connection(request)
        if mode == "hang":
            self.stats.hangs += 1
            self._say(at, f"{request.method} hang, never answers ({why})")
            await self._hang()
            return _drop_connection(request)
        self.stats.resets += 1
        self._say(at, f"{request.method} reset after reading the request ({why})")
        with contextlib.suppress(web.HTTPRequestEntityTooLarge):
            await request.read()
        return _drop_connection(request)

    async def _outage_answer(self, request: web.Request, window: Window, at: float) -> Any:
        why = f"outage {window.start:g}-{window.end:g}s"
        if window.mode != "status":
            return await self._misbehave(request, window.mode, at, why)
        self.stats.injected_failures += 1
        self._say(at, f"{request.method} {window.status} injected ({why})")
        return self._answer(window.status)

    # --- consumer routes -------------------------------------------------------------------------

    async def _probe(self, request: web.Request) -> Any:
        """GET on any path: 200 like Adobe's sample consumer, echoing `challenge` if given."""
        at = self.now()
        self.stats.probes += 1
        window = self._outage(at)
        if window is not None:
            return await self._outage_answer(request, window, at)
        challenge = request.query.get("challenge")
        self._say(at, "GET 200" + (" (challenge echoed)" if challenge is not None else ""))
        return self._answer(200, challenge if challenge is not None else "ok")

    async def _deliver(self, request: web.Request) -> Any:
        """POST on any path: a batch of lead activities."""
        at = self.now()
        self.stats.requests += 1
        window = self._outage(at)
        if window is not None:
            return await self._outage_answer(request, window, at)
        problem = self._auth_problem(request.headers.get("Authorization"))
        if problem:
            self.stats.unauthorized += 1
            self._say(at, f"POST 401 unauthorized ({problem})")
            return self._answer(401, "Unauthorized", headers={"WWW-Authenticate": "Bearer"})
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            self.stats.too_large += 1
            self._say(at, f"POST 413 body over {self._max_body} bytes")
            return self._answer(413, "Payload Too Large")
        return await self._respond(request, body, at)

    async def _respond(self, request: web.Request, body: bytes, at: float) -> Any:
        behaviour = self.behaviour
        if behaviour.hang or behaviour.reset:
            mode = "hang" if behaviour.hang else "reset"
            return await self._misbehave(request, mode, at, mode)
        status, why = behaviour.status, "status"
        if self._rng.random() < behaviour.failure_rate:
            status, why = behaviour.failure_status, "failure_rate"
        text = "OK"
        if 200 <= status < 300:
            status, text = self._accept(body, at, status)
        else:
            self.stats.injected_failures += 1
            self._say(at, f"POST {status} injected ({why})" + _after(behaviour.latency))
        await asyncio.sleep(behaviour.latency)
        return self._answer(status, None if status == 204 else text)

    def _accept(self, body: bytes, at: float, status: int) -> tuple[int, str]:
        """Parse, count and log a batch the consumer takes; returns the status and body text."""
        latency = _after(self.behaviour.latency)
        try:
            batch = parse_batch(body)
        except ValueError as exc:
            self.stats.bad_requests += 1
            self._say(at, f"POST 400 bad body: {exc}{latency}")
            return 400, f"Bad Request: {exc}"
        activities = batch["activities"]
        duplicates = self._count_duplicates(activities)
        self.stats.batches += 1
        self.stats.events += len(activities)
        self.stats.duplicates += duplicates
        if self.record:
            self.received.append(ReceivedBatch(at, batch["messageId"], activities, duplicates))
        if self._bodies is not None:
            self._bodies.write(_body_line(body, batch) + "\n")
            self._bodies.flush()
        first = activities[0]["marketoGUID"] if activities else "-"
        line = f"msg={batch['messageId']} events={len(activities)} dup={duplicates} first={first}"
        self._say(at, f"POST {status} {line}{latency}")
        return status, "OK"

    def _count_duplicates(self, activities: list[dict[str, Any]]) -> int:
        if not self.dedupe:
            return 0
        duplicates = 0
        for activity in activities:
            guid = activity["marketoGUID"]
            if guid in self._seen:
                duplicates += 1
            else:
                self._seen.add(guid)
        return duplicates

    # --- identity provider -----------------------------------------------------------------------

    def _client_ok(self, request: web.Request, form: Any) -> bool:
        """Client credentials by HTTP Basic (raw, or form-urlencoded as RFC 6749 2.3.1 says)
        or in the form body (`client_id`, `client_secret`)."""
        assert self.oauth is not None
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("basic "):
            try:
                client_id, secret = decode_basic_auth(header)
            except ValueError:
                return False
        else:
            client_id, secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
        expected = (self.oauth.client_id, self.oauth.client_secret)
        return _same(expected, (client_id, secret)) or _same(
            expected, (unquote_plus(client_id), unquote_plus(secret))
        )

    def _new_token(self) -> str:
        self._token_counter += 1
        digest = hashlib.sha256(f"{self.seed}:{self._token_counter}".encode()).hexdigest()
        return f"sim-{digest[:40]}"

    async def _issue_token(self, request: web.Request) -> web.Response:
        """POST /oauth/token: OAuth 2.0 client credentials grant."""
        at = self.now()
        self.stats.token_requests += 1
        no_store = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if self.oauth is None:
            self._say(at, "TOKEN 404 (no identity provider configured)")
            return _json(404, {"error": "no identity provider configured"})
        if self._token_failures:
            status = self._token_failures.pop(0)
            self.stats.token_failures += 1
            self._say(at, f"TOKEN {status} injected")
            error = "temporarily_unavailable" if status == 503 else "server_error"
            return _json(status, {"error": error}, no_store)
        form = await request.post()
        if not self._client_ok(request, form):
            self._say(at, "TOKEN 401 invalid_client")
            return _json(401, {"error": "invalid_client"}, {"WWW-Authenticate": "Basic"})
        if form.get("grant_type") != "client_credentials":
            self._say(at, "TOKEN 400 unsupported_grant_type")
            return _json(400, {"error": "unsupported_grant_type"}, no_store)
        ttl = self.oauth.token_ttl
        token = self._new_token()
        self._tokens[token] = at + ttl
        self.stats.tokens_issued += 1
        self._say(at, f"TOKEN 200 issued #{self._token_counter} expires_in={ttl:g}s")
        expires_in = int(ttl) if float(ttl).is_integer() else ttl
        body = {"access_token": token, "token_type": "Bearer", "expires_in": expires_in}
        return _json(200, body, no_store)

    # --- control routes --------------------------------------------------------------------------

    async def _get_stats(self, request: web.Request) -> web.Response:
        return web.Response(body=self.stats.to_json(), content_type="application/json")

    async def _get_behaviour(self, request: web.Request) -> web.Response:
        return web.json_response(behaviour_to_json(self.behaviour), dumps=_dumps)

    async def _put_behaviour(self, request: web.Request) -> web.Response:
        """Replace the named Behaviour fields; 400 on unknown, mistyped or bad values."""
        try:
            changes = orjson.loads(await request.read())
            self.behaviour = behaviour_from_json(changes, self.behaviour)
        except (orjson.JSONDecodeError, ConfigError) as exc:
            return web.json_response({"error": str(exc)}, status=400, dumps=_dumps)
        self._say(self.now(), "behaviour changed")
        return web.json_response(behaviour_to_json(self.behaviour), dumps=_dumps)


def _same(expected: tuple[str, str], given: tuple[str, str]) -> bool:
    """Constant-time comparison of (client id, secret) pairs."""
    results = [
        hmac.compare_digest(e.encode(), g.encode()) for e, g in zip(expected, given, strict=True)
    ]
    return all(results)


def _after(latency: float) -> str:
    return f" after={latency:g}s" if latency else ""


def _json(status: int, obj: object, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON answer of the identity provider (not counted in `Stats.statuses`)."""
    return web.Response(
        status=status, body=orjson.dumps(obj), content_type="application/json", headers=headers
    )


def _dumps(obj: object) -> str:
    return orjson.dumps(obj).decode()


# --- command line --------------------------------------------------------------------------------


def parse_outage(text: str) -> Window:
    """`START:END[:MODE]` in seconds; MODE is refuse, hang, reset, status or an HTTP status."""
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise argparse.ArgumentTypeError(f"{text!r}: expected START:END[:MODE]")
    mode, status = (parts[2] if len(parts) == 3 else "refuse"), 503
    if mode.isdigit():
        mode, status = "status", int(mode)
    try:
        return Window(start=float(parts[0]), end=float(parts[1]), mode=mode, status=status)
    except (ValueError, ConfigError) as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of `marketo-sim receive`."""
    add = parser.add_argument
    add("--port", type=int, default=3000, help="port on 127.0.0.1 (default 3000; 0 = any)")
    add("--token-env", metavar="NAME", help="require this API token, read from $NAME")
    add("--oauth-client-id", metavar="ID", help="run a mock identity provider for this client")
    add("--oauth-secret-env", metavar="NAME", help="the client secret, read from $NAME")
    add("--token-ttl", type=float, default=3600.0, metavar="SECONDS", help="token lifetime")
    add("--status", type=int, default=200, help="status for deliveries (default 200)")
    add("--failure-rate", type=float, default=0.0, help="share of deliveries that fail (0..1)")
    add("--failure-status", type=int, default=503, help="status of those failures (default 503)")
    add("--latency", type=float, default=0.0, metavar="SECONDS", help="delay before answering")
    add("--hang", action="store_true", help="never answer deliveries")
    add("--reset", action="store_true", help="drop the connection without answering")
    add(
        "--outage",
        type=parse_outage,
        action="append",
        default=[],
        metavar="START:END[:MODE]",
        help="seconds after start; MODE refuse (default), hang, reset or a status; repeatable",
    )
    add("--bodies", metavar="FILE", help="write accepted batches to FILE as JSON lines")
    add("--seed", type=int, default=0, help="seed of the failure-rate draws and tokens")
    add("--quiet", action="store_true", help="no line per request, only the final stats")


def _secret(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise MissingSecret(f"environment variable {name} is not set")
    return value


def _auth_from_args(args: argparse.Namespace) -> tuple[str | None, OAuthServer | None, list[str]]:
    """The static token and identity provider the flags ask for, and lines describing them
    (which never contain a secret)."""
    token, oauth, lines = None, None, []
    if args.token_env:
        token = _secret(args.token_env)
        lines.append(f"token: set (from ${args.token_env})")
    if bool(args.oauth_client_id) != bool(args.oauth_secret_env):
        raise ConfigError("--oauth-client-id and --oauth-secret-env go together")
    if args.oauth_client_id:
        secret = _secret(args.oauth_secret_env)
        oauth = OAuthServer(
            client_id=args.oauth_client_id, client_secret=secret, token_ttl=args.token_ttl
        )
        lines.append(
            f"oauth: client_id={args.oauth_client_id} secret: set (from ${args.oauth_secret_env})"
            f" ttl={args.token_ttl:g}s"
        )
    if not lines:
        lines.append("auth: none (every delivery is accepted)")
    return token, oauth, lines


def _open_bodies(path: str) -> IO[str]:
    """The --bodies file, truncated: one JSON line per accepted batch of this run."""
    return open(path, "w", encoding="utf-8")


async def serve(args: argparse.Namespace) -> int:
    """Run the receiver until cancelled (Ctrl-C); one line per request, then a stats line."""
    say = functools.partial(print, flush=True)
    token, oauth, auth_lines = _auth_from_args(args)
    behaviour = Behaviour(
        status=args.status,
        failure_rate=args.failure_rate,
        failure_status=args.failure_status,
        latency=args.latency,
        hang=args.hang,
        reset=args.reset,
        outages=tuple(args.outage),
    )
    with contextlib.ExitStack() as stack:
        bodies = stack.enter_context(_open_bodies(args.bodies)) if args.bodies else None
        receiver = Receiver(
            token=token,
            oauth=oauth,
            behaviour=behaviour,
            seed=args.seed,
            bodies=bodies,
            log=None if args.quiet else say,
        )
        try:
            url = await receiver.start(port=args.port)
        except OSError as exc:
            raise ConfigError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}") from exc
        say(f"receiving on {url}")
        for line in auth_lines:
            say(line)
        say(f"behaviour: {describe_behaviour(behaviour)}")
        if oauth is not None:
            say(f"token url: {receiver.token_url}")
        try:
            await asyncio.get_running_loop().create_future()  # until cancelled (Ctrl-C)
        except asyncio.CancelledError:
            pass  # the normal way to stop: exit 0 after the stats line
        finally:
            await receiver.stop()
            say(receiver.stats.summary())
    return 0
