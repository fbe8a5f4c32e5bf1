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

Adobe I/O Events deliveries (reference §4) are told from legacy batches by shape: an object
with `activities` is a legacy batch, an array or an object with `eventid`/`event_id`/`specversion`
is an I/O delivery (one event or a batch), an object with `validationUrl` is the asynchronous
challenge; any other object is checked (and refused) as a legacy batch. The content type is not
looked at, so `application/cloudevents+json` is accepted like `application/json`.
- The GET challenge is answered as `text/plain` (`challenge_style="text"`), as JSON
  `{"challenge": ...}` ("json"), or ignored ("refuse": 200 "ok", like Adobe's sample consumer,
  which sends I/O Events into asynchronous validation).
- A `validationUrl` POST goes through the same checks as a delivery; when its answer is 2xx it is
  recorded (`validation_urls`) instead of a batch and, with `confirm_validation`, the URL is
  fetched with a GET `confirm_delay` seconds after the answer was written, like a human clicking
  it. Only http(s) URLs on a loopback host are fetched, never following redirects.
- I/O events are counted and de-duplicated by `eventid`, else `event_id`, else the CloudEvents
  `id` (flat Observability events carry only `id`); legacy activities by `marketoGUID`. The two
  id spaces are kept apart.
- Signatures are checked only on I/O deliveries, right after the body size and before hang,
  reset, latency and failure injection: the digital signatures when `verify_signatures` (public
  keys fetched from `key_base_url` + the header's relative path, cached per path for 24 h of
  receiver time), the HMAC `x-adobe-signature` when `client_secret` is set. A delivery is "BAD"
  when any enabled check fails; `reject_bad_signatures` answers it 401, otherwise it is accepted
  and only counted.
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

import aiohttp
import orjson
from aiohttp import web
from yarl import URL

from simulator.errors import ConfigError, MissingSecret
from simulator.signing import (
    HMAC_HEADER,
    KEY_CACHE_SECONDS,
    KEY_PATH_HEADERS,
    SIGNATURE_HEADERS,
    hmac_signature,
    is_key_path,
    verify_signature,
)

__all__ = [
    "CHALLENGE_STYLES",
    "MODES",
    "Behaviour",
    "OAuthServer",
    "Parsed",
    "ReceivedBatch",
    "Receiver",
    "Stats",
    "Window",
    "add_arguments",
    "behaviour_from_json",
    "behaviour_to_json",
    "describe_behaviour",
    "event_id",
    "format_time",
    "parse_batch",
    "parse_delivery",
    "parse_outage",
    "serve",
]

MODES = ("refuse", "status", "hang", "reset")
CHALLENGE_STYLES = ("text", "json", "refuse")
KEY_FETCH_TIMEOUT = 5.0  # seconds for one public-key GET (I/O Events gives a delivery 10 s)
VALIDATION_TIMEOUT = 10.0  # seconds for the GET on a validationUrl
MAX_KEY_BYTES = 16 * 1024  # an RSA-4096 SubjectPublicKeyInfo PEM is ~800 bytes
_IO_MARKERS = ("eventid", "event_id", "specversion")
_RECORDED_HEADERS = ("content-type",)  # plus every x-adobe-* header


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
    """One accepted batch, kept only when the receiver records.

    `kind` is "legacy" or "io". For a legacy batch `message_id` is the wrapper's `messageId` and
    `events` is `activities`; for an I/O delivery `message_id` is the `x-adobe-delivery-id` header
    ("" if absent), `activities` is empty and `events` holds the delivered envelopes (one for a
    single delivery). `headers` keeps the x-adobe-* headers and the content type, names in lower
    case (never Authorization). `signature` is "ok", "BAD" or "-" (not checked).
    """

    at: float
    message_id: str
    activities: list[dict[str, Any]]
    duplicates: int
    kind: str = "legacy"
    events: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    signature: str = "-"


@dataclass(slots=True)
class Stats:
    """Counters of everything the receiver saw.

    `requests` counts POSTs on consumer paths (deliveries and validationUrl POSTs) and `probes`
    GETs, `challenges` the GETs that carried a `challenge`. `injected_failures` counts the
    requests the Behaviour made fail: an outage window, hang, reset, failure_rate, or a non-2xx
    fixed status. `refused`, `resets` and `hangs` count requests left unanswered. `statuses`
    counts the statuses sent to deliveries and probes, not the token endpoint's.

    `batches`, `events` and `duplicates` count legacy and I/O deliveries alike; `io_batches` is
    the I/O share of `batches`. `validation_requests` counts accepted validationUrl POSTs,
    `validations_confirmed` the confirmation GETs answered 2xx, `validation_errors` those that
    failed or were not made. `signatures_valid`/`_invalid` count I/O deliveries by their digital
    signatures, `hmac_valid`/`_invalid` by `x-adobe-signature`; `key_fetches` counts public-key
    GETs and `key_fetch_failures` those that gave no key.
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
    challenges: int = 0
    validation_requests: int = 0
    validations_confirmed: int = 0
    validation_errors: int = 0
    io_batches: int = 0
    signatures_valid: int = 0
    signatures_invalid: int = 0
    hmac_valid: int = 0
    hmac_invalid: int = 0
    key_fetches: int = 0
    key_fetch_failures: int = 0
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


def _load_json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc})") from None


def parse_batch(body: bytes) -> dict[str, Any]:
    """The legacy batch wrapper, parsed; raises ValueError naming the first problem."""
    batch = _load_json(body)
    if not isinstance(batch, dict):
        raise ValueError("not a JSON object")
    return _check_legacy(batch)


def _check_legacy(batch: dict[str, Any]) -> dict[str, Any]:
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


def event_id(event: dict[str, Any]) -> str | None:
    """The id an I/O event is de-duplicated by: `eventid`, else the deprecated `event_id`, else
    the CloudEvents `id`; None when none is a non-empty string."""
    for key in ("eventid", "event_id", "id"):
        value = event.get(key)
        if isinstance(value, str) and value:
            return value
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Parsed:
    """A POST body told apart by shape: kind "legacy" (`batch` is the wrapper), "io" (`events`
    are the envelopes) or "validation" (`validation_url`). `ids` are what duplicates are counted
    by: the marketoGUIDs or the event ids, in order."""

    kind: str
    events: list[dict[str, Any]]
    ids: list[str]
    batch: dict[str, Any] | None = None
    validation_url: str = ""


def _check_io(events: list[Any]) -> Parsed:
    if not events:
        raise ValueError("not a JSON object, and an empty array is no batch of events")
    ids = []
    for i, event in enumerate(events):
        if not isinstance(event, dict):
            raise ValueError(f"events[{i}]: not a JSON object")
        found = event_id(event)
        if found is None:
            raise ValueError(f"events[{i}]: no eventid, event_id or id string")
        ids.append(found)
    return Parsed(kind="io", events=events, ids=ids)


def parse_delivery(body: bytes) -> Parsed:
    """Any POST body the consumer accepts, told apart by shape (see the module docstring);
    raises ValueError naming the first problem."""
    doc = _load_json(body)
    if isinstance(doc, list):
        return _check_io(doc)
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object (nor an array of events)")
    if "validationUrl" in doc:
        url = doc["validationUrl"]
        if not isinstance(url, str) or not url:
            raise ValueError("validationUrl: not a string")
        return Parsed(kind="validation", events=[], ids=[], validation_url=url)
    if "activities" not in doc and any(key in doc for key in _IO_MARKERS):
        return _check_io([doc])
    batch = _check_legacy(doc)
    activities = batch["activities"]
    guids = [activity["marketoGUID"] for activity in activities]
    return Parsed(kind="legacy", events=activities, ids=guids, batch=batch)


def _body_line(body: bytes, batch: object) -> str:
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


def _check_io_options(
    *,
    confirm_delay: float,
    verify_signatures: bool,
    key_base_url: str | None,
    reject_bad_signatures: bool,
    client_secret: str | None,
) -> None:
    if not (confirm_delay >= 0.0 and math.isfinite(confirm_delay)):
        raise ConfigError(f"confirm_delay: {confirm_delay} is not a finite number >= 0")
    if verify_signatures and not key_base_url:
        raise ConfigError("verify_signatures needs key_base_url (where the public keys are)")
    if key_base_url:
        problem = _loopback_url_problem(key_base_url)
        if problem:
            raise ConfigError(f"key_base_url {key_base_url!r}: {problem}")
    if client_secret is not None and not client_secret:
        raise ConfigError("client_secret: must not be empty")
    if reject_bad_signatures and not (verify_signatures or client_secret):
        raise ConfigError("reject_bad_signatures needs verify_signatures or client_secret")


def _loopback_url_problem(url: str) -> str:
    """Why the receiver will not fetch `url` (it only talks to http(s) on a loopback host),
    or "" when it will."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return "not a URL"
    if parsed.scheme not in ("http", "https"):
        return "not an http(s) URL"
    host = parsed.host or ""
    if host == "localhost":
        return ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    return "" if loopback else "not a loopback host"


async def _read_bounded(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The response body, or ValueError once it grows past `limit` bytes."""
    data = bytearray()
    async for chunk in response.content.iter_chunked(4096):
        data += chunk
        if len(data) > limit:
            raise ValueError(f"body over {limit} bytes")
    return bytes(data)


def _recorded_headers(headers: Any) -> dict[str, str]:
    """The x-adobe-* headers and the content type, names in lower case."""
    kept = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower.startswith("x-adobe-") or lower in _RECORDED_HEADERS:
            kept[lower] = value
    return kept


class Receiver:
    """The dev consumer endpoint. Create, `await start()`, point the producer at the URL.

    I/O Events options: `challenge_style` ("text", "json" or "refuse"; may be changed at run
    time), `confirm_validation` and `confirm_delay` (GET a posted validationUrl that many seconds
    after answering), `verify_signatures` with `key_base_url` (where the relative public-key paths
    are fetched from; http(s) on a loopback host), `client_secret` (check the HMAC
    `x-adobe-signature`) and `reject_bad_signatures` (answer 401 instead of only counting).
    """

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
        challenge_style: str = "text",
        confirm_validation: bool = False,
        confirm_delay: float = 0.0,
        verify_signatures: bool = False,
        key_base_url: str | None = None,
        reject_bad_signatures: bool = False,
        client_secret: str | None = None,
    ) -> None:
        if token is not None and not token:
            raise ConfigError("token: must not be empty")
        _check_io_options(
            confirm_delay=confirm_delay,
            verify_signatures=verify_signatures,
            key_base_url=key_base_url,
            reject_bad_signatures=reject_bad_signatures,
            client_secret=client_secret,
        )
        self.challenge_style = challenge_style
        self.confirm_validation = confirm_validation
        self.confirm_delay = confirm_delay
        self.verify_signatures = verify_signatures
        self.reject_bad_signatures = reject_bad_signatures
        self._key_base_url = (key_base_url or "").rstrip("/")
        self._client_secret = client_secret
        self.validation_urls: list[str] = []
        self._keys: dict[str, tuple[bytes, float]] = {}  # key path -> (PEM, receiver time fetched)
        self._key_lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._seen_events: set[str] = set()
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

    @property
    def challenge_style(self) -> str:
        return self._challenge_style

    @challenge_style.setter
    def challenge_style(self, style: str) -> None:
        if style not in CHALLENGE_STYLES:
            expected = ", ".join(CHALLENGE_STYLES)
            raise ConfigError(f"challenge_style {style!r}: expected one of {expected}")
        self._challenge_style = style

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
        """Stop listening; hung requests are dropped, slow ones get up to 1 s to finish.
        Pending validation GETs are cancelled."""
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def settle(self) -> None:
        """Wait until every validation GET started so far is done (or has failed)."""
        while pending := [task for task in self._tasks if not task.done()]:
            await asyncio.gather(*pending, return_exceptions=True)

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
        """GET on any path: 200 like Adobe's sample consumer; a `challenge` is answered as the
        `challenge_style` says."""
        at = self.now()
        self.stats.probes += 1
        window = self._outage(at)
        if window is not None:
            return await self._outage_answer(request, window, at)
        challenge = request.query.get("challenge")
        if challenge is None:
            self._say(at, "GET 200")
            return self._answer(200, "ok")
        self.stats.challenges += 1
        style = self.challenge_style
        if style == "json":
            self._say(at, "GET 200 (challenge echoed as JSON)")
            body = orjson.dumps({"challenge": challenge}).decode()
            return self._answer(200, body, content_type="application/json")
        if style == "refuse":
            self._say(at, "GET 200 (challenge ignored)")
            return self._answer(200, "ok")
        self._say(at, "GET 200 (challenge echoed)")
        return self._answer(200, challenge)

    async def _deliver(self, request: web.Request) -> Any:
        """POST on any path: a legacy batch, an I/O delivery or an I/O validationUrl."""
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
        try:
            parsed: Parsed | ValueError = parse_delivery(body)
        except ValueError as exc:
            parsed = exc
        verdict = "-"
        if isinstance(parsed, Parsed) and parsed.kind == "io":
            verdict = await self._check_signatures(request, body)
            if verdict == "BAD" and self.reject_bad_signatures:
                self._say(at, f"POST 401 io {_io_summary(request, parsed)} sig=BAD")
                return self._answer(401, "Unauthorized: bad signature")
        return await self._respond(request, body, parsed, verdict, at)

    async def _respond(
        self,
        request: web.Request,
        body: bytes,
        parsed: Parsed | ValueError,
        verdict: str,
        at: float,
    ) -> Any:
        behaviour = self.behaviour
        if behaviour.hang or behaviour.reset:
            mode = "hang" if behaviour.hang else "reset"
            return await self._misbehave(request, mode, at, mode)
        status, why = behaviour.status, "status"
        if self._rng.random() < behaviour.failure_rate:
            status, why = behaviour.failure_status, "failure_rate"
        text = "OK"
        if 200 <= status < 300:
            status, text = self._accept(request, body, parsed, verdict, at, status)
        else:
            self.stats.injected_failures += 1
            self._say(at, f"POST {status} injected ({why})" + _after(behaviour.latency))
        await asyncio.sleep(behaviour.latency)
        response = self._answer(status, None if status == 204 else text)
        if status < 300 and isinstance(parsed, Parsed) and parsed.kind == "validation":
            await self._then_confirm(request, response, parsed.validation_url)
        return response

    def _accept(
        self,
        request: web.Request,
        body: bytes,
        parsed: Parsed | ValueError,
        verdict: str,
        at: float,
        status: int,
    ) -> tuple[int, str]:
        """Count, record and log a delivery the consumer takes; returns the status and body
        text (400 for a body it cannot read)."""
        latency = _after(self.behaviour.latency)
        if isinstance(parsed, ValueError):
            self.stats.bad_requests += 1
            self._say(at, f"POST 400 bad body: {parsed}{latency}")
            return 400, f"Bad Request: {parsed}"
        if parsed.kind == "validation":
            self.stats.validation_requests += 1
            self.validation_urls.append(parsed.validation_url)
            self._say(at, f"POST {status} validationUrl recorded{latency}")
            return status, "OK"
        duplicates = self._count_duplicates(parsed)
        self.stats.batches += 1
        self.stats.events += len(parsed.events)
        self.stats.duplicates += duplicates
        if self.record:
            self.received.append(self._received(request, parsed, duplicates, verdict, at))
        if self._bodies is not None:
            self._bodies.write(_body_line(body, parsed.batch or parsed.events) + "\n")
            self._bodies.flush()
        if parsed.kind == "io":
            self.stats.io_batches += 1
            line = f"io {_io_summary(request, parsed)} dup={duplicates} sig={verdict}"
        else:
            assert parsed.batch is not None
            first = parsed.ids[0] if parsed.ids else "-"
            line = f"msg={parsed.batch['messageId']} events={len(parsed.ids)} dup={duplicates}"
            line += f" first={first}"
        self._say(at, f"POST {status} {line}{latency}")
        return status, "OK"

    @staticmethod
    def _received(
        request: web.Request, parsed: Parsed, duplicates: int, verdict: str, at: float
    ) -> ReceivedBatch:
        headers = _recorded_headers(request.headers)
        if parsed.batch is not None:
            activities = parsed.batch["activities"]
            message_id = parsed.batch["messageId"]
            return ReceivedBatch(
                at, message_id, activities, duplicates, "legacy", activities, headers
            )
        message_id = request.headers.get("x-adobe-delivery-id", "")
        return ReceivedBatch(at, message_id, [], duplicates, "io", parsed.events, headers, verdict)

    def _count_duplicates(self, parsed: Parsed) -> int:
        if not self.dedupe:
            return 0
        seen = self._seen_events if parsed.kind == "io" else self._seen
        duplicates = 0
        for key in parsed.ids:
            if key in seen:
                duplicates += 1
            else:
                seen.add(key)
        return duplicates

    # --- I/O Events: signatures and validation ---------------------------------------------------

    async def _check_signatures(self, request: web.Request, body: bytes) -> str:
        """ "ok", "BAD" or "-" (nothing to check) for an I/O delivery, counting the results."""
        results = []
        if self.verify_signatures:
            valid = await self._digital_signature_ok(request, body)
            if valid:
                self.stats.signatures_valid += 1
            else:
                self.stats.signatures_invalid += 1
            results.append(valid)
        if self._client_secret is not None:
            expected = hmac_signature(body, self._client_secret)
            given = request.headers.get(HMAC_HEADER, "")
            valid = hmac.compare_digest(expected.encode(), given.encode())
            if valid:
                self.stats.hmac_valid += 1
            else:
                self.stats.hmac_invalid += 1
            results.append(valid)
        if not results:
            return "-"
        return "ok" if all(results) else "BAD"

    async def _digital_signature_ok(self, request: web.Request, body: bytes) -> bool:
        """Whether either `x-adobe-digital-signature-N` verifies over the raw body with the key
        at `x-adobe-publicN-path` (keys are fetched only as far as needed)."""
        for signature_header, path_header in zip(SIGNATURE_HEADERS, KEY_PATH_HEADERS, strict=True):
            signature = request.headers.get(signature_header)
            path = request.headers.get(path_header)
            if not signature or not path:
                continue
            pem = await self._public_key(path)
            if pem is not None and verify_signature(body, signature, pem):
                return True
        return False

    async def _public_key(self, path: str) -> bytes | None:
        """The PEM at `key_base_url` + `path`, fetched once and cached for 24 h of receiver
        time; None if the path is malformed or the key cannot be fetched (not cached)."""
        if not is_key_path(path):
            return None
        async with self._key_lock:
            cached = self._keys.get(path)
            if cached is not None and self.now() - cached[1] < KEY_CACHE_SECONDS:
                return cached[0]
            pem = await self._fetch_key(path)
            if pem is not None:
                self._keys[path] = (pem, self.now())
            return pem

    async def _fetch_key(self, path: str) -> bytes | None:
        self.stats.key_fetches += 1
        timeout = aiohttp.ClientTimeout(total=KEY_FETCH_TIMEOUT)
        try:
            async with self._client().get(
                self._key_base_url + path, allow_redirects=False, timeout=timeout
            ) as response:
                status = response.status
                pem = await _read_bounded(response, MAX_KEY_BYTES) if status == 200 else None
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            status, pem = type(exc).__name__, None
        if pem is None:
            self.stats.key_fetch_failures += 1
        self._say(self.now(), f"KEY GET {path} {status}")
        return pem

    def _client(self) -> aiohttp.ClientSession:
        """The receiver's own HTTP client (public keys, validation URLs), made on first use."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def _then_confirm(self, request: web.Request, response: web.Response, url: str) -> None:
        """With `confirm_validation`, write the answer out first, then GET `url` in the
        background after `confirm_delay`, like a human clicking the link later."""
        if not self.confirm_validation:
            return
        await response.prepare(request)
        await response.write_eof()
        task = asyncio.get_running_loop().create_task(self._confirm(url))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _confirm(self, url: str) -> None:
        await asyncio.sleep(self.confirm_delay)
        problem = _loopback_url_problem(url)
        if problem:
            self.stats.validation_errors += 1
            self._say(self.now(), f"VALIDATE not confirmed ({problem})")
            return
        timeout = aiohttp.ClientTimeout(total=VALIDATION_TIMEOUT)
        try:
            async with self._client().get(url, allow_redirects=False, timeout=timeout) as response:
                status: int | str = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            status = type(exc).__name__
        if isinstance(status, int) and 200 <= status < 300:
            self.stats.validations_confirmed += 1
        else:
            self.stats.validation_errors += 1
        self._say(self.now(), f"VALIDATE GET {status}")

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


def _io_summary(request: web.Request, parsed: Parsed) -> str:
    """`events=N first=<id>` plus `retry=N` when the delivery carries x-adobe-retry-count."""
    retry = request.headers.get("x-adobe-retry-count")
    text = f"events={len(parsed.ids)} first={parsed.ids[0]}"
    return text + (f" retry={retry}" if retry is not None else "")


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
    add(
        "--challenge",
        choices=CHALLENGE_STYLES,
        default="text",
        help="answer to the I/O Events GET challenge: text (default), json, or refuse (ignore it)",
    )
    add("--confirm-validation", action="store_true", help="GET a posted I/O validationUrl")
    add("--verify-signatures", action="store_true", help="check I/O digital signatures")
    add("--key-base-url", metavar="URL", help="where public-key paths are fetched (loopback)")
    add("--reject-bad-signatures", action="store_true", help="answer 401 to a bad signature")
    add("--hmac-secret-env", metavar="NAME", help="check x-adobe-signature with $NAME's secret")


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


def _io_from_args(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """The Receiver's I/O Events options from the flags, and lines describing them (the HMAC
    secret is only named, never shown)."""
    options: dict[str, Any] = {
        "challenge_style": args.challenge,
        "confirm_validation": args.confirm_validation,
        "verify_signatures": args.verify_signatures,
        "key_base_url": args.key_base_url,
        "reject_bad_signatures": args.reject_bad_signatures,
        "client_secret": _secret(args.hmac_secret_env) if args.hmac_secret_env else None,
    }
    checks = []
    if args.verify_signatures:
        checks.append(f"digital (keys from {args.key_base_url})")
    if args.hmac_secret_env:
        checks.append(f"hmac (secret: set from ${args.hmac_secret_env})")
    signatures = " + ".join(checks) or "not checked"
    if checks:
        signatures += ", bad ones answered 401" if args.reject_bad_signatures else ", counted only"
    confirm = ", validationUrl confirmed" if args.confirm_validation else ""
    return options, [f"challenge: {args.challenge}{confirm}", f"signatures: {signatures}"]


def _open_bodies(path: str) -> IO[str]:
    """The --bodies file, truncated: one JSON line per accepted batch of this run."""
    return open(path, "w", encoding="utf-8")


async def serve(args: argparse.Namespace) -> int:
    """Run the receiver until cancelled (Ctrl-C); one line per request, then a stats line."""
    say = functools.partial(print, flush=True)
    token, oauth, auth_lines = _auth_from_args(args)
    io_options, io_lines = _io_from_args(args)
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
            **io_options,
        )
        try:
            url = await receiver.start(port=args.port)
        except OSError as exc:
            raise ConfigError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}") from exc
        say(f"receiving on {url}")
        for line in (*auth_lines, *io_lines):
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
