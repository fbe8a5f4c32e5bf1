"""The control API of a running producer (`run --control-port PORT`), on 127.0.0.1 only:

    GET  /status   the status document (`status`), `?limit=N` for the N in most trouble
    POST /steps    one timeline step in the scenario language, as JSON, without at/after
                   (`{"burst": {"subscription": "leads", "count": 5000}}`), applied now
    GET  /         the live page, and what it needs (`page.add_routes`)

A step is checked as a file's step is (`StepSpec`, then the scenario checker's `step_problem`)
and applied at the run clock's reading by the director, the one way a step is applied. The
answers: 200 `{"at": seconds, "step": label, "note": ...}`; 422 a step that is no step, or names
no subscription of the run; 409 one the run cannot apply now (enable on a legacy subscription,
reprovision of an active one, a run that ended); 503 before the run has started; 401 without the
run's control token (`receiver.token`) when one is set: `Authorization: Bearer TOKEN` or
`?token=TOKEN`. Bodies are bounded (`BODY_MAX`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import orjson
from aiohttp import web

from simulator.control.livestep import parse_live_step
from simulator.control.page import add_routes
from simulator.control.status import ClockKind, status_document
from simulator.core.records import AttemptRecord, StateChange
from simulator.shell.servers import control_refused, serve_on_loopback
from simulator.timeline.director import StepRefused

if TYPE_CHECKING:
    from simulator.timeline.director import Director

BODY_MAX = 64 * 1024  # a step is a few hundred bytes
CHANGES_KEPT = 1_000  # the newest state changes in the status document
LIMIT_MAX = 100_000

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ChangeLog:
    """An observer keeping the newest state changes for the status document (bounded)."""

    def __init__(self) -> None:
        self.changes: deque[StateChange] = deque(maxlen=CHANGES_KEPT)

    def attempt(self, record: AttemptRecord) -> None:
        return None

    def state_changed(self, change: StateChange) -> None:
        self.changes.append(change)


class ControlServer:
    """The control API of one run: started before the run (`start`), attached to the run's
    director once the producer has started (`attach`), told when the run ends (`end`)."""

    def __init__(self, *, token: str | None, clock: ClockKind) -> None:
        self._token = token
        self.clock: ClockKind = clock
        self.director: Director | None = None
        self.observer = ChangeLog()  # add it to the run's observers
        self.url: str | None = None
        self._ended = False
        self._runner: web.AppRunner | None = None
        self.app = web.Application(client_max_size=BODY_MAX, middlewares=[self._auth])
        self.app.router.add_get("/status", self._get_status)
        self.app.router.add_post("/steps", self._post_step)
        add_routes(self.app, self)

    # -- the run tells it ------------------------------------------------------------------------

    def attach(self, director: Director) -> None:
        self.director = director

    @property
    def guarded(self) -> bool:
        """The routes need the run's control token."""
        return self._token is not None

    def end(self) -> None:
        self._ended = True

    async def start(self, port: int = 0) -> str:
        """Listen on 127.0.0.1:`port` (0: any free port); the base URL."""
        self._runner, url = await serve_on_loopback(
            self.app, port=port, what="the control API", counted=False
        )
        self.url = url
        return url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- what the page reads (`page.StatusSource`) ---------------------------------------------

    def ended(self) -> bool:
        return self._ended

    def status(self, *, limit: int | None = None) -> dict[str, object]:
        """The status document now; before the run has started, one without subscriptions."""
        director = self.director
        engine = director.producer.engine if director is not None else None
        if director is None or engine is None:
            return status_document({}, {}, now=0.0, clock=self.clock, ended=self._ended)
        now = engine.clock.now()
        machines = engine.machines()
        if not self._ended:  # production up to now (path-independent: it changes no decision)
            for machine in machines.values():
                machine.advance(now)
        profiles = {spec.name: spec.profile for spec in director.producer.run.subscriptions}
        return status_document(
            machines,
            profiles,
            now=now,
            clock=self.clock,
            ended=self._ended,
            steps=director.said,
            changes=self.observer.changes,
            limit=limit,
        )

    # -- the routes ------------------------------------------------------------------------------

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        refused = control_refused(request, self._token, query=True)
        return refused if refused is not None else await handler(request)

    async def _get_status(self, request: web.Request) -> web.Response:
        limit = None
        if "limit" in request.query:
            text = request.query["limit"]
            if not text.isdigit() or not 0 <= int(text) <= LIMIT_MAX:
                return _error(422, f"limit: must be a whole number 0-{LIMIT_MAX} (got {text!r})")
            limit = int(text)
        return _json(200, self.status(limit=limit))

    async def _post_step(self, request: web.Request) -> web.Response:
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _error(413, f"a step is at most {BODY_MAX // 1024} KiB")
        try:
            step = parse_live_step(body)
        except ValueError as exc:
            return _error(422, str(exc))
        director = self.director
        engine = director.producer.engine if director is not None else None
        if director is None or engine is None:
            return _error(503, "the run is starting: try again in a moment")
        if self._ended:
            return _error(409, "the run has ended")
        now = engine.clock.now()
        try:
            note = director.apply_live(step, now)
        except StepRefused as exc:
            return _error(422 if exc.unknown else 409, str(exc))
        return _json(200, {"at": now, "step": step.label(), "note": note})


def _json(status: int, document: object) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(document), content_type="application/json")


def _error(status: int, message: str) -> web.Response:
    return _json(status, {"error": message})
