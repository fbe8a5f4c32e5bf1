"""Plays a scenario's timeline: at each step's simulated time, does what the step says; and
applies a step given while the run goes (`simulator.control`: `apply(step, now, live=True)`),
through the same handlers.

Traffic steps (bursts, rate changes) of the file need no acting: they are folded into each
subscription's traffic before the run (`producer.traffic_step`). Given live they were not known
in advance: a burst is injected into the machine and a rate change changes its traffic from now
on, which is what the folded step does at its time. Everything else changes the world while it
runs, each action through its one handler in the director's table: the embedded endpoint's
behaviour, the identity provider, the signing keys, a subscription's provisioning, a
registration's re-enabling, a journal read, and anomalies forced on the next push.

A file's step is applied as of its own time, `at`, whatever the clock read when the director
woke (on a real or scaled clock, a few milliseconds later, more on a loaded host), as a push
holds what was produced by its due time: the machines, the log and the recording see `at`.
A step given live has no planned time: it is applied at the clock's reading.

A journal read (`backfill`) runs beside the run; the run's end waits for the ones still going
(`finish_reads`, at most JOURNAL_GRACE real seconds) before the publisher stops, and says what
each read.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp
from pydantic.alias_generators import to_camel

from simulator.core.delivery import SAME_INSTANT, Subscription
from simulator.errors import InvalidTransition, SimulatorError
from simulator.producer import Producer, traffic_step
from simulator.runfile.endpointspec import EndpointChange
from simulator.runfile.scenario import step_problem
from simulator.runfile.steps import StepSpec
from simulator.shell.clock import Clock, loop_seconds
from simulator.shell.engine import Engine, Lane
from simulator.shell.transit import transit

if TYPE_CHECKING:  # the embedded endpoint and its fault proxy load only in runs that use them
    from simulator.endpoint.proxy import FaultProxy
    from simulator.endpoint.receiver import Receiver

# A step's handler: does what the step says at `now`; returns a note for the log ("" for none).
Handler = Callable[["Director", StepSpec, float], str]
# Told of every step applied, file or live: its time, the step, and the line said for it.
StepListener = Callable[[float, StepSpec, str], None]

# The run's end waits this many real seconds at most for the journal reads still going (a
# backfill given late, or live), then cuts them short: loop_seconds, so as many virtual seconds
# on the virtual clock, where a read from the run's own publisher takes none.
JOURNAL_GRACE = 5.0
LIVE_STEPS_MAX = 10_000  # steps a run accepts while it goes: each is kept for --record-scenario
SAID_KEPT = 100  # the newest step lines kept for the status document


class StepRefused(SimulatorError):
    """A step given while the run goes that the run cannot apply: `unknown` when it names no
    subscription of the run (the request's fault), else the run's state refuses it now."""

    def __init__(self, message: str, *, unknown: bool = False) -> None:
        super().__init__(message)
        self.unknown = unknown


@dataclass(slots=True)
class JournalRead:
    """A backfill step's read of a registration's journal: what it has read so far."""

    name: str
    events: int = 0

    def note(self, task: asyncio.Task[None], *, cut: bool) -> str:
        """What the read did, said when the run's end waited for it (`task`: the read's)."""
        said = f"journal read of {self.name}: {self.events:,} events"
        if cut:
            return f"{said}, cut short {JOURNAL_GRACE:g} s after the run's end"
        error = _failure(task)
        if error is not None:
            return f"{said}, then it failed: {str(error) or type(error).__name__}"
        return f"{said}, finished after the run's end"


def _failure(task: asyncio.Task[None]) -> BaseException | None:
    """What a finished read raised (None: it read to the end, or it was cut short)."""
    return None if task.cancelled() else task.exception()


class Director:
    """Plays the timeline of a started producer's run file (`play`), saying each step as it goes;
    `reached(t)` tells a caller when every step due by `t` has been played."""

    def __init__(
        self,
        producer: Producer,
        *,
        say: Callable[[float, str], None] = lambda t, text: None,
        proxies: Sequence[FaultProxy] = (),
        on_step: StepListener | None = None,
    ) -> None:
        self.producer = producer
        self.say = say
        self.on_step = on_step
        self.live: list[tuple[float, StepSpec]] = []  # steps applied while the run went, in order
        self.said: deque[tuple[float, str]] = deque(maxlen=SAID_KEPT)
        # Fault proxies in front of real consumers (`simulator.timeline.faulting`): the endpoint
        # steps are theirs, on the run's clock.
        self._proxies = [(proxy, proxy.behaviour) for proxy in proxies]
        if producer.engine is not None:
            for proxy in proxies:
                proxy.clock = producer.engine.clock.now
        self.backfilled: dict[str, int] = {}  # events read back per registration
        self._reads: dict[asyncio.Task[None], JournalRead] = {}
        producer.on_end(self.finish_reads)
        receiver = producer.receiver
        self._baseline = (
            (receiver.behaviour, receiver.challenge_style) if receiver is not None else None
        )
        self._steps = producer.run.step_times()
        self._here = {spec.name for spec in producer.run.subscriptions}
        self._played = 0  # how many of `_steps` have been applied
        self._stepped = asyncio.Event()

    async def play(self, clock: Clock) -> None:
        try:
            for at, step in self._steps:
                await clock.sleep_until(at)
                self.apply(step, self._as_of(step, at))
                self._played += 1
                self._stepped.set()
            await asyncio.gather(*self._reads, return_exceptions=True)
        finally:
            for task in self._reads:
                task.cancel()

    async def finish_reads(self) -> None:
        """At the run's end (`Producer.on_end`), before the publisher stops: wait for the journal
        reads still going, at most JOURNAL_GRACE real seconds, cut short the ones that take
        longer, and say what each of them read."""
        going = [task for task in self._reads if not task.done()]
        if not going:
            return
        end = self._engine().clock.now()
        _, late = await asyncio.wait(going, timeout=loop_seconds(JOURNAL_GRACE))
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        for task in going:
            if task in late or _failure(task) is None:  # a failed one has said so (`_ended`)
                self._tell(end, self._reads[task].note(task, cut=task in late))

    def _tell(self, now: float, text: str) -> None:
        self.said.append((now, text))
        self.say(now, text)

    def _as_of(self, step: StepSpec, at: float) -> float:
        """When a file step takes effect: at `at`, however late the director woke. A step that
        changes a machine (`MACHINE_ACTIONS`) that has decided something since `at`
        (`decided_at`: a push polled at a slot between `at` and the wake-up, a state changed)
        takes effect as of that decision instead: a push already sent cannot be taken back, so
        a deprovision then discards what is queued at that instant and the push in flight
        counts by its answer."""
        if step.action not in MACHINE_ACTIONS or step.subscription not in self._here:
            return at
        return max(at, self._lane(step).machine.decided_at)

    async def reached(self, t: float) -> None:
        """Return once every step due at or before simulated time `t` has been applied."""
        while self._played < len(self._steps) and self._steps[self._played][0] <= t:
            self._stepped.clear()
            await self._stepped.wait()

    def apply(self, step: StepSpec, now: float, *, live: bool = False) -> str:
        """Play `step` at `now`; returns its note. One naming a subscription of another shard
        (`--shard`) is only said: the shard that holds it plays it. Run-wide steps play in every
        shard. A file's burst and rate steps are already in the traffic; `live` ones (given while
        the run goes, checked by `check_live` first) go through their handlers like the rest."""
        planned = not live and traffic_step(now, step) is not None
        if step.subscription is not None and step.subscription not in self._here:
            note = "skipped: another shard plays it"
        else:
            note = "" if planned else HANDLERS[step.action](self, step, now)
        text = f"{step.label()}{f' ({note})' if note else ''}"
        self.said.append((now, text))
        self.say(now, text)
        if self.on_step is not None:
            self.on_step(now, step, text)
        return note

    def apply_live(self, step: StepSpec, now: float) -> str:
        """Apply `step`, given while the run goes, at `now` (the run clock's reading), and keep it
        for the recording; StepRefused, with nothing changed, when the run cannot apply it."""
        self.check_live(step)
        if len(self.live) >= LIVE_STEPS_MAX:
            raise StepRefused(f"this run has taken {LIVE_STEPS_MAX:,} steps: no more")
        timed = step.model_copy(update={"at": now, "after": None})
        busy = self._busy(now)  # before the step: a burst makes its subscription due
        try:
            note = self.apply(timed, now, live=True)
        except InvalidTransition as exc:  # e.g. reprovision of an active subscription
            raise StepRefused(f"{to_camel(step.action)}: {exc}") from None
        self.live.append((now, timed))
        if busy:
            shown = ", ".join(busy[:3]) + (f" and {len(busy) - 3} more" if len(busy) > 3 else "")
            warning = (
                f"{shown} had a push due or in flight: its pace is the endpoint's answer times, "
                "which the virtual clock does not have, so a replay may meet this step at "
                "another push"
            )
            note = f"{note}; {warning}" if note else warning
        return note

    def _busy(self, now: float) -> list[str]:
        """The subscriptions with a push in flight or due now (a backlog draining back to back):
        where a step lands among those pushes depends on how fast the endpoint answered."""
        busy = []
        for name, machine in self._engine().machines().items():
            wake = machine.wakeup()
            if wake is not None and wake <= now + SAME_INSTANT:
                busy.append(name)
        return busy

    def check_live(self, step: StepSpec) -> None:
        """What the scenario checker would say of `step` in this run's file (StepRefused), and
        what the run's state refuses now (a burst for a deprovisioned subscription, a step for a
        subscription of another shard: not played here, nor recorded)."""
        run = self.producer.run
        profiles = {spec.name: spec.profile for spec in run.whole}
        problem = step_problem(step, profiles, oauth=run.receiver.oauth is not None)
        if problem is not None:
            raise StepRefused(f"{problem.field}: {problem.message}", unknown=problem.unknown)
        refusal = self._refusal_now(step)
        if refusal:
            raise StepRefused(f"{to_camel(step.action)}: {refusal}")

    def _refusal_now(self, step: StepSpec) -> str:
        """Why the run's state refuses `step` now, or "": what a handler would only skip."""
        mine = step.subscription is not None and step.subscription in self._here
        if step.subscription is not None and not mine:  # a file's step is said as skipped
            return f"{step.subscription!r} is another shard's: steer the process that plays it"
        state = self._lane(step).machine.state if mine else None
        if step.action in ("burst", "rate") and state == "deprovisioned":
            return f"{step.subscription!r} is deprovisioned: reprovision it first"
        if step.action == "enable" and mine and state != "disabled":
            return f"the registration {step.subscription!r} is {state}, not disabled"
        if step.action == "endpoint" and not self._proxies and self.producer.receiver is None:
            return "this run pushes to a real endpoint, not the embedded one"
        if step.action == "rotate_keys" and self.producer.keys is None:
            return "no adobe-io subscription signs anything in this run"
        return ""

    # -- the actions -------------------------------------------------------------------------

    def _endpoint(self, step: StepSpec, now: float) -> str:
        if self._proxies:
            return self._proxy_endpoint(step, now)
        receiver = self.producer.receiver
        if receiver is None or self._baseline is None:
            return "skipped: the endpoint is not the embedded one"
        if step.endpoint == "normal":
            receiver.behaviour, receiver.challenge_style = self._baseline
            return ""
        assert isinstance(step.endpoint, EndpointChange)
        change = step.endpoint
        receiver.behaviour = change.applied_to(receiver.behaviour, now)
        if change.challenge is not None:
            receiver.challenge_style = change.challenge
        return ""

    def _proxy_endpoint(self, step: StepSpec, now: float) -> str:
        """An endpoint step played by the fault proxies in front of the real consumers."""
        note = "at the fault proxy"
        for proxy, baseline in self._proxies:
            if step.endpoint == "normal":
                proxy.behaviour = baseline
                continue
            assert isinstance(step.endpoint, EndpointChange)
            proxy.behaviour = step.endpoint.applied_to(proxy.behaviour, now)
        if isinstance(step.endpoint, EndpointChange) and step.endpoint.challenge is not None:
            note += "; challenge skipped: the consumer answers its own challenges"
        return note

    def _burst(self, step: StepSpec, now: float) -> str:
        """A burst given live: its events are produced now (a file's is in the traffic)."""
        assert step.burst is not None
        lane = self._lane(step)
        lane.machine.inject(step.burst.count, now)
        lane.poke()
        return ""

    def _rate(self, step: StepSpec, now: float) -> str:
        """A rate given live: the traffic changes from now on (a file's is in the traffic)."""
        assert step.rate is not None
        lane = self._lane(step)
        lane.machine.change_rate(step.rate.rate, now)
        lane.poke()
        return ""

    def _expire_tokens(self, step: StepSpec, now: float) -> str:
        self._receiver().expire_tokens()
        return ""

    def _idp_failures(self, step: StepSpec, now: float) -> str:
        assert step.idp_failures is not None
        self._receiver().fail_token_requests(step.idp_failures)
        return ""

    def _rotate_keys(self, step: StepSpec, now: float) -> str:
        if self.producer.keys is None:
            return "skipped: no adobe-io subscription signs anything"
        key = self.producer.keys.rotate()
        return f"signing with {key.path}"

    def _deprovision(self, step: StepSpec, now: float) -> str:
        machine = self._legacy(step)
        old = machine.state
        change = machine.deprovision(now)
        self._changed(step, old, change.new, change.at, "deprovisioned by the scenario")
        return ""

    def _reprovision(self, step: StepSpec, now: float) -> str:
        machine = self._legacy(step)
        old = machine.state
        change = machine.reprovision(now)
        self._changed(step, old, change.new, change.at, "reprovisioned by the scenario")
        return ""

    def _enable(self, step: StepSpec, now: float) -> str:
        from simulator.shell.iolane import IoLane

        lane = self._lane(step)
        assert isinstance(lane, IoLane), "the scenario checker allows enable for adobe-io only"
        if lane.machine.state != "disabled":
            return f"skipped: the registration is {lane.machine.state}, not disabled"
        lane.enable(now)
        return ""

    def _backfill(self, step: StepSpec, now: float) -> str:
        assert step.backfill is not None
        read = JournalRead(step.backfill)
        task = asyncio.create_task(self._read_journal(read))
        self._reads[task] = read
        task.add_done_callback(self._ended)
        return ""

    def _ended(self, task: asyncio.Task[None]) -> None:
        """A journal read that failed says so when it does, during the run or after its end."""
        if _failure(task) is not None:
            self._tell(self._engine().clock.now(), self._reads[task].note(task, cut=False))

    async def _read_journal(self, read: JournalRead) -> None:
        """Page through the journal like a consumer: follow `next` links until 204."""
        assert self.producer.publisher is not None
        name = read.name
        url: str | None = f"{self.producer.publisher.journal_url(name)}?limit=1000"
        headers = {"Authorization": "Bearer marketo-sim", "x-api-key": "marketo-sim"}
        async with aiohttp.ClientSession() as session:
            while url is not None:
                with transit().carrying():
                    async with session.get(url, headers=headers) as response:
                        if response.status != 200:
                            return
                        page = await response.json()
                    read.events += len(page["events"])
                    self.backfilled[name] = self.backfilled.get(name, 0) + len(page["events"])
                    url = str(response.links["next"]["url"]) if "next" in response.links else None

    def _anomaly(self, step: StepSpec, now: float) -> str:
        assert step.anomaly is not None
        self._lane(step).force(step.anomaly.kind)
        return ""

    # -- helpers ---------------------------------------------------------------------------------

    def _receiver(self) -> Receiver:
        receiver = self.producer.receiver
        assert receiver is not None, "the scenario checker requires the embedded receiver"
        return receiver

    def _engine(self) -> Engine:
        engine = self.producer.engine
        assert engine is not None, "the director plays once the producer has started"
        return engine

    def _lane(self, step: StepSpec) -> Lane:
        assert step.subscription is not None, f"a {step.action} step names its subscription"
        return self._engine().lane(step.subscription)

    def _legacy(self, step: StepSpec) -> Subscription:
        machine = self._lane(step).machine
        assert isinstance(machine, Subscription)
        return machine

    def _changed(self, step: StepSpec, old: str, new: str, now: float, reason: str) -> None:
        lane = self._lane(step)
        if new != old:
            self._engine().emit_change(lane.name, old, new, now, reason)
        lane.poke()


# The actions that change a subscription's machine: applied as of its latest decision at the
# earliest (`Director._as_of`).
MACHINE_ACTIONS = frozenset({"deprovision", "reprovision", "enable"})

# Each action's one handler. A file's burst and rate steps do not reach theirs: they are traffic,
# played before the run (`producer.traffic_step`); given live, they are played by these.
HANDLERS: dict[str, Handler] = {
    "burst": Director._burst,
    "rate": Director._rate,
    "endpoint": Director._endpoint,
    "expire_tokens": Director._expire_tokens,
    "idp_failures": Director._idp_failures,
    "rotate_keys": Director._rotate_keys,
    "deprovision": Director._deprovision,
    "reprovision": Director._reprovision,
    "enable": Director._enable,
    "anomaly": Director._anomaly,
    "backfill": Director._backfill,
}
