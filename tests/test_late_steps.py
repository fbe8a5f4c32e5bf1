"""A run file's step takes effect at its `at`, however late the director wakes for it.

On the virtual clock the director applies a step at its time exactly; on a real or scaled clock
it wakes a few milliseconds late (more on a loaded host, or at a high --speed), while the pushes,
the live status and the sampler go on. None of that may change what the step does, as none of it
changes what a push holds (tests/test_lateness.py): the pure machines first, then the director
on the virtual clock with every wake-up late by a fixed amount (and a status drawn meanwhile),
against the same run played on time, then one short run on a scaled clock.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.core.delivery import Ledger, Policy, State, Subscription
from simulator.core.outcome import Outcome, OutcomeKind
from simulator.core.records import AttemptRecord, StateChange
from simulator.core.registration import IoPolicy, Registration, RegistrationState
from simulator.core.traffic import Burst, Traffic
from simulator.producer import Producer
from simulator.reports.console import Recorder
from simulator.runfile.scenario import parse_run
from simulator.shell.clock import Clock, ClockMode, run, run_virtual
from simulator.timeline.director import Director
from simulator.timeline.replay import replay

OK = Outcome(OutcomeKind.SUCCESS, 200, 0.0)
FAILED = Outcome(OutcomeKind.HTTP_ERROR, 503, 0.0)

# -- the legacy machine, by hand ---------------------------------------------------------------


def pushed_at_two() -> Subscription:
    """10 events/s, slots every 2 s: the 20 events of (0, 2] pushed and acknowledged at 2 s."""
    machine = Subscription("s", Policy(), Traffic(rate=10))
    assert machine.poll(0.0) is None
    push = machine.poll(2.0)
    assert push is not None
    machine.record(push, ok=True, now=2.0)
    return machine


def test_a_deprovision_as_of_its_time_forgets_what_a_reader_read_in_after_it() -> None:
    """A status drawn at 3.37 s, then the deprovision of 3 s: the 10 events of (2, 3] are
    discarded; the 3 of (3, 3.37] were never produced."""
    machine = pushed_at_two()
    machine.advance(3.37)
    change = machine.deprovision(3.0)
    assert (change.new, change.at) == (State.DEPROVISIONED, 3.0)
    assert machine.ledger() == Ledger(
        produced=30, acknowledged=20, expired=0, discarded=10, dropped=0, queued=0, in_flight=0
    )


def test_a_deprovision_cannot_go_back_before_a_push_polled_after_its_time() -> None:
    """The 4 s slot polled at 4.01 s (20 events in flight), a status at 4.25 s, then the
    deprovision of 3 s: it takes effect at 4.01 s, the push's instant, and the push counts by
    its answer; the 2 events of (4.01, 4.25] were never produced."""
    machine = pushed_at_two()
    push = machine.poll(4.01)
    assert push is not None
    assert push.batch.count == 20
    machine.advance(4.25)
    assert machine.deprovision(3.0).at == 4.01
    machine.record(push, ok=True, now=4.3)
    assert machine.ledger() == Ledger(
        produced=40, acknowledged=40, expired=0, discarded=0, dropped=0, queued=0, in_flight=0
    )


def test_an_answer_after_its_time_does_not_hold_a_deprovision_back() -> None:
    """The push of 2 s answered at 3.2 s (still active: nothing decided), a status at 3.37 s,
    then the deprovision of 3 s: it takes effect at 3 s, as it would had the push been in
    flight then (the answer counts its events, the 10 of (2, 3] are discarded)."""
    machine = Subscription("s", Policy(), Traffic(rate=10))
    assert machine.poll(0.0) is None
    push = machine.poll(2.0)
    assert push is not None
    machine.record(push, ok=True, now=3.2)
    machine.advance(3.37)
    assert machine.deprovision(3.0).at == 3.0
    assert machine.ledger() == Ledger(
        produced=30, acknowledged=20, expired=0, discarded=10, dropped=0, queued=0, in_flight=0
    )


def test_a_push_in_flight_at_a_deprovision_that_fails_is_discarded() -> None:
    """The answer to a push cut off by a deprovision is taken, state unchanged: a failure
    discards its events, and nothing is retried."""
    machine = pushed_at_two()
    push = machine.poll(4.0)
    assert push is not None
    machine.deprovision(4.0)
    transition = machine.record(push, ok=False, now=4.2)
    assert (transition.old, transition.new) == (State.DEPROVISIONED, State.DEPROVISIONED)
    assert (machine.ledger().discarded, machine.wakeup()) == (20, None)


def test_the_push_from_before_a_deprovision_is_answered_before_the_next_one_goes() -> None:
    """The push of 4 s is in flight through a deprovision and a reprovision at 4.5 s: no push
    goes until it is answered (one at a time), a second deprovision at 5 s keeps it, and its
    answer at 6 s counts its 20 events; the 5 events of (4.5, 5] are discarded."""
    machine = pushed_at_two()
    push = machine.poll(4.0)
    assert push is not None
    machine.deprovision(4.0)
    machine.reprovision(4.5)
    assert machine.poll(5.0) is None
    machine.deprovision(5.0)
    machine.record(push, ok=True, now=6.0)
    assert machine.ledger() == Ledger(
        produced=45, acknowledged=40, expired=0, discarded=5, dropped=0, queued=0, in_flight=0
    )


def pushed_until(traffic: Traffic, at: float) -> Subscription:
    """Every push due by `at` made on time and acknowledged at once."""
    machine = Subscription("s", Policy(batch_size=300), traffic)
    for _ in range(1000):
        wake = machine.wakeup()
        if wake is None or wake > at:
            break
        push = machine.poll(wake)
        if push is not None:
            machine.record(push, ok=True, now=wake)
    return machine


@settings(max_examples=100, deadline=None)
@given(
    rate=st.one_of(st.sampled_from([0.0, 0.4, 10.0, 250.0]), st.floats(0.05, 400.0)),
    bursts=st.lists(
        st.builds(Burst, count=st.integers(1, 700), at=st.floats(0.0, 20.0)), max_size=3
    ),
    at=st.one_of(st.integers(0, 15).map(float), st.floats(0.0, 15.0)),
    late=st.floats(1e-6, 5.0),
)
def test_a_deprovision_after_a_status_discards_what_it_discards_on_time(
    rate: float, bursts: list[Burst], at: float, late: float
) -> None:
    """Whatever the traffic, a status drawn up to 5 s after the deprovision's time (the
    machine deciding nothing meanwhile) leaves the ledger the on-time deprovision leaves."""
    traffic = Traffic(rate=rate, bursts=bursts)
    on_time = pushed_until(traffic, at)
    on_time.deprovision(at)
    read = pushed_until(traffic, at)
    read.advance(at + late)
    read.deprovision(at)
    assert read.ledger() == on_time.ledger()


# -- the Adobe I/O registration, by hand -------------------------------------------------------


def disabled_at_one() -> Registration:
    """A registration whose challenge failed at 1 s: disabled, 3 events at 5 s, 2 at 9 s."""
    bursts = (Burst(count=3, at=5.0), Burst(count=2, at=9.0))
    machine = Registration("reg", IoPolicy(), Traffic(bursts=bursts))
    machine.challenge_failed(1.0, "refused")
    return machine


def test_an_enable_drops_what_was_produced_while_disabled() -> None:
    """Nobody looked at the disabled registration before the enable of 8 s: the 3 events of
    5 s are dropped then, as a status drawn at 6 s would have dropped them; those of 9 s wait
    for the new challenge."""
    machine = disabled_at_one()
    change = machine.enable(8.0)
    assert (change.new, change.at) == (RegistrationState.PENDING, 8.0)
    machine.advance(10.0)
    ledger = machine.ledger()
    assert (ledger.produced, ledger.dropped, ledger.queued) == (5, 3, 2)


def test_an_enable_cannot_go_back_before_an_answer_taken_after_its_time() -> None:
    """Unstable at 1 s, disabled when the 5 s hold ends at 6 s with its retry in flight, whose
    answer comes at 8.2 s; the enable of 8 s, applied after that, takes effect at 8.2 s."""
    policy = IoPolicy(min_attempts=1, failure_ratio=0.5, unstable_hold=5.0, retry_delays=(3.0,))
    machine = Registration("reg", policy, Traffic(bursts=(Burst(count=1, at=0.5),)))
    machine.verified(0.0)
    (delivery,) = machine.poll(1.0)
    machine.record(delivery, FAILED, 1.0)  # unstable; retried at 4 s
    (retry,) = machine.poll(4.0)
    machine.advance(6.0)
    assert machine.state is RegistrationState.DISABLED
    machine.record(retry, OK, 8.2)
    assert machine.enable(8.0).at == 8.2


# -- the director, late by a fixed amount, on the virtual clock --------------------------------

RUN = """\
munchkinId: 123-ABC-456
subscriptions:
  - name: leads
    rate: 10
    delivery: {{phase: aligned}}   # slots at 0, 2, 4 s: the times below are exact
timeline:
{steps}
"""


@dataclass(frozen=True, slots=True)
class LateClock:
    """The run's clock as a loaded host's director meets it: every wake-up `late` after the
    time it asked for, the readings the run's own."""

    clock: Clock
    late: float

    def now(self) -> float:
        return self.clock.now()

    def wall(self, t: float | None = None) -> float:
        return self.clock.wall(t)

    async def sleep_until(self, t: float) -> None:
        await self.clock.sleep_until(t + self.late)


@dataclass(frozen=True, slots=True)
class Played:
    said: list[tuple[float, str]]
    changes: list[tuple[float, str, str]]
    attempts: list[tuple[float, int, tuple[int, int] | None]]
    ledger: Ledger
    refused_from: list[float]


def played(steps: str, *, late: float = 0.0, reads: Sequence[float] = (), until: float) -> Played:
    """One subscription at 10 events/s with `steps`, played until `until` by a director that
    wakes `late` after each step's time, with a status drawn at each of `reads` (the live
    status: every machine brought up to then)."""
    recorder = Recorder()
    producer = Producer(parse_run(RUN.format(steps=steps)), virtual=True, observers=[recorder])
    said: list[tuple[float, str]] = []
    tasks: list[asyncio.Task[None]] = []

    async def status(p: Producer) -> None:
        assert p.engine is not None
        for t in reads:
            await p.engine.clock.sleep_until(t)
            for machine in p.engine.machines().values():
                machine.advance(p.engine.clock.now())

    def start(p: Producer) -> None:
        assert p.engine is not None
        director = Director(p, say=lambda t, text: said.append((t, text)))
        tasks.append(asyncio.create_task(director.play(LateClock(p.engine.clock, late))))
        tasks.append(asyncio.create_task(status(p)))

    async def main() -> Ledger:
        result = await producer.play(until, on_start=start)
        await asyncio.gather(*tasks)
        return result.ledgers["leads"]

    ledger = run_virtual(main())
    assert producer.receiver is not None
    windows = producer.receiver.behaviour.outages
    return Played(
        said,
        [(c.at, c.old, c.new) for c in recorder.changes],
        [(a.at, a.events, a.seqs) for a in recorder.attempts],
        ledger,
        [w.start for w in windows if w.end == math.inf],
    )


def test_a_late_deprovision_discards_what_the_on_time_one_discards() -> None:
    """Deprovisioned at 5 s by a director 350 ms late, a status drawn at 5.2 s: the 10 events
    of (4, 5] are discarded and the change is at 5 s, as on time."""
    steps = "  - {at: 5s, deprovision: leads}"
    late = played(steps, late=0.35, reads=[5.2], until=8)
    assert late.changes == [(5.0, "active", "deprovisioned")]
    assert (late.ledger.produced, late.ledger.discarded) == (50, 10)
    assert late.said == [(5.0, "deprovision: leads")]
    assert late == played(steps, until=8)


def test_a_late_reprovision_starts_at_its_time() -> None:
    """Reprovisioned at 9 s by a director 350 ms late: the change is at 9 s and the push at
    10 s holds the 10 events of (9, 10], as on time."""
    steps = "  - {at: 5s, deprovision: leads}\n  - {at: 9s, reprovision: leads}"
    late = played(steps, late=0.35, reads=[5.2, 9.1], until=11)
    assert late.changes == [(5.0, "active", "deprovisioned"), (9.0, "deprovisioned", "active")]
    assert late.attempts[-1] == (10.0, 10, (50, 59))
    assert late == played(steps, until=11)


def test_a_late_endpoint_step_is_stamped_at_its_time() -> None:
    """The endpoint starts refusing at 5 s, by a director 350 ms late: its refuse window
    opens at 5 s, and the step is said then."""
    steps = "  - {at: 5s, endpoint: {refuse: true}}"
    late = played(steps, late=0.35, until=7)
    assert (late.refused_from, late.said) == ([5.0], [(5.0, "endpoint: refuse=True")])
    assert late == played(steps, until=7)


def test_a_deprovision_whose_director_wakes_after_a_push_takes_effect_at_that_push() -> None:
    """Due at 5.9 s, the director wakes at 6.25 s, after the 6 s slot was pushed and answered:
    that push is not taken back, so the deprovision takes effect at 6 s, nothing left to
    discard; the status at 6.1 s read in an event that was never produced."""
    late = played("  - {at: 5.9s, deprovision: leads}", late=0.35, reads=[6.1], until=8)
    assert late.changes == [(6.0, "active", "deprovisioned")]
    assert late.said == [(6.0, "deprovision: leads")]
    assert late.ledger == Ledger(
        produced=60, acknowledged=60, expired=0, discarded=0, dropped=0, queued=0, in_flight=0
    )


def test_a_push_in_flight_at_a_deprovision_counts_by_its_answer() -> None:
    """The endpoint answers after 1 s: the push of 4 s is in flight at the deprovision of
    4.5 s. Its answer at 5 s counts its 20 events acknowledged; the 5 of (4, 4.5] are
    discarded, and the run goes on to its end."""
    steps = "  - {at: 3s, endpoint: {latency: 1s}}\n  - {at: 4.5s, deprovision: leads}"
    on_time = played(steps, until=8)
    assert on_time.attempts == [(2.0, 20, (0, 19)), (4.0, 20, (20, 39))]
    assert on_time.ledger == Ledger(
        produced=45, acknowledged=40, expired=0, discarded=5, dropped=0, queued=0, in_flight=0
    )


# -- end to end, on a scaled clock -------------------------------------------------------------

SCALED = """\
munchkinId: 123-ABC-456
subscriptions:
  - name: leads
    rate: 200                 # 400 events a slot, one batch: a step 1 ms late is 2 events off
    delivery: {phase: aligned}
timeline:
  - {at: 3s, deprovision: leads}
  - {at: 5s, reprovision: leads}
"""


def steps_played(*, speed: float | None) -> tuple[object, ...]:
    """The state changes, the pushes of the first 800 events and the events discarded, of 7 s."""
    recorder = Recorder()
    play = replay(parse_run(SCALED), virtual=speed is None, duration=7.0, observers=[recorder])
    if speed is None:
        recording = run_virtual(play)
    else:
        recording = run(play, mode=ClockMode.SCALED, speed=speed)
    changes: list[StateChange] = recorder.changes
    attempts: list[AttemptRecord] = recorder.attempts
    return (
        [(c.at, c.new) for c in changes],
        # The pushes of the first 800 events: which ones a host pushes before the run's end at
        # 7 s depends on its lateness; those before do not.
        [(a.events, a.seqs) for a in attempts if a.seqs is not None and a.seqs[0] < 800],
        recording.ledgers["leads"].discarded,
        recording.steps,
    )


def test_a_scaled_run_plays_the_steps_of_the_virtual_run() -> None:
    """At --speed 10 (0.7 s of real time) a millisecond late is 10 simulated ms: the
    deprovision still discards the 200 events of (2, 3] and the push after the reprovision
    holds the 200 of (5, 6], each change at its step's time, as on the virtual clock."""
    virtual = steps_played(speed=None)
    assert virtual[:3] == (
        [(3.0, "deprovisioned"), (5.0, "active")],
        [(400, (0, 399)), (200, (600, 799))],
        200,
    )
    assert steps_played(speed=10.0) == virtual
