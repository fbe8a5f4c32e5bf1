"""A push holds what was produced by its due time, however late the host polls.

On the virtual clock every poll happens at its slot; on a real or scaled clock it comes a few
milliseconds late (more at a high --speed), and the live status, the sampler and the journal read
the queue in between. None of that may change what is pushed: the pure machines first, with
exact expected batches, then one short run on a scaled clock against the virtual one.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.core.delivery import AttemptKind, Backlog, Policy, Subscription
from simulator.core.outcome import Outcome, OutcomeKind
from simulator.core.queue import RetentionQueue
from simulator.core.registration import IoDelivery, IoPolicy, Registration
from simulator.core.traffic import Burst, Traffic
from simulator.producer import Producer
from simulator.reports.console import Recorder
from simulator.runfile.scenario import parse_run
from simulator.shell.clock import ClockMode, run, run_virtual

OK = Outcome(OutcomeKind.SUCCESS, 200, 0.0)
REFUSED = Outcome(OutcomeKind.HTTP_ERROR, 503, 0.0)


# -- the legacy machine, by hand ---------------------------------------------------------------


def due_at_two(traffic: Traffic, policy: Policy | None = None) -> Subscription:
    """A subscription whose slot at 2 s is the next push (the slot at 0 s had nothing)."""
    machine = Subscription("s", policy or Policy(), traffic)
    assert machine.poll(0.0) is None
    assert machine.wakeup() == 2.0
    return machine


def test_a_late_poll_pushes_what_was_produced_by_the_slot() -> None:
    """10 events/s, slot at 2 s, polled at 2.37 s: the 20 events of (0, 2], not 23."""
    machine = due_at_two(Traffic(rate=10))
    push = machine.poll(2.37)
    assert push is not None
    assert (push.batch.count, push.batch.seq_range) == (20, (0, 19))


def test_an_event_exactly_at_the_slot_is_in_its_batch() -> None:
    """At 250 events/s event 500 happens at 2.0 s exactly, and a burst too: both go at 2 s."""
    traffic = Traffic(rate=250, bursts=(Burst(count=3, at=2.0),))
    machine = due_at_two(traffic, Policy(batch_size=1000))
    push = machine.poll(2.5)
    assert push is not None
    assert (push.batch.count, push.batch.seq_range) == (503, (0, 502))


def test_a_queue_read_past_the_slot_still_yields_the_slot_s_batch() -> None:
    """The live status filled the queue up to 2.9 s before the engine polled the 2 s slot."""
    machine = due_at_two(Traffic(rate=10))
    machine.advance(2.9)
    assert len(machine.queue) == 29
    push = machine.poll(3.0)
    assert push is not None
    assert (push.batch.count, push.batch.seq_range) == (20, (0, 19))
    assert len(machine.queue) == 10  # (2, 3] waits for the next slot


def test_a_burst_injected_after_the_slot_waits_for_the_next_push() -> None:
    """A live burst at 2.3 s, before the late poll of the 2 s slot: the slot pushes 20 events."""
    machine = due_at_two(Traffic(rate=10))
    machine.inject(5, 2.3)
    push = machine.poll(2.4)
    assert push is not None
    assert (push.batch.count, push.batch.seq_range) == (20, (0, 19))
    machine.record(push, ok=True, now=2.5)
    after = machine.poll(4.0)
    assert after is not None
    assert (after.batch.count, after.batch.seq_range) == (25, (20, 44))  # 3 + 5 + 17


def test_a_burst_injected_at_the_slot_goes_with_it() -> None:
    """An event at the slot's instant belongs to it, a live burst as much as the traffic's."""
    machine = due_at_two(Traffic(rate=10))
    machine.inject(5, 2.0)
    push = machine.poll(2.4)
    assert push is not None
    assert push.batch.count == 25


def test_slots_passed_with_nothing_produced_give_way_to_the_next_with_events() -> None:
    """An event every 2.5 s, slots every 2 s, the first poll at 7.5 s: the slot at 0 s had
    nothing, so the push is the 4 s slot's, the event of 2.5 s alone, as on the virtual clock."""
    machine = Subscription("s", Policy(), Traffic(rate=0.4))
    push = machine.poll(7.5)
    assert push is not None
    assert (push.batch.count, push.batch.seq_range) == (1, (0, 0))
    machine.record(push, ok=True, now=7.6)
    assert machine.wakeup() == 8.0  # the first slot after the answer: 5 s and 7.5 s go then


def test_what_was_produced_after_the_slot_does_not_make_a_full_batch() -> None:
    """Catch-up follows at once only when a full batch had been produced by the push's due
    time: events read in while the push was in flight wait for the next slot."""
    machine = due_at_two(Traffic(rate=10), Policy(batch_size=15))
    push = machine.poll(2.0)
    assert push is not None
    assert push.batch.count == 15  # 5 more were produced by 2 s
    machine.advance(3.5)  # the live status, while the push is in flight: 20 queued
    machine.record(push, ok=True, now=3.6)
    assert machine.wakeup() == 4.0  # the next slot, not a catch-up push at 3.6 s


def test_a_late_poll_does_not_push_the_capped_next_slot_out() -> None:
    """Drained at 10 events/s, a push of 20 events is followed no sooner than 2 s after its due
    time: polled 10 ms late, the next push is still at the next slot, not one later."""
    machine = due_at_two(Traffic(rate=10), Policy(max_drain_rate=10.0))
    push = machine.poll(2.01)
    assert push is not None
    assert push.batch.count == 20
    machine.record(push, ok=True, now=2.05)
    assert machine.wakeup() == 4.0


def test_a_retry_sends_the_held_batch_whatever_was_produced_since() -> None:
    """A retry polled late is the same batch: lateness never changes a held batch."""
    machine = due_at_two(Traffic(rate=10), Policy(retry_interval=10.0))
    push = machine.poll(2.0)
    assert push is not None
    machine.record(push, ok=False, now=2.1)
    retry = machine.poll(12.6)
    assert retry is not None
    assert (retry.kind, retry.batch) == (AttemptKind.RETRY, push.batch)


def test_an_event_outliving_its_retention_after_the_slot_is_still_pushed() -> None:
    """Retention 10 s, the 12 s slot polled at 12.5 s: the events of [2, 12] were still within
    retention at the slot, so all 101 go, as on time (not the 96 of [2.5, 12])."""
    machine = Subscription("s", Policy(push_interval=12.0, retention=10.0), Traffic(rate=10))
    assert machine.poll(0.0) is None
    machine.advance(12.3)  # the live status, before the engine got round to the slot
    push = machine.poll(12.5)
    assert push is not None
    assert (push.batch.count, push.batch.seq_range) == (101, (19, 119))
    assert machine.counters.expired == 19


# -- the legacy machine: late against on time, for any traffic ---------------------------------


LATE = 1e-6  # a host is on time or late by a microsecond at least: closer is one instant


@dataclass(frozen=True)
class Step:
    """One push's share of the run: how late it is polled, how long its answer takes after
    that, where in the lateness a status is drawn, and whether the consumer says yes."""

    late: float
    extra: float
    peek: float
    ok: bool


steps = st.lists(
    st.builds(
        Step,
        late=st.one_of(st.just(0.0), st.floats(LATE, 0.05), st.floats(LATE, 7.0)),
        extra=st.one_of(st.just(0.0), st.floats(0.0, 3.0)),
        peek=st.floats(0.0, 1.0),
        ok=st.booleans(),
    ),
    min_size=1,
    max_size=8,
)
bursts = st.lists(
    st.builds(
        Burst,
        count=st.integers(1, 700),
        at=st.one_of(  # at a slot, just after one, anywhere
            st.integers(0, 30).map(float),
            st.integers(0, 30).map(lambda k: k + 1e-6),
            st.floats(0.0, 60.0),
        ),
    ),
    max_size=3,
)
traffics = st.builds(
    Traffic,
    rate=st.one_of(st.sampled_from([0.0, 0.2, 10.0, 37.0, 250.0]), st.floats(0.05, 400.0)),
    bursts=bursts,
)
policies = st.builds(
    Policy,
    batch_size=st.integers(1, 600),
    retries=st.integers(0, 2),
    retry_interval=st.floats(0.5, 20.0),
    probe_interval=st.floats(0.5, 20.0),
    backlog=st.sampled_from(Backlog),
    slot_offset=st.sampled_from([0.0, 0.5, 1.25]),
    max_drain_rate=st.none() | st.floats(5.0, 500.0),
    retention=st.one_of(st.just(7 * 86_400.0), st.floats(1.0, 30.0)),
)
PUSHES = 120  # bounds on every drive
POLLS = 1000
UNTIL = 60.0


def on_time(machine: Subscription, plan: Sequence[Step]) -> tuple[list[object], list[float]]:
    """The virtual clock: each poll at its wake-up; the answer comes late + extra after it."""
    pushes: list[object] = []
    acks: list[float] = []
    now = 0.0
    for _ in range(POLLS):
        wake = machine.wakeup()
        if len(pushes) == PUSHES or wake is None or wake > UNTIL:
            break
        now = max(now, wake)
        push = machine.poll(now)
        if push is None:
            continue
        step = plan[len(pushes) % len(plan)]
        ack = now + step.late + step.extra
        pushes.append((push.kind, push.batch.message_id, push.batch.seq_range, step.ok))
        acks.append(ack)
        machine.record(push, ok=step.ok, now=ack)
        now = ack
    return pushes, acks


def polled_late(machine: Subscription, plan: Sequence[Step], acks: Sequence[float]) -> list[object]:
    """A loaded host: each poll `late` after its wake-up, a status drawn before it and another
    while the push is in flight, the answer known when the on-time run knew it."""
    pushes: list[object] = []
    now = 0.0
    for _ in range(POLLS):
        wake = machine.wakeup()
        if len(pushes) == PUSHES or wake is None or wake > UNTIL:
            break
        step = plan[len(pushes) % len(plan)]
        now = max(now, wake)
        machine.advance(now + step.peek * step.late)
        now += step.late
        push = machine.poll(now)
        if push is None:
            continue
        ack = max(now, acks[len(pushes)] if len(pushes) < len(acks) else now)
        machine.advance((now + ack) / 2)
        pushes.append((push.kind, push.batch.message_id, push.batch.seq_range, step.ok))
        machine.record(push, ok=step.ok, now=ack)
        now = ack
    return pushes


@settings(max_examples=150, deadline=None)
@given(traffic=traffics, policy=policies, plan=steps)
def test_polled_late_the_pushes_are_the_on_time_ones(
    traffic: Traffic, policy: Policy, plan: list[Step]
) -> None:
    """Whatever the traffic, the contract and the host's lateness (up to several slots), with
    the answers known at the same instants, the batches are the virtual clock's, in order (a
    late poll of the last slot before the end may push more: only those made on time count)."""
    expected, acks = on_time(Subscription("s", policy, traffic), plan)
    late = polled_late(Subscription("s", policy, traffic), plan, acks)
    assert late[: len(expected)] == expected


# -- the Adobe I/O registration ----------------------------------------------------------------


def verified(traffic: Traffic, policy: IoPolicy | None = None) -> Registration:
    machine = Registration("reg", policy or IoPolicy(), traffic)
    machine.verified(0.0)
    return machine


def ranges(deliveries: Sequence[IoDelivery]) -> list[tuple[int, tuple[int, int] | None]]:
    return [(d.retry, d.batch.seq_range) for d in deliveries]


def test_a_late_flush_sends_what_was_produced_by_its_instant() -> None:
    """10 events/s, flushes every second, polled at 1.45 s: the 10 events of (0, 1]."""
    machine = verified(Traffic(rate=10))
    assert ranges(machine.poll(0.0)) == []
    assert ranges(machine.poll(1.45)) == [(0, (0, 9))]


def test_flushes_passed_while_the_host_was_late_go_one_by_one() -> None:
    """Polled at 3.5 s with the 1 s flush due: each passed flush sends its own second."""
    machine = verified(Traffic(rate=10))
    machine.poll(0.0)
    assert ranges(machine.poll(3.5)) == [(0, (0, 9)), (0, (10, 19)), (0, (20, 29))]
    assert machine.wakeup() == 4.0


def test_a_journal_read_past_the_flush_still_yields_the_flush() -> None:
    """The journal brought the queue up to 1.9 s before the 1 s flush was polled."""
    machine = verified(Traffic(rate=10))
    machine.poll(0.0)
    machine.advance(1.9)
    assert ranges(machine.poll(1.95)) == [(0, (0, 9))]


def test_a_retry_due_after_the_flush_follows_it() -> None:
    """The 2 s flush and a retry due at 2.2 s, polled together at 2.3 s: the flush first, as on
    the virtual clock, so that batch ids are given in the same order."""
    policy = IoPolicy(retry_delays=(0.7,))
    machine = verified(Traffic(bursts=(Burst(count=2, at=0.5), Burst(count=3, at=1.5))), policy)
    assert machine.poll(0.0) == []
    (first,) = machine.poll(1.0)
    machine.record(first, REFUSED, 1.5)  # retried 0.7 s later
    assert ranges(machine.poll(2.3)) == [(0, (2, 4)), (1, (0, 1))]


def test_a_retry_due_before_the_flush_goes_first() -> None:
    """... and a retry due by the flush's instant goes before it, as it would have then."""
    policy = IoPolicy(retry_delays=(0.3,))
    machine = verified(Traffic(bursts=(Burst(count=2, at=0.5), Burst(count=3, at=1.5))), policy)
    machine.poll(0.0)
    (first,) = machine.poll(1.0)
    machine.record(first, REFUSED, 1.5)  # due again at 1.8 s
    assert ranges(machine.poll(2.3)) == [(1, (0, 1)), (0, (2, 4))]


def test_a_flush_waiting_for_room_goes_on_with_what_was_produced_when_room_came() -> None:
    """One delivery in flight at most: the rest of a flush leaves when a delivery ends, cut at
    that instant (the virtual clock polls then), not at the host's later poll."""
    policy = IoPolicy(max_events=5, max_in_flight=1)
    machine = verified(Traffic(rate=10), policy)
    machine.poll(0.0)
    (first,) = machine.poll(1.0)
    assert first.batch.seq_range == (0, 4)
    machine.record(first, OK, 1.2)  # room again
    (second,) = machine.poll(1.26)
    assert second.batch.seq_range == (5, 9)
    machine.record(second, OK, 1.3)  # room again: by 1.3 s, 13 events were produced
    (third,) = machine.poll(1.4)
    assert third.batch.seq_range == (10, 12)  # the event of 1.4 s waits for the 2 s flush
    assert machine.wakeup() == 2.0


def test_the_unstable_hold_ends_with_the_attempts_as_they_stood_then() -> None:
    """Unstable at 1 s, the 120 s hold ends at 121 s, when the failure of 1 s is still within
    the 100 s look-back: disabled then, even when the rules are applied late, at 200 s."""
    policy = IoPolicy(min_attempts=1, failure_ratio=0.5, window=100.0, unstable_hold=120.0)
    machine = verified(Traffic(bursts=(Burst(count=1, at=0.5),)), policy)
    machine.take_changes()
    (delivery,) = machine.poll(1.0)
    refused = Outcome(OutcomeKind.HTTP_ERROR, 404, 0.0)  # not retried
    assert [(c.new.value, c.at) for c in machine.record(delivery, refused, 1.0)] == [
        ("unstable", 1.0)
    ]
    machine.advance(200.0)
    assert [(c.new.value, c.at) for c in machine.take_changes()] == [("disabled", 121.0)]


def test_a_challenge_left_unopened_fails_at_its_deadline() -> None:
    """The validation URL's 5 minutes end at 310 s; looked at late, the change is still at 310 s."""
    machine = Registration("reg", IoPolicy(), Traffic())
    machine.awaiting_validation(10.0)
    machine.advance(400.0)
    assert [(c.new.value, c.at) for c in machine.take_changes()] == [("disabled", 310.0)]


@dataclass(frozen=True)
class IoStep:
    late: float
    extra: float
    peek: float


io_steps = st.lists(
    st.builds(
        IoStep,
        late=st.one_of(st.just(0.0), st.floats(LATE, 0.05), st.floats(LATE, 3.5)),
        extra=st.floats(0.0, 2.0),
        peek=st.floats(0.0, 1.0),
    ),
    min_size=1,
    max_size=8,
)
io_policies = st.builds(
    IoPolicy,
    batch=st.booleans(),
    max_events=st.integers(1, 50),
    max_in_flight=st.just(10_000),  # never full: room depends on when answers come
    flush_interval=st.sampled_from([0.25, 1.0, 3.0]),
)
DELIVERIES = 400


def io_drive(
    machine: Registration, plan: Sequence[IoStep], acks: Sequence[float] | None
) -> tuple[list[object], list[float]]:
    """Polls at each wake-up (on time when `acks` is None, else `late` after it, with a journal
    read before), each answer (a success) at the on-time run's instant."""
    sent: list[object] = []
    times: list[float] = []
    answers: list[tuple[float, int, IoDelivery]] = []
    now = 0.0
    for _ in range(POLLS):
        if len(sent) >= DELIVERIES:
            break
        wake = machine.wakeup()
        step = plan[len(sent) % len(plan)]
        poll_at = None if wake is None else max(now, wake) + (0 if acks is None else step.late)
        if answers and (poll_at is None or answers[0][0] <= poll_at):
            at, _, delivery = heapq.heappop(answers)
            now = max(now, at)
            machine.record(delivery, OK, now)
            continue
        if poll_at is None or wake is None or wake > UNTIL:
            break
        if acks is not None:
            machine.advance(max(now, poll_at - step.late * step.peek))
        now = poll_at
        for delivery in machine.poll(now):
            index = len(sent)
            sent.append((delivery.kind, delivery.batch.message_id, delivery.batch.seq_range))
            step = plan[index % len(plan)]
            if acks is None:
                at = now + step.late + step.extra
            else:  # past the bound of the on-time run, what is answered when no longer matters
                at = max(now, acks[index] if index < len(acks) else now)
            times.append(at)
            heapq.heappush(answers, (at, index, delivery))
    return sent[:DELIVERIES], times


@settings(max_examples=60, deadline=None)
@given(traffic=traffics, policy=io_policies, plan=io_steps)
def test_flushed_late_the_deliveries_are_the_on_time_ones(
    traffic: Traffic, policy: IoPolicy, plan: list[IoStep]
) -> None:
    """Whatever the traffic, the delivery settings and the host's lateness, with the answers
    known at the same instants, the deliveries are the virtual clock's, in order (a late poll
    of the last flush before the end may send more: only those the on-time run made count)."""
    expected, acks = io_drive(verified(traffic, policy), plan, None)
    assert io_drive(verified(traffic, policy), plan, acks)[0][: len(expected)] == expected


# -- the queue ---------------------------------------------------------------------------------


@given(
    rate=st.one_of(st.sampled_from([0.2, 3.0, 37.0, 250.0]), st.floats(0.05, 1000.0)),
    cut=st.one_of(st.integers(0, 50).map(float), st.floats(0.0, 50.0)),
    filled=st.floats(0.0, 60.0),
)
def test_a_cut_by_time_counts_what_a_fill_up_to_that_time_queues(
    rate: float, cut: float, filled: float
) -> None:
    """`waiting_by` without a mark falls back on the events' lines: it agrees with the traffic's
    own count, an event at the cut included."""
    traffic = Traffic(rate=rate, bursts=(Burst(count=4, at=cut), Burst(count=2, at=cut + 1e-3)))
    upto, whole = RetentionQueue(), RetentionQueue()
    upto.fill(traffic, cut)
    whole.fill(traffic, max(cut, filled) + 1.0)
    assert whole.waiting_by(cut) == len(upto)


def test_a_fill_past_the_due_time_marks_where_the_queue_stood() -> None:
    """Filled from 0.5 s to 3 s with a push due at 2 s: 20 events had been produced by then."""
    queue = RetentionQueue()
    traffic = Traffic(rate=10)
    queue.fill(traffic, 0.5, due=2.0)
    queue.fill(traffic, 3.0, due=2.0)
    assert (len(queue), queue.waiting_by(2.0), queue.waiting_by(3.0)) == (30, 20, 30)


# -- end to end, on a scaled clock -------------------------------------------------------------

BOTH_PROFILES = """\
munchkinId: 123-ABC-456
seed: 7
subscriptions:
  - name: legacy
    rate: 150                 # 300 events a slot: a poll 10 ms late would catch 1 or 2 more
    bursts: [{every: 3.3s, from: 0.7s, count: 11}]
    delivery: {phase: aligned}
  - name: webhook
    profile: adobe-io
    rate: 0
    bursts: [{every: 1s, from: 2.004s, count: 27}]   # 4 ms after each flush: 20 + 7 next one
"""


Pushes = dict[str, list[tuple[str, int, tuple[int, int] | None]]]


def pushes(*, speed: float | None, before: float = 14.0) -> Pushes:
    """Every attempt of a 14 s run begun before `before`: (kind, events, sequence numbers),
    in the order of their events."""
    recorder = Recorder()
    producer = Producer(parse_run(BOTH_PROFILES), virtual=speed is None, observers=[recorder])
    if speed is None:
        run_virtual(producer.play(14.0))
    else:
        run(producer.play(14.0), mode=ClockMode.SCALED, speed=speed)
    out: dict[str, list[tuple[str, int, tuple[int, int] | None]]] = {}
    for a in recorder.attempts:
        if a.at < before:
            out.setdefault(a.subscription, []).append((a.kind, a.events, a.seqs))
    return {
        name: sorted(attempts, key=lambda a: a[2] or (-1, -1)) for name, attempts in out.items()
    }


def test_a_scaled_run_pushes_the_virtual_run_s_batches() -> None:
    """At --speed 10 (1.4 s of real time) the host's lateness of a millisecond or more is a
    hundredth of a simulated second or more: the pushes still carry the virtual clock's events,
    both profiles, push by push. (A consumer slower than 200 real ms would move a slot: the
    answer's time is the contract's, not lateness.)"""
    virtual = pushes(speed=None, before=12.0)
    assert [count for _, count, _ in virtual["legacy"]][:3] == [311, 311, 300]
    # The scaled run's first ones, as many as the virtual run began by 12 s: which ones a
    # stalled host begins before 12 s depends on the stall, not what they carry.
    scaled = pushes(speed=10.0)
    assert {name: scaled[name][: len(made)] for name, made in virtual.items()} == virtual
