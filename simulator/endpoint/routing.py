"""The dev endpoint's routes: the `Receiver`, an aiohttp server on 127.0.0.1 that plays a
customer's consumer.

It answers like Adobe's sample consumer (GET and POST on any path, 200), takes Marketo's legacy
batches and Adobe I/O Events deliveries (told apart by shape: `bodies`), checks a static API token
or tokens from its own mock identity provider (`POST /oauth/token`: `idp`), and misbehaves on
command (`simulator.core.behaviour`): fixed or random failure statuses, latency, hangs, resets
and outage windows (refusing, hanging or resetting a request is `faults`). As an I/O consumer it
answers challenges, confirms validation URLs and checks signatures (`verification`). What it saw
is kept in `received`. This module is the `Receiver` that wires them to HTTP; `receiver` is the
public face of them all, and `command` runs one alone.

Rules:
- Time is the running loop's time only (`loop.time()` and `asyncio.sleep`), so a looptime loop
  plays a 19.5 s latency or a 20-minute outage in milliseconds with exact times.
- It only ever binds a loopback address.
- Secrets (the static token, the client secret, issued tokens) are never logged or printed.
- It can be left running: with a static token set, the control routes (`/_sim/...`) need it
  too; `PUT /_sim/behaviour` is bounded by the Behaviour's own checks; malformed HTTP is one
  log line (aiohttp's handler log goes through `_one_line_logger`); idle keep-alive
  connections are closed after `idle_timeout` seconds.

Whether a request meets an outage is decided per request from `now()`, so nothing has to be
scheduled or polled, and a `behaviour` changed at run time takes effect on the next request.

Order of checks for a delivery (POST on any path): outage window (an endpoint that is down
checks nothing), then Authorization (401), then the body size (413), then, for I/O deliveries
only, the signatures (a "BAD" one is answered 401 with `reject_bad_signatures`, else only
counted), then hang, reset, the latency, failure_rate (a draw per POST that gets this far,
seeded by the run's seed, the delivery's id and its time: `_draw`), the fixed status. A 2xx
batch is parsed and counted when it arrives, before the latency, like a consumer that stores
the batch and is slow to answer: if the producer times out meanwhile, its retry shows up as
duplicates. A 2xx `validationUrl` POST is recorded
(`validation_urls`) instead of a batch and, with `confirm_validation`, confirmed in the
background once its answer is written.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections import deque
from collections.abc import Callable
from typing import IO, Any

import orjson
from aiohttp import web

from simulator.core.behaviour import (
    DEFAULT_BEHAVIOUR,
    Behaviour,
    ChallengeStyle,
    Window,
    behaviour_from_json,
    behaviour_to_json,
    check_challenge_style,
    check_status,
)
from simulator.core.bounds import DURATION_MAX
from simulator.core.timefmt import hours_offset
from simulator.endpoint.bodies import Parsed, body_line, parse_delivery
from simulator.endpoint.faults import Draws, Faults, misbehaviour
from simulator.endpoint.idp import IdentityProvider, OAuthServer
from simulator.endpoint.received import (
    FOREIGN_IDS,
    KEEP_BATCHES,
    KeptBatches,
    ReceivedBatch,
    SeenIds,
    Stats,
)
from simulator.endpoint.verification import Verifier, answer_challenge, check_io_options
from simulator.errors import ConfigError
from simulator.shell.servers import control_refused, serve_on_loopback

__all__ = ["IDLE_TIMEOUT", "VALIDATION_URLS", "Receiver"]

VALIDATION_URLS = 100  # validationUrl POSTs remembered (`validation_urls`): the last ones
IDLE_TIMEOUT = 60.0
"""Seconds a keep-alive connection may sit idle before `marketo-sim receive` closes it (aiohttp's
own default is an hour); longer than a push interval, so a producer's connection is reused. A run
file's embedded receiver has the same default (`receiver.idleTimeout`): a close at the instant a
push reuses the connection is met by the producer sending that push again on a new connection
(`simulator.shell.transport`), as a real client does."""
_AIOHTTP_IDLE_TIMEOUT = 3630.0


class Receiver:
    """The dev consumer endpoint. Create, `await start()`, point the producer at the URL.

    I/O Events options: `challenge_style` ("text", "json" or "refuse"; may be changed at run
    time), `confirm_validation` and `confirm_delay` (GET a posted validationUrl that many seconds
    after answering), `verify_signatures` with `key_base_url` (where the relative public-key paths
    are fetched from; http(s) on a loopback host), `client_secret` (check the HMAC
    `x-adobe-signature`) and `reject_bad_signatures` (answer 401 instead of only counting).

    What it keeps: with `record`, the last `keep_batches` accepted batches (`received`; how many
    were dropped to keep that bound is `stats.received_dropped`); with `dedupe`, the ids seen,
    exactly for ids laid out like the simulator's own and for the last `foreign_ids` others
    (`received.SeenIds`). Nothing else it holds grows with the events or the requests.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        oauth: OAuthServer | None = None,
        behaviour: Behaviour = DEFAULT_BEHAVIOUR,
        seed: int = 0,
        record: bool = False,
        keep_batches: int = KEEP_BATCHES,
        dedupe: bool = True,
        foreign_ids: int = FOREIGN_IDS,
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
        idle_timeout: float = _AIOHTTP_IDLE_TIMEOUT,
    ) -> None:
        if not 0 < idle_timeout <= DURATION_MAX:
            raise ConfigError(f"idle_timeout: {idle_timeout:g} is not between 0 and a year")
        self.idle_timeout = idle_timeout
        if token is not None and not token:
            raise ConfigError("token: must not be empty")
        check_io_options(
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
        self._validation_urls: deque[str] = deque(maxlen=VALIDATION_URLS)
        self._token = token
        self.behaviour = behaviour
        self.seed = seed
        self.record = record
        self.dedupe = dedupe
        self.stats = Stats()
        self._kept = KeptBatches(keep_batches)
        self._bodies = bodies
        self._log = log
        self._draws = Draws(seed)
        self._seen = SeenIds(foreign=foreign_ids)
        self._idp = IdentityProvider(
            oauth, seed=seed, stats=self.stats, say=self._say, now=self.now
        )
        self._verifier = Verifier(
            key_base_url=key_base_url,
            client_secret=client_secret,
            stats=self.stats,
            say=self._say,
            now=self.now,
        )
        self._faults = Faults(stats=self.stats, say=self._say)
        self._t0: float | None = None
        self._runner: web.AppRunner | None = None
        self._url = ""
        self._max_body = max_body
        self.app = web.Application(client_max_size=max_body)
        self.app.router.add_get("/_sim/stats", self._get_stats)
        self.app.router.add_get("/_sim/behaviour", self._get_behaviour)
        self.app.router.add_put("/_sim/behaviour", self._put_behaviour)
        self.app.router.add_post("/oauth/token", self._idp.issue)
        self.app.router.add_get("/{tail:.*}", self._probe)
        self.app.router.add_post("/{tail:.*}", self._deliver)

    @property
    def challenge_style(self) -> ChallengeStyle:
        return self._challenge_style

    @challenge_style.setter
    def challenge_style(self, style: str) -> None:
        self._challenge_style = check_challenge_style(style)

    @property
    def received(self) -> list[ReceivedBatch]:
        """The last `keep_batches` batches accepted while recording, oldest first (a copy);
        `stats.received_dropped` says how many older ones were dropped."""
        return self._kept.batches()

    @property
    def validation_urls(self) -> list[str]:
        """The last `VALIDATION_URLS` validationUrls POSTed and accepted, oldest first."""
        return list(self._validation_urls)

    @property
    def keep_batches(self) -> int:
        """How many accepted batches are kept when recording (the last ones)."""
        return self._kept.limit

    @keep_batches.setter
    def keep_batches(self, limit: int) -> None:
        self._kept.limit = limit
        self.stats.received_dropped = self._kept.dropped

    @property
    def oauth(self) -> OAuthServer | None:
        """The mock identity provider's settings (None: `POST /oauth/token` answers 404)."""
        return self._idp.oauth

    @oauth.setter
    def oauth(self, oauth: OAuthServer | None) -> None:
        self._idp.oauth = oauth

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
        self._runner, self._url = await serve_on_loopback(
            self.app,
            host,
            port,
            what="the receiver",
            keepalive_timeout=self.idle_timeout,
            logger=_one_line_logger(self._problem),
        )
        self._t0 = asyncio.get_running_loop().time()
        return self._url

    async def stop(self) -> None:
        """Stop listening; hung requests are dropped, slow ones get up to 1 s to finish.
        Pending validation GETs are cancelled."""
        self._faults.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self._verifier.close()

    async def settle(self) -> None:
        """Wait until every validation GET started so far is done (or has failed)."""
        await self._verifier.settle()

    # --- test and scenario hooks -----------------------------------------------------------------

    def fail_token_requests(self, n: int, status: int = 503) -> None:
        """The next `n` token requests fail with `status` (an identity provider hiccup)."""
        check_status("status", status)
        self._idp.fail_next(n, status)

    def expire_tokens(self) -> None:
        """Revoke every token issued so far (token rotation on the customer's side)."""
        self._idp.expire_all()

    # --- helpers ---------------------------------------------------------------------------------

    def _say(self, at: float, text: str) -> None:
        if self._log is not None:
            self._log(f"{hours_offset(at)} {text}")

    def _problem(self, text: str) -> None:
        """A request aiohttp could not take (malformed HTTP): one line, even when quiet."""
        line = f"{hours_offset(self.now())} {text}"
        if self._log is not None:
            self._log(line)
        else:
            print(line, file=sys.stderr, flush=True)

    def _control_refused(self, request: web.Request) -> web.Response | None:
        """With a static token set, the control routes (/_sim/...) need what a delivery needs
        (`simulator.shell.servers.control_refused`, the publisher's check too)."""
        refused = control_refused(
            request, self._token, lambda header: self._idp.auth_problem(header, self._token)
        )
        if refused is not None:
            line = f"{request.method} {request.path} 401 (control route needs the token)"
            self._say(self.now(), line)
        return refused

    def _answer(self, status: int, text: str | None = None, **kwargs: Any) -> web.Response:
        self.stats.statuses[status] = self.stats.statuses.get(status, 0) + 1
        return web.Response(status=status, text=text, **kwargs)

    def _outage(self, at: float) -> Window | None:
        return next((w for w in self.behaviour.outages if w.covers(at)), None)

    async def _outage_answer(self, request: web.Request, window: Window, at: float) -> Any:
        return await self._faults.outage(request, window, at, self._answer)

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
        body, content_type, note = answer_challenge(self.challenge_style, challenge)
        self._say(at, f"GET 200 ({note})")
        return self._answer(200, body, content_type=content_type)

    async def _deliver(self, request: web.Request) -> Any:
        """POST on any path: a legacy batch, an I/O delivery or an I/O validationUrl."""
        at = self.now()
        self.stats.requests += 1
        window = self._outage(at)
        if window is not None:
            return await self._outage_answer(request, window, at)
        problem = self._idp.auth_problem(request.headers.get("Authorization"), self._token)
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
            verdict = await self._verifier.verdict(
                request.headers, body, digital=self.verify_signatures
            )
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
        fault, status, why = misbehaviour(behaviour, lambda: self._draws.draw(parsed, at))
        if fault is not None:
            return await self._faults.act(request, fault, at, fault)
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
            self._validation_urls.append(parsed.validation_url)
            self._say(at, f"POST {status} validationUrl recorded{latency}")
            return status, "OK"
        duplicates = self._seen.count_duplicates(parsed) if self.dedupe else 0
        stats = self.stats
        stats.batches += 1
        stats.events += len(parsed.ids)
        stats.duplicates += duplicates
        stats.foreign_forgotten = self._seen.forgotten
        if self.record:
            kept = ReceivedBatch.of(parsed, body, request.headers, duplicates, verdict, at)
            self._kept.append(kept)
            stats.received_dropped = self._kept.dropped
        if self._bodies is not None:
            self._bodies.write(body_line(body) + "\n")
            self._bodies.flush()
        if parsed.kind == "io":
            stats.io_batches += 1
        if self._log is not None:
            self._say(
                at, f"POST {status} {_batch_summary(request, parsed, duplicates, verdict)}{latency}"
            )
        return status, "OK"

    async def _then_confirm(self, request: web.Request, response: web.Response, url: str) -> None:
        """With `confirm_validation`, write the answer out first, then GET `url` in the
        background after `confirm_delay`, like a human clicking the link later."""
        if not self.confirm_validation:
            return
        await response.prepare(request)
        await response.write_eof()
        self._verifier.confirm_later(url, self.confirm_delay)

    # --- control routes --------------------------------------------------------------------------

    async def _get_stats(self, request: web.Request) -> web.Response:
        if refused := self._control_refused(request):
            return refused
        return web.Response(body=self.stats.to_json(), content_type="application/json")

    async def _get_behaviour(self, request: web.Request) -> web.Response:
        if refused := self._control_refused(request):
            return refused
        return web.json_response(behaviour_to_json(self.behaviour), dumps=_dumps)

    async def _put_behaviour(self, request: web.Request) -> web.Response:
        """Replace the named Behaviour fields; 400 on unknown, mistyped or out-of-bounds values
        (the Behaviour's own checks: a latency of at most an hour, statuses 200-599)."""
        if refused := self._control_refused(request):
            return refused
        try:
            changes = orjson.loads(await request.read())
            self.behaviour = behaviour_from_json(changes, self.behaviour)
        except (orjson.JSONDecodeError, ConfigError) as exc:
            return web.json_response({"error": str(exc)}, status=400, dumps=_dumps)
        self._say(self.now(), "behaviour changed")
        return web.json_response(behaviour_to_json(self.behaviour), dumps=_dumps)


class _OneLine(logging.Handler):
    """aiohttp's request-handler log as one line per record: a malformed request is a client's
    problem, not the server's, so its traceback is left out."""

    def __init__(self, sink: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self._sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        text = record.getMessage()
        if exc is not None:
            detail = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            text += f": {type(exc).__name__}: {detail}"
        self._sink(" ".join(text.split())[:300])


def _one_line_logger(sink: Callable[[str], None]) -> logging.Logger:
    """A logger of its own (not in logging's registry, not propagating to the root's handlers)
    that hands each record to `sink` as one line."""
    logger = logging.Logger("simulator.endpoint.http", logging.INFO)
    logger.propagate = False
    logger.addHandler(_OneLine(sink))
    return logger


def _batch_summary(request: web.Request, parsed: Parsed, duplicates: int, verdict: str) -> str:
    """What the log line of an accepted batch says about it."""
    if parsed.kind == "io":
        return f"io {_io_summary(request, parsed)} dup={duplicates} sig={verdict}"
    first = parsed.ids[0] if parsed.ids else "-"
    return f"msg={parsed.message_id} events={len(parsed.ids)} dup={duplicates} first={first}"


def _io_summary(request: web.Request, parsed: Parsed) -> str:
    """`events=N first=<id>` plus `retry=N` when the delivery carries x-adobe-retry-count."""
    retry = request.headers.get("x-adobe-retry-count")
    text = f"events={len(parsed.ids)} first={parsed.ids[0]}"
    return text + (f" retry={retry}" if retry is not None else "")


def _after(latency: float) -> str:
    return f" after={latency:g}s" if latency else ""


def _dumps(obj: object) -> str:
    return orjson.dumps(obj).decode()
