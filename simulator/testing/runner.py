"""Runs a producer in the background of the running event loop, for `Simulation`.

`launch` checks the clock, serves the consumer's app on 127.0.0.1 and starts the producer, with a
director when the run file has a timeline. `Runner.settle` waits until everything due at the
current instant has happened: the timeline's steps, then every lane's work (the engine says when
nothing is due, `Engine.settled`). `Runner.stop` stops the producer and the app and fails if a
task of the run is still going.
"""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import Any, Literal, Protocol

import aiohttp
import looptime
from aiohttp import web

from simulator.core.delivery import DAY
from simulator.core.records import AttemptRecord, StateChange
from simulator.errors import ConfigError
from simulator.producer import EMBEDDED, Producer, RunResult
from simulator.runfile.scenario import RunSpec, load_run, parse_run
from simulator.shell.clock import VIRTUAL_EPOCH, Clock, StoppedClock
from simulator.shell.engine import Engine, Lane
from simulator.shell.servers import serve_on_loopback
from simulator.shell.transit import hold_jumps
from simulator.testing.asgi import AsgiApp, serve_asgi
from simulator.testing.attempts import AttemptLog
from simulator.timeline.director import Director
from simulator.timeline.replay import against

ClockName = Literal["virtual", "real"]
# What app= serves in the test's loop: an aiohttp application, or an ASGI one (served by uvicorn).
App = web.Application | AsgiApp
# The run never ends on its own: the test decides how much time passes.
FOREVER = 100 * 365 * DAY
STOP_WITHIN = 5.0  # seconds (of the loop's time) that stopping may take
# Tasks of these packages must not outlive a run (the consumer's own tasks are its business).
_OURS = (
    str(Path(__file__).parent.parent) + os.sep,
    str(Path(aiohttp.__file__).parent) + os.sep,
)


class Served(Protocol):
    """The consumer's app, served in the test's loop: aiohttp's `AppRunner` or an `AsgiServer`."""

    async def cleanup(self) -> None: ...


class Watcher:
    """The run's observer: keeps the attempt log (bounded, `AttemptLog`), and the latest
    simulated time seen (to stop the clock at after the test)."""

    def __init__(self) -> None:
        self.recorder = AttemptLog()
        self.seen = 0.0

    def saw(self, t: float) -> None:
        self.seen = max(self.seen, t)

    def attempt(self, record: AttemptRecord) -> None:
        self.saw(record.at + record.latency)
        self.recorder.attempt(record)

    def state_changed(self, change: StateChange) -> None:
        self.saw(change.at)
        self.recorder.state_changed(change)


class Runner:
    """One producer (and the consumer's app, if served) running in the background."""

    def __init__(
        self, spec: RunSpec, *, virtual: bool, url: str | None, app: Served | None
    ) -> None:
        self.virtual = virtual
        self.url = url  # the consumer's, when the subscriptions no longer push to the embedded one
        self.watcher = Watcher()
        # With a URL the endpoints are no longer embedded, which Producer(virtual=True) refuses;
        # an app in this loop follows the virtual clock all the same, and its payloads are dated
        # from the same fixed instant.
        self.producer = Producer(
            spec,
            virtual=virtual and url is None,
            observers=[self.watcher],
            record=True,
            start=VIRTUAL_EPOCH if virtual else None,
        )
        self.result: RunResult | None = None
        self._app = app
        self._task: asyncio.Task[RunResult] | None = None
        self._director: Director | None = None
        self._timeline: asyncio.Task[None] | None = None
        self._before = asyncio.all_tasks()
        self._reported = False  # a crash of the run, raised to the test already

    # -- what the simulation reads ---------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        engine = self.producer.engine
        assert engine is not None, "the runner has started the producer"
        return engine

    @property
    def clock(self) -> Clock:
        return self.engine.clock

    def now(self) -> float:
        now = self.clock.now()
        if self.result is None:
            self.watcher.saw(now)
        return now

    def lane(self, name: str) -> Lane:
        try:
            return self.engine.lane(name)
        except KeyError:
            names = ", ".join(lane.name for lane in self.engine.lanes)
            raise ConfigError(f"no subscription named {name!r} (the run has: {names})") from None

    # -- running ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Play the run in the background; return once it has started and settled at t = 0."""
        started = asyncio.get_running_loop().create_future()

        def on_start(producer: Producer) -> None:
            self._started(producer)
            started.set_result(None)

        play = self.producer.play(FOREVER, on_start=on_start)
        self._task = asyncio.create_task(play, name="marketo-sim")
        await asyncio.wait([started, self._task], return_when=asyncio.FIRST_COMPLETED)
        if not started.done():
            self._task.result()  # raises what stopped it
            raise AssertionError("the producer stopped before it started")
        await self.settle()  # the pushes due at t = 0

    def _started(self, producer: Producer) -> None:
        """Producer.play's on_start: the engine exists, nothing has been pushed yet."""
        if producer.run.timeline:
            self._director = Director(producer)
            self._timeline = asyncio.create_task(
                self._director.play(self.clock), name="marketo-producer timeline"
            )

    async def settle(self) -> None:
        """Until everything due at this instant has happened: the timeline's steps up to now,
        then every lane's work. A push in flight is waited for, so with a consumer that takes
        time to answer, time passes: the steps due by then are played too, and so on (on the
        virtual clock; on a real or scaled one, whose time never stands still, one round)."""
        while True:
            now = self.now()  # the watcher sees it: teardown stops the clock here, not earlier
            if self._director is not None:
                await self._unless_stopped(self._director.reached(now))
            await self._unless_stopped(self.engine.settled())
            # On a real or scaled clock time moves on between two reads: once is all there is.
            if not self.virtual or self.clock.now() == now:
                return

    async def _unless_stopped(self, waiting: Coroutine[Any, Any, None]) -> None:
        """Await `waiting`, unless the run or its timeline stops first: then raise why."""
        try:
            self.check_running()  # it may have stopped already, while the test's time passed
        except BaseException:
            waiting.close()
            raise
        waiter = asyncio.ensure_future(waiting)
        running = [t for t in (self._task, self._timeline) if t is not None and not t.done()]
        try:
            await asyncio.wait([waiter, *running], return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        self.check_running()

    def check_running(self) -> None:
        """Raise what stopped the run, if something did."""
        if self.result is not None:
            raise ConfigError("the producer was stopped")
        for task in (self._task, self._timeline):
            if task is not None and task.done() and not task.cancelled():
                error = task.exception()
                if error is not None:
                    self._reported = True
                    raise error
        if self._task is not None and self._task.done():
            raise AssertionError("the producer stopped on its own")

    # -- stopping --------------------------------------------------------------------------------

    async def stop(self) -> RunResult:
        """Stop the producer, the app and the embedded endpoint; fail if anything of theirs is
        still running afterwards. Calling it again returns the same result."""
        if self.result is not None:
            return self.result
        try:
            async with asyncio.timeout(STOP_WITHIN):
                result = await self._stop()
        except TimeoutError:
            raise AssertionError(f"the producer did not stop within {STOP_WITHIN:g} s") from None
        await self._nothing_left()
        return result

    async def abort(self) -> None:
        """Starting failed: cancel what was started, close the app, and let the error through."""
        tasks = [t for t in (self._task, self._timeline) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._app is not None:
            await self._app.cleanup()

    async def _stop(self) -> RunResult:
        engine = self.producer.engine
        if engine is not None:
            # Teardown runs after the test, when looptime has handed the loop back to real time:
            # the run's clock stops where the test left it, so the end of the run is right.
            live = not self.virtual or looptime_on()
            at = self.now() if live else self.watcher.seen
            engine.clock = StoppedClock(engine.clock, at)
        result: RunResult | None = None
        error: BaseException | None = None
        for task in (self._timeline, self._task):
            if task is not None:
                task.cancel()
        if self._timeline is not None:
            await asyncio.gather(self._timeline, return_exceptions=True)
        if self._task is not None:
            try:
                result = await self._task
            except Exception as exc:  # a crash: report it after cleanup, unless reported already
                error = exc
        if self._app is not None:
            await self._app.cleanup()
        if error is not None and not self._reported:
            raise error
        if result is None:  # the run crashed and the test was told: keep what the machines know
            assert engine is not None
            machines = engine.machines()
            result = RunResult(engine.ledgers(), machines, engine.clock.now(), interrupted=True)
        self.result = result
        return result

    async def _nothing_left(self) -> None:
        """Fail if a task of the simulator or of aiohttp started by this run is still going."""
        current = asyncio.current_task()
        left = {
            t
            for t in asyncio.all_tasks()
            if t not in self._before and t is not current and not t.done() and _ours(t)
        }
        if left:
            _, left = await asyncio.wait(left, timeout=1.0)
        if left:
            for task in left:
                task.cancel()
            names = ", ".join(sorted(task.get_name() for task in left))
            raise AssertionError(f"still running after the producer stopped: {names}")


async def launch(
    run: str | Path | RunSpec,
    *,
    app: App | None = None,
    url: str | None = None,
    path: str = "/",
    env: Mapping[str, str] | None = None,
    clock: ClockName | None = None,
) -> Runner:
    """Check the clock, serve `app`, and start the producer of `run` against it (or `url`, or
    the run file's endpoints); see `simulation.start_producer`."""
    if app is not None and url is not None:
        raise ConfigError("marketo_producer: give app= or url=, not both")
    spec = _run_spec(run, env)
    virtual = looptime_on()
    _check_clock(clock or ("real" if url is not None else "virtual"), virtual=virtual, url=url)
    outside = [s for s in spec.subscriptions if s.endpoint != EMBEDDED]
    if virtual and app is None and url is None and outside:
        raise ConfigError(
            f"marketo_producer: subscription {outside[0].name!r} pushes to {outside[0].endpoint}, "
            "outside the test's event loop, which cannot follow the virtual clock: pass app= "
            "to serve the consumer in the test's loop"
        )
    if virtual:
        hold_jumps(asyncio.get_running_loop())  # looptime's plugin made this loop, not we
        await _whole_second()
    served: Served | None = None
    runner: Runner | None = None
    try:
        if app is not None:
            served, base = await _serve(app)
            url = base + path.lstrip("/")
        if url is not None:
            spec = against(spec, url)
        runner = Runner(spec, virtual=virtual, url=url, app=served)
        await runner.start()
    except BaseException:
        if runner is not None:
            await runner.abort()
        elif served is not None:
            await served.cleanup()
        raise
    return runner


async def _serve(app: App) -> tuple[Served, str]:
    """Serve `app` on 127.0.0.1 in this loop; returns it and its base URL."""
    if isinstance(app, web.Application):
        return await serve_on_loopback(app, what="the consumer app")
    if callable(app):
        return await serve_asgi(app, what="the consumer app")
    raise ConfigError(
        f"marketo_producer: app= takes an aiohttp Application or an ASGI application "
        f"(FastAPI, Starlette), not {type(app).__name__}"
    )


def _run_spec(run: str | Path | RunSpec, env: Mapping[str, str] | None) -> RunSpec:
    if isinstance(run, RunSpec):
        if env is not None:
            raise ConfigError("marketo_producer: env= only applies to a run file or YAML text")
        return run
    if isinstance(run, Path):
        return load_run(run, environ=env)
    return parse_run(run, environ=env)


def looptime_on() -> bool:
    """The running loop keeps virtual time (a `@pytest.mark.looptime` test)."""
    loop = asyncio.get_running_loop()
    return isinstance(loop, looptime.LoopTimeEventLoop) and loop.looptime_on


def _check_clock(clock: ClockName, *, virtual: bool, url: str | None) -> None:
    if clock not in ("virtual", "real"):
        raise ConfigError(f"marketo_producer: clock must be 'virtual' or 'real' (got {clock!r})")
    if url is not None and (clock == "virtual" or virtual):
        raise ConfigError(
            "marketo_producer: url= points at a consumer outside the test's event loop, which "
            "cannot follow the virtual clock: drop @pytest.mark.looptime to run the test on the "
            "real clock (or a scaled one: simulator.testing.scaled.scaled_loop), or pass app= "
            "to serve the consumer in the test's loop"
        )
    if clock == "virtual" and not virtual:
        raise ConfigError(
            "marketo_producer: the virtual clock needs the test's event loop to keep virtual "
            "time: mark the test @pytest.mark.looptime (or pass clock='real' to wait in real time)"
        )
    if clock == "real" and virtual:
        raise ConfigError(
            "marketo_producer: clock='real' in a @pytest.mark.looptime test, whose event loop "
            "keeps virtual time: drop the mark, or leave clock= unset"
        )


async def _whole_second() -> None:
    """Start on a whole second of loop time: simulated times are then exact (2.0, not 2.0000001)."""
    t = asyncio.get_running_loop().time()
    if t != math.floor(t):
        await asyncio.sleep(math.ceil(t) - t)


def _ours(task: asyncio.Task[Any]) -> bool:
    code = getattr(task.get_coro(), "cr_code", None)
    return code is not None and code.co_filename.startswith(_OURS)
