"""What a test touches: `start_producer` and the `Simulation` it returns.

A `Simulation` lets simulated time pass (`advance`), adds events (`emit`), and shows what
happened: every attempt and state change, each subscription's state and ledger, and what the
embedded dev endpoint received. `advance(seconds)` is deterministic: once the time is reached,
everything due at that instant happens before it returns (a push at t = 6 s is in the attempt
log after `advance(6)`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Awaitable, Mapping
from pathlib import Path
from typing import Any, Protocol

import aiohttp

from simulator.core.delivery import Ledger
from simulator.core.records import AttemptRecord, Machine, StateChange
from simulator.endpoint.received import ReceivedBatch
from simulator.endpoint.receiver import Receiver
from simulator.errors import ConfigError, InvalidTransition
from simulator.producer import EMBEDDED, Producer, RunResult
from simulator.runfile.scenario import RunSpec
from simulator.shell.transit import tracing
from simulator.testing.attempts import SHOWN, describe, summary
from simulator.testing.runner import App, ClockName, Runner, launch
from simulator.testing.scaled import loop_speed

__all__ = ["Factory", "Simulation", "inject", "start_producer"]


class Factory(Protocol):
    """The `marketo_producer` fixture: `await marketo_producer(run, app=... | url=...)`."""

    def __call__(
        self,
        run: str | Path | RunSpec,
        *,
        app: App | None = None,
        url: str | None = None,
        path: str = "/",
        env: Mapping[str, str] | None = None,
        clock: ClockName | None = None,
    ) -> Awaitable[Simulation]: ...


class Simulation:
    """A producer running in the test's event loop; made by `start_producer`."""

    def __init__(self, runner: Runner) -> None:
        self._runner = runner

    # -- what a test reads ---------------------------------------------------------------------

    @property
    def producer(self) -> Producer:
        return self._runner.producer

    @property
    def virtual(self) -> bool:
        """The test's loop keeps virtual time (`@pytest.mark.looptime`)."""
        return self._runner.virtual

    @property
    def speed(self) -> float:
        """Simulated seconds per real second on a real or scaled clock (`scaled_loop`); 1.0 on
        the virtual one, whose time does not follow the real clock at all."""
        return 1.0 if self.virtual else loop_speed()

    @property
    def now(self) -> float:
        """Simulated seconds since the run started."""
        return self._runner.now()

    @property
    def url(self) -> str:
        """Where the subscriptions push: the app's or `url=`, else the embedded endpoint's."""
        if self._runner.url is not None:
            return self._runner.url
        receiver = self.producer.receiver
        assert receiver is not None
        return receiver.url

    def client(self, **options: Any) -> aiohttp.ClientSession:
        """An aiohttp session for the test's own requests to the app (`sim.url + "processed"`)
        or the dev endpoint: on the virtual clock, time does not jump while its requests are on
        their way (a session of the test's own would let it, on a loaded machine). `options` go
        to `aiohttp.ClientSession`; close it, or use it as `async with sim.client() as http`."""
        return aiohttp.ClientSession(trace_configs=[tracing()], **options)

    def attempts(self, subscription: str | None = None) -> list[AttemptRecord]:
        """The push attempts so far, oldest first; only one subscription's when named. The log
        keeps the newest 10,000 (`attempts_dropped` counts the older ones); `outcomes` counts
        them all."""
        self._known(subscription)
        records = self._runner.watcher.recorder.attempts
        return [a for a in records if subscription in (None, a.subscription)]

    @property
    def attempts_dropped(self) -> int:
        """How many of the oldest attempts the log dropped to keep its bound."""
        return self._runner.watcher.recorder.attempts_dropped

    def outcomes(self, subscription: str | None = None) -> Counter[str]:
        """How many attempts got each answer since the start ("HTTP 200", "timeout",
        "connection error", ...), however long the run; only one subscription's when named."""
        return self._runner.watcher.recorder.tally(self._names(subscription))

    def changes(self, subscription: str | None = None) -> list[StateChange]:
        """The state changes so far, oldest first (the newest 10,000); only one subscription's
        when named."""
        self._known(subscription)
        records = self._runner.watcher.recorder.changes
        return [c for c in records if subscription in (None, c.subscription)]

    def ledger(self, subscription: str) -> Ledger:
        """Where each event of the subscription is now: produced = acknowledged + queued + ..."""
        return self._machine_now(subscription).ledger()

    def state(self, subscription: str) -> str:
        """The state now: active, retrying, paused, deprovisioned (I/O: pending, unstable...)."""
        return str(self._machine_now(subscription).state)

    @property
    def received(self) -> list[ReceivedBatch]:
        """The batches the embedded dev endpoint accepted (runs without `app=` or `url=`),
        oldest first: the last `keep_batches` of them (1,000 unless the receiver is told
        otherwise); `received_dropped` counts the older ones dropped."""
        return self._embedded("received").received

    @property
    def received_dropped(self) -> int:
        """How many accepted batches were dropped from `received` to keep its bound."""
        return self._embedded("received_dropped").stats.received_dropped

    # -- assertions that explain themselves ---------------------------------------------------

    def assert_all_acknowledged(self, subscription: str | None = None) -> None:
        """Every event produced so far has been acknowledged: none queued, in flight or lost.
        A failure names the ledger, the attempts' answers and the latest failed attempts."""
        __tracebackhide__ = True  # pytest shows the test's line, not this one
        problems = []
        for name in self._names(subscription):
            ledger = self.ledger(name)
            if ledger.acknowledged != ledger.produced or not ledger.balanced:
                problems.append(
                    f"{name}: {ledger.acknowledged} of {ledger.produced} events "
                    f"acknowledged ({_unacknowledged(ledger)})"
                )
        if problems:
            raise AssertionError(self._explain(problems, subscription))

    def assert_no_failed_attempts(self, subscription: str | None = None) -> None:
        """Every attempt so far was answered 2xx. A failure lists the failed attempts."""
        __tracebackhide__ = True
        tally = self.outcomes(subscription)
        failed = sum(n for what, n in tally.items() if not _success(what))
        if failed:
            made = sum(tally.values())
            raise AssertionError(
                self._explain([f"{failed} of {made} attempts failed"], subscription)
            )

    def _explain(self, problems: list[str], subscription: str | None) -> str:
        """The problems, then what the attempts got and the latest failed ones."""
        names = self._names(subscription)
        failures = [f for f in self._runner.watcher.recorder.failures if f.subscription in names]
        lines = [*problems, f"attempts by answer: {summary(self.outcomes(subscription))}"]
        if failures:
            shown = failures[-SHOWN:]
            lines.append(f"the latest {len(shown)} failed attempts (of {len(failures)} kept):")
            lines += [f"  {describe(f)}" for f in shown]
        lines.append(
            f"now: {self.now:g} s; states: "
            + ", ".join(f"{name} {self.state(name)}" for name in names)
        )
        return "\n".join(lines)

    # -- what a test does ----------------------------------------------------------------------

    async def advance(self, seconds: float) -> None:
        """Let `seconds` of simulated time pass, then let everything due at that instant happen
        (a push in flight then is waited for, so with a slow consumer `now` ends a bit later)."""
        if seconds < 0 or not math.isfinite(seconds):
            raise ValueError(f"advance: seconds must be a finite number >= 0 (got {seconds!r})")
        self._runner.check_running()
        await self._runner.clock.sleep_until(self.now + seconds)
        await self._runner.settle()

    def emit(self, subscription: str, count: int) -> None:
        """Marketo produces `count` more events now, on top of the run file's traffic. They
        leave with the subscription's next push: its next slot, or the retry or probe already
        scheduled (I/O: the next flush)."""
        if count < 0:
            raise ValueError(f"emit: count must be >= 0 (got {count!r})")
        self._runner.check_running()
        lane = self._runner.lane(subscription)
        inject(lane.machine, count, self.now)
        lane.poke()  # look again now

    async def stop(self) -> RunResult:
        """Stop the producer, the app and the embedded endpoint; fail if anything of theirs is
        still running afterwards. The ledgers stay readable. Teardown calls it; calling it
        again returns the same result."""
        return await self._runner.stop()

    # -- helpers ---------------------------------------------------------------------------------

    def _embedded(self, what: str) -> Receiver:
        receiver = self.producer.receiver
        if receiver is None or all(s.endpoint != EMBEDDED for s in self.producer.run.subscriptions):
            raise ConfigError(
                f"{what}: only the embedded dev endpoint keeps what it was sent; "
                "ask your own app what it received"
            )
        return receiver

    def _names(self, name: str | None) -> list[str]:
        """The named subscription, or all of them."""
        if name is not None:
            return [self._runner.lane(name).name]
        return [lane.name for lane in self._runner.engine.lanes]

    def _known(self, name: str | None) -> None:
        if name is not None:
            self._runner.lane(name)

    def _machine_now(self, name: str) -> Machine:
        """The subscription's machine, with production brought up to now while the run goes on
        (it is pulled in lazily, at each poll)."""
        machine = self._runner.lane(name).machine
        if self._runner.result is None:
            machine.advance(self.now)
        return machine


def _unacknowledged(ledger: Ledger) -> str:
    """Where the events not acknowledged are: "queued 20, expired 3"."""
    parts = [
        f"{label} {value}"
        for label, value in (
            ("queued", ledger.queued),
            ("in flight", ledger.in_flight),
            ("expired", ledger.expired),
            ("discarded", ledger.discarded),
            ("dropped", ledger.dropped),
        )
        if value
    ]
    if not ledger.balanced:
        parts.append(f"the ledger is off by {ledger.produced - ledger.accounted}")
    return ", ".join(parts) or "none missing"


def _success(answer: str) -> bool:
    return answer.startswith("HTTP 2")


def inject(machine: Machine, count: int, now: float) -> None:
    """`count` events produced at `now`, outside the machine's planned traffic."""
    try:
        machine.inject(count, now)
    except InvalidTransition as exc:
        raise ConfigError(str(exc)) from None


async def start_producer(
    run: str | Path | RunSpec,
    *,
    app: App | None = None,
    url: str | None = None,
    path: str = "/",
    env: Mapping[str, str] | None = None,
    clock: ClockName | None = None,
) -> Simulation:
    """Start the producer of `run` (YAML text, a run file's path, or a `RunSpec`) in the running
    event loop; `stop()` the result when done (the fixture does). `env` holds the secrets the
    run file names (default: os.environ); `path` is where the app takes pushes."""
    runner = await launch(run, app=app, url=url, path=path, env=env, clock=clock)
    return Simulation(runner)
