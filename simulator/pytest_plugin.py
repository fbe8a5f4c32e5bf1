"""A pytest plugin for consumers written in Python: the `marketo_producer` fixture.

The fixture is a factory. Called in an async test, it starts the producer of a run file against
the consumer, and hands back a `Simulation` that lets simulated time pass, adds events, and shows
what happened::

    @pytest.mark.looptime  # the test's event loop keeps virtual time
    async def test_the_consumer_takes_a_burst(marketo_producer):
        sim = await marketo_producer(RUN, app=create_app(token="t"), env={"SIM_TOKEN": "t"})
        sim.emit("leads", 5000)
        await sim.advance(60)
        assert sim.ledger("leads").acknowledged == 5000

Where the producer pushes, and on which clock:

* `app=`: an aiohttp `Application`, served on 127.0.0.1 in the test's own event loop; every
  subscription pushes to it. The clock is virtual: the test needs `@pytest.mark.looptime`
  (looptime's own pytest plugin), and hours of retries take milliseconds.
* neither: the run file's endpoints, normally the embedded dev endpoint (`sim.received`).
* `url=`: a consumer outside the test's loop, which cannot follow virtual time: the test runs
  on the real clock (no looptime mark), and `advance(180)` takes three real minutes.

`advance(seconds)` is deterministic: the producer runs in the background in the same loop, and
once the time is reached, everything due at that instant happens before `advance` returns (a
push at t = 6 s is in the attempt log after `advance(6)`). Teardown stops the producer and the
app and fails the test if anything of theirs is still running.
"""

from __future__ import annotations

import asyncio
import math
import os
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

import aiohttp
import looptime
import pytest
from aiohttp import web

from simulator.core.delivery import DAY, Ledger
from simulator.core.records import AttemptRecord, Machine, StateChange
from simulator.core.registration import Registration, RegistrationState
from simulator.endpoint.received import ReceivedBatch
from simulator.errors import ConfigError, InvalidTransition
from simulator.producer import EMBEDDED, Producer, RunResult
from simulator.reports.console import Recorder
from simulator.runfile.scenario import RunSpec, load_run, parse_run
from simulator.shell.clock import VIRTUAL_EPOCH, Clock
from simulator.shell.engine import Lane
from simulator.shell.servers import serve_on_loopback
from simulator.timeline.director import Director
from simulator.timeline.replay import against

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - without it no async test runs at all
    pytest_asyncio = None

__all__ = ["Factory", "Simulation", "inject", "marketo_producer", "start_producer"]

ClockName = Literal["virtual", "real"]
# The run never ends on its own: the test decides how much time passes.
FOREVER = 100 * 365 * DAY
STOP_WITHIN = 5.0  # seconds (of the loop's time) that stopping may take
_SPINS = 50  # loop cycles that a subscription woken at this instant gets to make its push
_GREETING_SPINS = 500  # ... and that an app in this loop gets to answer an I/O challenge
# Tasks of these packages must not outlive a run (the consumer's own tasks are its business).
_OURS = (str(Path(__file__).parent) + os.sep, str(Path(aiohttp.__file__).parent) + os.sep)


class Factory(Protocol):
    """The `marketo_producer` fixture: `await marketo_producer(run, app=... | url=...)`."""

    def __call__(
        self,
        run: str | Path | RunSpec,
        *,
        app: web.Application | None = None,
        url: str | None = None,
        path: str = "/",
        env: Mapping[str, str] | None = None,
        clock: ClockName | None = None,
    ) -> Awaitable[Simulation]: ...


class Simulation:
    """A producer running in the test's event loop; made by `start_producer`."""

    def __init__(self, producer: Producer, *, virtual: bool, url: str | None) -> None:
        self.producer = producer
        self.virtual = virtual
        self._url = url
        self._watcher = _Watcher()
        self._task: asyncio.Task[RunResult] | None = None
        self._director: asyncio.Task[None] | None = None
        self._steps_applied = 0
        self._steps = [at for at, _ in producer.run.step_times()]
        self._runner: web.AppRunner | None = None
        self._before: set[asyncio.Task[Any]] = set()
        self._reported = False  # a crash of the run, raised to the test already
        self._result: RunResult | None = None

    # -- what a test reads ---------------------------------------------------------------------

    @property
    def now(self) -> float:
        """Simulated seconds since the run started."""
        now = self._clock.now()
        if self._result is None:
            self._watcher.saw(now)
        return now

    @property
    def url(self) -> str:
        """Where the subscriptions push: the app's or `url=`, else the embedded endpoint's."""
        if self._url is not None:
            return self._url
        receiver = self.producer.receiver
        assert receiver is not None
        return receiver.url

    def attempts(self, subscription: str | None = None) -> list[AttemptRecord]:
        """Every push attempt so far, oldest first; only one subscription's when named."""
        self._known(subscription)
        records = self._watcher.recorder.attempts
        return [a for a in records if subscription in (None, a.subscription)]

    def changes(self, subscription: str | None = None) -> list[StateChange]:
        """Every state change so far, oldest first; only one subscription's when named."""
        self._known(subscription)
        records = self._watcher.recorder.changes
        return [c for c in records if subscription in (None, c.subscription)]

    def ledger(self, subscription: str) -> Ledger:
        """Where each event of the subscription is now: produced = acknowledged + queued + ..."""
        machine = self._machine(subscription)
        if self._result is None:
            machine.advance(self.now)  # production is pulled in lazily; bring it up to now
        return machine.ledger()

    def state(self, subscription: str) -> str:
        """The state now: active, retrying, paused, deprovisioned (I/O: pending, unstable...)."""
        machine = self._machine(subscription)
        if self._result is None:
            machine.advance(self.now)
        return str(machine.state)

    @property
    def received(self) -> list[ReceivedBatch]:
        """The batches the embedded dev endpoint accepted (runs without `app=` or `url=`)."""
        receiver = self.producer.receiver
        if receiver is None or all(s.endpoint != EMBEDDED for s in self.producer.run.subscriptions):
            raise ConfigError(
                "received: only the embedded dev endpoint keeps what it was sent; "
                "ask your own app what it received"
            )
        return receiver.received

    # -- what a test does ----------------------------------------------------------------------

    async def advance(self, seconds: float) -> None:
        """Let `seconds` of simulated time pass, then let everything due at that instant happen
        (a push in flight then is waited for, so with a slow consumer `now` ends a bit later)."""
        if seconds < 0 or not math.isfinite(seconds):
            raise ValueError(f"advance: seconds must be a finite number >= 0 (got {seconds!r})")
        self._check_running()
        await self._clock.sleep_until(self.now + seconds)
        await self._settle()

    def emit(self, subscription: str, count: int) -> None:
        """Marketo produces `count` more events now, on top of the run file's traffic. They
        leave with the subscription's next push: its next slot, or the retry or probe already
        scheduled (I/O: the next flush)."""
        if count < 0:
            raise ValueError(f"emit: count must be >= 0 (got {count!r})")
        self._check_running()
        lane = self._lane(subscription)
        inject(lane.machine, count, self.now)
        lane.poke()  # look again now

    async def stop(self) -> RunResult:
        """Stop the producer, the app and the embedded endpoint; fail if anything of theirs is
        still running afterwards. The ledgers stay readable. Teardown calls it; calling it
        again returns the same result."""
        if self._result is not None:
            return self._result
        try:
            async with asyncio.timeout(STOP_WITHIN):
                result = await self._stop()
        except TimeoutError:
            raise AssertionError(f"the producer did not stop within {STOP_WITHIN:g} s") from None
        await self._nothing_left()
        return result

    # -- the machinery -------------------------------------------------------------------------

    @property
    def _clock(self) -> Clock:
        engine = self.producer.engine
        assert engine is not None
        return engine.clock

    def _lanes(self) -> list[Lane]:
        engine = self.producer.engine
        assert engine is not None
        return engine.lanes

    def _lane(self, name: str) -> Lane:
        for lane in self._lanes():
            if lane.name == name:
                return lane
        names = ", ".join(lane.name for lane in self._lanes())
        raise ConfigError(f"no subscription named {name!r} (the run has: {names})")

    def _known(self, name: str | None) -> None:
        if name is not None:
            self._lane(name)

    def _machine(self, name: str) -> Machine:
        return self._lane(name).machine

    def _started(self, producer: Producer) -> None:
        """Producer.play's on_start: the engine exists, nothing has been pushed yet."""
        assert producer.engine is not None
        if self._steps:

            def said(t: float, text: str) -> None:
                self._steps_applied += 1
                self._watcher.progress.set()

            director = Director(producer, say=said)
            self._director = asyncio.create_task(
                director.play(producer.engine.clock), name="marketo-producer timeline"
            )

    def _check_running(self) -> None:
        if self._result is not None:
            raise ConfigError("the producer was stopped")
        for task in (self._task, self._director):
            if task is not None and task.done() and not task.cancelled():
                error = task.exception()
                if error is not None:
                    self._reported = True
                    raise error
        if self._task is not None and self._task.done():
            raise AssertionError("the producer stopped on its own")

    def _busy(self, now: float) -> tuple[bool, bool, bool]:
        """(an attempt is in flight, something is due but has not started yet, an I/O
        registration is still at its first challenge)."""
        in_flight = due = greeting = False
        for lane in self._lanes():
            machine = lane.machine
            wake = machine.wakeup()
            if isinstance(machine, Registration):
                in_flight |= machine.in_flight > 0
                greeting |= machine.state is RegistrationState.PENDING and wake is None
            else:
                in_flight |= machine.counters.attempts > self._watcher.pushes[lane.name]
            due |= wake is not None and wake <= now
        due |= sum(at <= now for at in self._steps) > self._steps_applied
        return in_flight, due, greeting

    async def _settle(self) -> None:
        """Wait until nothing is due at this instant any more and no attempt is in flight.

        A lane woken at this instant makes its push within a few loop cycles, and a challenge
        to an app in this loop is answered within a few more: `sleep(0)` lets them run without
        letting time pass. A consumer that takes (simulated) time to answer a challenge is not
        waited for: that needs time to pass, which `advance` does."""
        spins = 0
        while True:
            self._check_running()
            self._watcher.progress.clear()
            in_flight, due, greeting = self._busy(self.now)
            if in_flight or (due and spins >= _SPINS):
                await self._progress()
                spins = 0
            elif due or (greeting and spins < _GREETING_SPINS):
                spins += 1
                await asyncio.sleep(0)
            else:
                return

    async def _progress(self) -> None:
        """Until an attempt ends, a state changes, a step is played or the producer stops."""
        assert self._task is not None
        waiter = asyncio.ensure_future(self._watcher.progress.wait())
        try:
            await asyncio.wait([waiter, self._task], return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()

    async def _stop(self) -> RunResult:
        engine = self.producer.engine
        if engine is not None:
            # Teardown runs after the test, when looptime has handed the loop back to real time:
            # the run's clock stops where the test left it, so the end of the run is right.
            live = not self.virtual or _looptime_on()
            at = self.now if live else self._watcher.seen
            engine.clock = _StoppedClock(engine.clock, at)
        result: RunResult | None = None
        error: BaseException | None = None
        for task in (self._director, self._task):
            if task is not None:
                task.cancel()
        if self._director is not None:
            await asyncio.gather(self._director, return_exceptions=True)
        if self._task is not None:
            try:
                result = await self._task
            except Exception as exc:  # a crash: report it after cleanup, unless reported already
                error = exc
        if self._runner is not None:
            await self._runner.cleanup()
        if error is not None and not self._reported:
            raise error
        if result is None:  # the run crashed and the test was told: keep what the machines know
            assert engine is not None
            machines = {lane.name: lane.machine for lane in engine.lanes}
            result = RunResult(engine.ledgers(), machines, engine.clock.now(), interrupted=True)
        self._result = result
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


class _StoppedClock:
    """A run's clock, stopped at `at`: what the producer reads while it shuts down."""

    def __init__(self, clock: Clock, at: float) -> None:
        self._clock = clock
        self._at = at

    def now(self) -> float:
        return self._at

    def wall(self, t: float | None = None) -> float:
        return self._clock.wall(self._at if t is None else t)

    async def sleep_until(self, t: float) -> None:
        await asyncio.sleep(0)  # time has stopped: nothing is worth waiting for


class _Watcher:
    """The run's observer: keeps every record and tells `advance` when something happened."""

    def __init__(self) -> None:
        self.recorder = Recorder()
        self.pushes: Counter[str] = Counter()  # attempts the legacy machines counted, finished
        self.progress = asyncio.Event()
        self.seen = 0.0  # the latest simulated time seen, to stop the clock at after the test

    def saw(self, t: float) -> None:
        self.seen = max(self.seen, t)

    def attempt(self, record: AttemptRecord) -> None:
        self.saw(record.at + record.latency)
        self.recorder.attempt(record)
        if record.kind != "duplicate":  # a forced duplicate is not one of the machine's attempts
            self.pushes[record.subscription] += 1
        self.progress.set()

    def state_changed(self, change: StateChange) -> None:
        self.saw(change.at)
        self.recorder.state_changed(change)
        self.progress.set()


def inject(machine: Machine, count: int, now: float) -> None:
    """`count` events produced at `now`, outside the machine's planned traffic."""
    try:
        machine.inject(count, now)
    except InvalidTransition as exc:
        raise ConfigError(str(exc)) from None


async def start_producer(
    run: str | Path | RunSpec,
    *,
    app: web.Application | None = None,
    url: str | None = None,
    path: str = "/",
    env: Mapping[str, str] | None = None,
    clock: ClockName | None = None,
) -> Simulation:
    """Start the producer of `run` (YAML text, a run file's path, or a `RunSpec`) in the running
    event loop; `stop()` the result when done (the fixture does). `env` holds the secrets the
    run file names (default: os.environ); `path` is where the app takes pushes."""
    if app is not None and url is not None:
        raise ConfigError("marketo_producer: give app= or url=, not both")
    spec = _run_spec(run, env)
    virtual = _looptime_on()
    _check_clock(clock or ("real" if url is not None else "virtual"), virtual=virtual, url=url)
    outside = [s for s in spec.subscriptions if s.endpoint != EMBEDDED]
    if virtual and app is None and url is None and outside:
        raise ConfigError(
            f"marketo_producer: subscription {outside[0].name!r} pushes to {outside[0].endpoint}, "
            "outside the test's event loop, which cannot follow the virtual clock: pass app= "
            "to serve the consumer in the test's loop"
        )
    if virtual:
        await _whole_second()
    sim: Simulation | None = None
    runner = None
    try:
        if app is not None:
            runner, base = await _serve(app)
            url = base + path.lstrip("/")
        if url is not None:
            spec = against(spec, url)
            if virtual and spec.start is None:  # the payloads of a virtual run never change
                spec = _starting(spec, VIRTUAL_EPOCH)
        # With a URL the endpoints are no longer embedded, which Producer(virtual=True) refuses;
        # an app in this loop follows the virtual clock all the same.
        producer = Producer(spec, virtual=virtual and url is None, record=True)
        sim = Simulation(producer, virtual=virtual, url=url)
        producer.observers.append(sim._watcher)
        sim._runner = runner
        sim._before = asyncio.all_tasks()
        await _play(sim)
    except BaseException:
        tasks = [t for t in (sim._task, sim._director) if t is not None] if sim else []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if runner is not None:
            await runner.cleanup()
        raise
    return sim


async def _play(sim: Simulation) -> None:
    started = asyncio.get_running_loop().create_future()

    def on_start(producer: Producer) -> None:
        sim._started(producer)
        started.set_result(None)

    task = asyncio.create_task(sim.producer.play(FOREVER, on_start=on_start), name="marketo-sim")
    sim._task = task
    await asyncio.wait([started, task], return_when=asyncio.FIRST_COMPLETED)
    if not started.done():
        task.result()  # raises what stopped it
        raise AssertionError("the producer stopped before it started")
    await sim._settle()  # the pushes due at t = 0


def _run_spec(run: str | Path | RunSpec, env: Mapping[str, str] | None) -> RunSpec:
    if isinstance(run, RunSpec):
        if env is not None:
            raise ConfigError("marketo_producer: env= only applies to a run file or YAML text")
        return run
    if isinstance(run, Path):
        return load_run(run, environ=env)
    return parse_run(run, environ=env)


def _starting(spec: RunSpec, start: datetime) -> RunSpec:
    copy = spec.model_copy(update={"start": start})
    copy._file = spec.file
    return copy


def _looptime_on() -> bool:
    loop = asyncio.get_running_loop()
    return isinstance(loop, looptime.LoopTimeEventLoop) and loop.looptime_on


def _check_clock(clock: ClockName, *, virtual: bool, url: str | None) -> None:
    if clock not in ("virtual", "real"):
        raise ConfigError(f"marketo_producer: clock must be 'virtual' or 'real' (got {clock!r})")
    if url is not None and (clock == "virtual" or virtual):
        raise ConfigError(
            "marketo_producer: url= points at a consumer outside the test's event loop, which "
            "cannot follow the virtual clock: drop @pytest.mark.looptime to run the test on the "
            "real clock, or pass app= to serve the consumer in the test's loop"
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


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    return await serve_on_loopback(app, what="the consumer app")


def _ours(task: asyncio.Task[Any]) -> bool:
    code = getattr(task.get_coro(), "cr_code", None)
    return code is not None and code.co_filename.startswith(_OURS)


async def _producers() -> AsyncIterator[Factory]:
    loop = asyncio.get_running_loop()
    sims: list[Simulation] = []

    async def factory(run: str | Path | RunSpec, **options: Any) -> Simulation:
        if asyncio.get_running_loop() is not loop:
            raise ConfigError(
                "marketo_producer: the test runs in another event loop than the fixture; "
                "give both the same loop scope (the default: function)"
            )
        sim = await start_producer(run, **options)
        sims.append(sim)
        return sim

    yield factory
    errors = []
    for sim in reversed(sims):
        try:
            await sim.stop()
        except Exception as exc:
            errors.append(exc)
    if errors:
        raise errors[0]


if pytest_asyncio is not None:
    marketo_producer = pytest_asyncio.fixture(_producers, name="marketo_producer")
else:  # pragma: no cover

    @pytest.fixture(name="marketo_producer")
    def marketo_producer() -> Callable[..., Any]:
        pytest.fail("marketo_producer needs pytest-asyncio: pip install pytest-asyncio")
