"""The delivery machine, driven by hand: exact times, no clock, no I/O."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from expected import OUTAGE_0_TO_20_MIN
from hypothesis import given
from hypothesis import strategies as st

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
    next_slot,
    seeded_offset,
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


# -- the phase of push slots -------------------------------------------------------------------


@given(
    seed=st.integers(min_value=0, max_value=2**63),
    name=st.text(min_size=1, max_size=64),
    interval=st.floats(min_value=0.001, max_value=3600.0),
)
def test_a_seeded_offset_is_whole_milliseconds_inside_the_interval(
    seed: int, name: str, interval: float
) -> None:
    """Whatever the seed, name and interval, the offset lies in [0, interval) on the ms grid."""
    offset = seeded_offset(seed, name, interval)
    assert 0.0 <= offset < interval
    assert round(offset * 1000) / 1000 == offset


def test_a_seeded_offset_is_a_function_of_the_seed_and_the_name() -> None:
    """Same seed and name, same offset; another seed or another name moves it."""
    assert seeded_offset(7, "leads", 2.0) == seeded_offset(7, "leads", 2.0) == 0.184
    assert seeded_offset(7, "web", 2.0) == 1.123
    assert seeded_offset(1, "leads", 2.0) == 0.111


def test_seeded_offsets_spread_a_thousand_subscriptions_over_the_interval() -> None:
    """1,000 subscriptions fall 91 to 110 into each fifth of the 2 s interval, not all at 0."""
    offsets = [seeded_offset(7, f"s{i}", 2.0) for i in range(1000)]
    per_fifth = [sum(1 for o in offsets if k * 0.4 <= o < (k + 1) * 0.4) for k in range(5)]
    assert per_fifth == [199, 192, 201, 213, 195]


@given(
    interval=st.sampled_from([0.5, 1.0, 2.0, 3.0]),
    offset_ms=st.integers(min_value=0, max_value=499),
    after=st.floats(min_value=0.0, max_value=10 * DAY),
    wait=st.floats(min_value=0.0, max_value=100.0),
)
def test_next_slot_is_the_first_slot_after_and_not_before(
    interval: float, offset_ms: int, after: float, wait: float
) -> None:
    """The slot lies on the grid offset + k * interval, after `after`, not before `not_before`,
    and the slot before it breaks one of those rules."""
    offset = offset_ms / 1000
    not_before = after + wait
    slot = next_slot(interval, after, not_before, offset)
    k = round((slot - offset) / interval)
    assert slot == offset + k * interval
    assert slot > after
    assert slot >= not_before - 1e-6
    previous = offset + (k - 1) * interval
    assert k == 0 or previous <= after + 1e-6 or previous < not_before - 1e-6


def test_slots_lie_at_the_offset_plus_whole_intervals() -> None:
    """With a 0.25 s offset at 250 events/s: pushes at 0.25 s (62 events), 2.25 s, 4.25 s."""
    machine = Subscription("s", Policy(slot_offset=0.25), Traffic(rate=250))
    attempts = drive(machine, until=5.0)
    assert [(a.at, a.events) for a in attempts] == [(0.25, 62), (2.25, 500), (4.25, 500)]


def test_retries_keep_their_three_minutes_from_an_offset_slot() -> None:
    """A push at 2.25 s fails: retries at 182.25, 362.25 and 542.25 s, then probes."""
    machine = Subscription("s", Policy(slot_offset=0.25), Traffic(rate=10))
    attempts = drive(machine, until=730.0, ok=down_between(2.0, 1000.0))
    assert [(a.at, a.kind) for a in attempts if not a.ok] == [
        (2.25, AttemptKind.PUSH),
        (182.25, AttemptKind.RETRY),
        (362.25, AttemptKind.RETRY),
        (542.25, AttemptKind.RETRY),
        (722.25, AttemptKind.PROBE),
    ]


@pytest.mark.parametrize("offset", [-0.5, 2.0, 3.0])
def test_an_offset_outside_the_interval_is_refused(offset: float) -> None:
    """The offset is a phase: it lies in [0, push_interval)."""
    with pytest.raises(ValueError, match=r"slot_offset must lie in \[0, 2\) s"):
        Policy(slot_offset=offset)


def test_a_time_a_few_ulps_past_the_loop_clock_counts_as_due() -> None:
    """Retries 3 min apart from 602.09 s: as floats add them, the third is due at
    1142.0900000000001, and due when a microsecond clock reads 1142.09."""
    machine = Subscription("s", Policy(slot_offset=0.09), Traffic(rate=2))
    first = machine.poll(602.09)
    assert first is not None
    machine.record(first, ok=False, now=602.09)
    for _ in range(2):
        retry = machine.poll(machine.next_attempt_at or 0.0)
        assert retry is not None
        machine.record(retry, ok=False, now=retry.at)
    assert machine.next_attempt_at == 1142.0900000000001
    assert machine.poll(1142.09) is not None


# -- the drain cap -----------------------------------------------------------------------------


def test_a_drain_cap_spaces_a_backlog_by_its_events() -> None:
    """900,000 events at t=0, capped at 1,000 events/s: 1,800 pushes of 500, one every 0.5 s."""
    burst = Traffic(bursts=(Burst(count=900_000, at=0.0),))
    machine = Subscription("s", Policy(max_drain_rate=1000), burst)
    attempts = drive(machine, until=1000.0)
    assert [(a.at, a.events) for a in attempts] == [(k * 0.5, 500) for k in range(1800)]


def test_a_one_hour_outage_at_250_per_second_drains_at_the_cap() -> None:
    """Down for 1 h at 250 events/s, capped at 1,000/s: the probe at 1h0m2s lands, then 2,399
    pushes of 500, one every 0.5 s from 1h0m2.5s to 1h20m1.5s; the 2 s slots take over at
    1h20m2s with 500 each (the 250/s still produced)."""
    machine = Subscription("s", Policy(max_drain_rate=1000), Traffic(rate=250))
    attempts = drive(machine, until=4806.0, ok=down_between(0.0, 3600.0))
    landed = [a for a in attempts if a.ok]
    assert (landed[0].at, landed[0].kind, landed[0].events) == (3602.0, AttemptKind.PROBE, 500)
    drain = [(a.at, a.events) for a in landed if 3602.0 < a.at < 4802.0]
    assert drain == [(3602.0 + 0.5 * j, 500) for j in range(1, 2400)]
    assert [(a.at, a.events) for a in landed if a.at >= 4802.0] == [
        (4802.0, 500),
        (4804.0, 500),
        (4806.0, 500),
    ]
    assert machine.ledger().balanced


def test_without_a_cap_the_same_backlog_leaves_at_one_instant() -> None:
    """The same outage uncapped: the probe and 1,800 catch-up pushes all at 1h0m2s."""
    machine = Subscription("s", Policy(), Traffic(rate=250))
    attempts = drive(machine, until=3604.0, ok=down_between(0.0, 3600.0))
    at_recovery = [a for a in attempts if a.at == 3602.0]
    assert len(at_recovery) == 1801
    assert {a.events for a in at_recovery} == {500}


def test_a_cap_below_the_slot_rate_spaces_slot_pushes_too() -> None:
    """At 250 events/s capped at 100/s, a push of 500 holds the next for 5 s: the push at 2 s
    waits for the slot at 8 s; by then a backlog has built, which leaves every 5 s (13 s, 18 s):
    100 events/s, never more."""
    machine = Subscription("s", Policy(max_drain_rate=100), Traffic(rate=250))
    attempts = drive(machine, until=21.0)
    assert [(a.at, a.events) for a in attempts] == [
        (2.0, 500),
        (8.0, 500),
        (13.0, 500),
        (18.0, 500),
    ]


@pytest.mark.parametrize("rate", [0.0, -1.0])
def test_a_drain_cap_must_be_above_zero(rate: float) -> None:
    """No events per second at all would never drain: refused."""
    with pytest.raises(ValueError, match="max_drain_rate must be above 0"):
        Policy(max_drain_rate=rate)
