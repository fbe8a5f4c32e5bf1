"""The delivery machine, driven by hand: exact times, no clock, no I/O."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from expected import OUTAGE_0_TO_20_MIN

from simulator.core.delivery import (
    DAY,
    TRANSITIONS,
    AttemptKind,
    Backlog,
    Policy,
    Push,
    State,
    Subscription,
    Trigger,
)
from simulator.core.traffic import Burst, Traffic
from simulator.errors import InvalidTransition

MINUTE = 60.0


@dataclass(frozen=True)
class Attempt:
    at: float
    message_id: str
    kind: AttemptKind
    events: int
    ok: bool
    state: State
    seqs: tuple[int, ...]


def drive(
    machine: Subscription, until: float, ok: Callable[[float], bool] = lambda t: True
) -> list[Attempt]:
    """A pure stand-in for the engine: every push is answered instantly by `ok(now)`."""
    attempts: list[Attempt] = []
    now = 0.0
    while now <= until:
        push = machine.poll(now)
        if push is None:
            wake = machine.wakeup()
            if wake is None or wake > until:
                break
            now = wake
            continue
        seqs = tuple(seq for seq, _ in push.batch.items())
        success = ok(now)
        machine.record(push, ok=success, now=now)
        attempts.append(
            Attempt(
                now,
                push.batch.message_id,
                push.kind,
                push.batch.count,
                success,
                machine.state,
                seqs,
            )
        )
    return attempts


def down_between(start: float, end: float) -> Callable[[float], bool]:
    return lambda t: not (start <= t < end)


def test_pushes_every_two_seconds_with_full_batches() -> None:
    """At 250 events/s every 2 s push carries exactly 500 events."""
    machine = Subscription("s", traffic=Traffic(rate=250))
    attempts = drive(machine, until=10.0)
    assert [(a.at, a.events) for a in attempts] == [(t, 500) for t in (2.0, 4.0, 6.0, 8.0, 10.0)]


def test_a_slow_rate_pushes_what_is_queued() -> None:
    """At 40 events/s each 2 s push carries the 80 events produced since the last one."""
    machine = Subscription("s", traffic=Traffic(rate=40))
    attempts = drive(machine, until=6.0)
    assert [(a.at, a.events) for a in attempts] == [(2.0, 80), (4.0, 80), (6.0, 80)]


def test_batches_never_exceed_the_batch_size() -> None:
    """A 1,200-event burst at t=1 leaves in batches of 500, 500, 200."""
    policy = Policy(batch_size=500, backlog=Backlog.PACED)
    machine = Subscription("s", policy, Traffic(bursts=(Burst(count=1200, at=1.0),)))
    attempts = drive(machine, until=10.0)
    assert [(a.at, a.events) for a in attempts] == [(2.0, 500), (4.0, 500), (6.0, 200)]


def test_catch_up_sends_full_batches_back_to_back() -> None:
    """With catch-up, a backlog of full batches is sent without waiting for the next slot."""
    machine = Subscription("s", traffic=Traffic(bursts=(Burst(count=1200, at=1.0),)))
    attempts = drive(machine, until=10.0)
    assert [(a.at, a.events) for a in attempts] == [(2.0, 500), (2.0, 500), (4.0, 200)]


def test_an_idle_subscription_sleeps_until_the_next_event() -> None:
    """With nothing queued, the next wake-up is the first slot after the next event."""
    machine = Subscription("s", traffic=Traffic(bursts=(Burst(count=3, at=61.0),)))
    assert machine.poll(0.0) is None
    assert machine.wakeup() == 62.0


def test_retries_at_three_minute_intervals_then_pause_then_probe() -> None:
    """Endpoint down 0-20 min: retries at +3, +6, +9 min, paused, probes every 3 min, recovery."""
    machine = Subscription("s", traffic=Traffic(rate=10))
    attempts = drive(machine, until=21 * MINUTE + 2, ok=down_between(0, 20 * MINUTE))
    assert [(a.at, a.kind, a.state) for a in attempts[:8]] == OUTAGE_0_TO_20_MIN


def test_retries_carry_the_same_batch() -> None:
    """Every retry and probe repeats the first batch's messageId and events."""
    machine = Subscription("s", traffic=Traffic(rate=10))
    attempts = drive(machine, until=21 * MINUTE + 2, ok=down_between(0, 20 * MINUTE))
    first_eight = attempts[:8]
    assert {a.message_id for a in first_eight} == {first_eight[0].message_id}
    assert {a.seqs for a in first_eight} == {tuple(range(20))}


def test_backlog_after_recovery_is_delivered_in_order_with_nothing_lost() -> None:
    """Every produced event is acknowledged once, in production order."""
    machine = Subscription("s", traffic=Traffic(rate=10))
    attempts = drive(machine, until=40 * MINUTE, ok=down_between(0, 20 * MINUTE))
    delivered = [seq for a in attempts if a.ok for seq in a.seqs]
    assert delivered == list(range(len(delivered)))
    ledger = machine.ledger()
    assert ledger.acknowledged == len(delivered) == ledger.produced - ledger.queued
    assert ledger.balanced


def test_zero_retries_pauses_on_the_first_failure() -> None:
    """retries: 0 goes from ACTIVE straight to PAUSED."""
    machine = Subscription("s", Policy(retries=0), Traffic(rate=10))
    attempts = drive(machine, until=5 * MINUTE, ok=lambda t: False)
    assert [(a.at, a.state) for a in attempts] == [(2.0, State.PAUSED), (182.0, State.PAUSED)]


def test_events_older_than_retention_expire_and_are_never_sent() -> None:
    """An 8-day outage with 7-day retention: the first day's events expire, the rest arrive."""
    machine = Subscription("s", traffic=Traffic(rate=0.01))
    attempts = drive(machine, until=8 * DAY + 3600, ok=down_between(0, 8 * DAY))
    delivered = [seq for a in attempts if a.ok for seq in a.seqs]
    ledger = machine.ledger()
    assert ledger.expired > 0
    assert ledger.balanced
    assert delivered == list(range(ledger.expired, ledger.expired + len(delivered)))
    # Recovery is the probe at 691,300 s: events at 100 s .. 86,400 s are more than 7 days old;
    # the one at 86,500 s is exactly 7 days old and is still sent.
    assert next(a.at for a in attempts if a.ok) == 691_300.0
    assert ledger.expired == 864


def test_a_retried_batch_keeps_its_message_id_when_events_expire_from_it() -> None:
    """Expiry trims the held batch; the survivors keep the batch's messageId."""
    policy = Policy(retention=540.5)
    machine = Subscription("s", policy, Traffic(rate=1))
    attempts = drive(machine, until=600.0, ok=lambda t: False)
    held = [a for a in attempts if a.message_id == attempts[0].message_id]
    assert [a.events for a in held] == [2, 2, 2, 1]  # at 542 the event at t=1 is past retention


def test_deprovision_discards_the_queue_and_stops() -> None:
    """Deprovisioning counts queued and held events as discarded; nothing more is produced."""
    machine = Subscription("s", traffic=Traffic(rate=10))
    drive(machine, until=10 * MINUTE, ok=lambda t: False)
    machine.deprovision(10 * MINUTE)
    machine.advance(20 * MINUTE)
    ledger = machine.ledger()
    assert machine.state is State.DEPROVISIONED
    assert machine.wakeup() is None
    assert ledger.discarded == ledger.produced == 6000
    assert ledger.balanced


def test_reprovision_starts_empty_at_the_next_slot() -> None:
    """A re-provisioned subscription pushes only events produced after it came back."""
    machine = Subscription("s", traffic=Traffic(rate=10))
    machine.deprovision(0.0)
    machine.reprovision(61.0)
    attempts = drive(machine, until=64.0)
    assert [(a.at, a.events) for a in attempts if a.at >= 61.0] == [(62.0, 10), (64.0, 20)]


def test_recording_a_push_that_is_not_in_flight_is_refused() -> None:
    """A stale push cannot be recorded twice."""
    machine = Subscription("s", traffic=Traffic(rate=10))
    push = machine.poll(2.0)
    assert isinstance(push, Push)
    machine.record(push, ok=True, now=2.0)
    with pytest.raises(InvalidTransition, match="not in flight"):
        machine.record(push, ok=True, now=2.0)


def test_deprovisioning_twice_names_state_and_trigger() -> None:
    """An illegal move says which trigger and which state."""
    machine = Subscription("s")
    machine.deprovision(0.0)
    with pytest.raises(
        InvalidTransition, match="can't handle deprovision when state=deprovisioned"
    ):
        machine.deprovision(1.0)


def test_every_state_but_deprovisioned_can_be_deprovisioned() -> None:
    """The transition table lets every live state be deprovisioned."""
    live = [s for s in State if s is not State.DEPROVISIONED]
    assert all(TRANSITIONS[(s, Trigger.DEPROVISION)] is State.DEPROVISIONED for s in live)
