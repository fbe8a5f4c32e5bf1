"""What a run keeps of each subscription: attempts folded into a tally as they arrive, state changes
kept at both ends with the rest counted, and the answers the verdicts need, exact without the
full list. The property tests check each answer against the list-based code the verdicts used
before (`old_*` below), on random runs."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from simulator.core.outcome import OutcomeKind
from simulator.core.records import AttemptRecord, StateChange
from simulator.core.tracks import KEPT_CHANGES, ChangeLog, Disorder, Tally, Track, Tracks

EPOCH = 1_767_225_600.0
STATES = ["active", "retrying", "paused", "disabled", "unstable"]


def push(
    at: float,
    seqs: tuple[int, int] | None = None,
    *,
    oldest: float | None = None,
    outcome: OutcomeKind = OutcomeKind.SUCCESS,
    kind: str = "push",
    latency: float = 0.5,
    sub: str = "leads",
) -> AttemptRecord:
    """A push of `seqs` at `at`, known `latency` later; its oldest event produced at `oldest`."""
    return AttemptRecord(
        at=at,
        wall=EPOCH + at,
        subscription=sub,
        message_id=f"m{at:g}",
        attempt=1,
        kind=kind,
        events=0 if seqs is None else seqs[1] - seqs[0] + 1,
        outcome=outcome,
        status=200 if outcome is OutcomeKind.SUCCESS else 503,
        latency=latency,
        state="active",
        oldest_event=oldest,
        seqs=seqs,
    )


def change(at: float, new: str, sub: str = "leads") -> StateChange:
    return StateChange(at, EPOCH + at, sub, "?", new, "test")


# -- the old, list-based answers -----------------------------------------------------------------


def old_acknowledged(attempts: list[AttemptRecord]) -> list[AttemptRecord]:
    return [a for a in attempts if a.outcome is OutcomeKind.SUCCESS and a.kind != "duplicate"]


def old_worst(attempts: list[AttemptRecord]) -> tuple[float, float | None]:
    worst, when = 0.0, None
    for a in old_acknowledged(attempts):
        if a.oldest_event is not None and (lag := a.done - a.oldest_event) > worst:
            worst, when = lag, a.done
    return worst, when


def old_disorder(attempts: list[AttemptRecord]) -> Disorder | None:
    highest = -1
    for a in sorted(old_acknowledged(attempts), key=lambda a: a.done):
        if a.seqs is None:
            continue
        low, high = a.seqs
        if low <= highest:
            return Disorder(highest, low, a.done)
        highest = high
    return None


def old_state_at(initial: str, changes: list[StateChange], t: float) -> str:
    timeline = [(0.0, initial), *((c.at, c.new) for c in changes)]
    state = timeline[0][1]
    for at, new in timeline:
        if at > t:
            break
        state = new
    return state


def old_reached(initial: str, changes: list[StateChange], wanted: str) -> float | None:
    timeline = [(0.0, initial), *((c.at, c.new) for c in changes)]
    return next((at for at, state in timeline if state == wanted), None)


# -- the tally -----------------------------------------------------------------------------------


def test_a_tally_counts_attempts_by_outcome_and_kind_with_their_first_and_last_times() -> None:
    """Three attempts: two pushes (one failed) and a retry; times 2 s to 8 s."""
    tally = Tally()
    for record in (
        push(2.0),
        push(4.0, outcome=OutcomeKind.HTTP_ERROR),
        push(8.0, kind="retry"),
    ):
        tally.add(record)
    assert (tally.attempts, tally.first_at, tally.last_at) == (3, 2.0, 8.0)
    assert tally.by_outcome == {"success": 2, "http_error": 1}
    assert tally.by_kind == {"push": 2, "retry": 1}


def test_the_worst_latency_is_the_longest_wait_of_an_acknowledged_event_and_when() -> None:
    """Oldest events produced at 1 s and 1.5 s, acknowledged at 2.5 s and 6.5 s: 5 s at 6.5 s."""
    tally = Tally()
    tally.add(push(2.0, (0, 9), oldest=1.0))
    tally.add(push(6.0, (10, 19), oldest=1.5))
    tally.add(push(7.0, (20, 29), oldest=0.0, outcome=OutcomeKind.TIMEOUT))  # not acknowledged
    assert (tally.worst_lag, tally.worst_at) == (5.0, 6.5)


def test_the_first_acknowledgement_out_of_order_is_kept_and_later_ones_change_nothing() -> None:
    """20-29 then 10-19: broken at 6.5 s, up to #29 before #10; a later disorder is ignored."""
    tally = Tally()
    for record in (
        push(2.0, (0, 9)),
        push(4.0, (20, 29)),
        push(6.0, (10, 19)),
        push(8.0, (0, 0)),
    ):
        tally.add(record)
    assert tally.disorder == Disorder(highest=29, low=10, at=6.5)


def test_a_duplicate_is_counted_but_judges_neither_latency_nor_order() -> None:
    """A resent batch of old events: one more attempt, nothing else changes."""
    tally = Tally()
    tally.add(push(2.0, (0, 9), oldest=1.0))
    tally.add(push(60.0, (0, 9), oldest=1.0, kind="duplicate"))
    assert (tally.attempts, tally.worst_lag, tally.disorder) == (2, 1.5, None)


def done_ordered_attempts() -> st.SearchStrategy[list[AttemptRecord]]:
    """Random attempts as the engine emits them: in the order their outcomes became known."""
    one = st.builds(
        lambda gap, latency, seqs, oldest, outcome, kind: (
            gap,
            latency,
            seqs,
            oldest,
            outcome,
            kind,
        ),
        st.floats(0.0, 30.0),
        st.floats(0.0, 25.0),
        st.one_of(st.none(), st.tuples(st.integers(0, 50), st.integers(0, 5))),
        st.one_of(st.none(), st.floats(0.0, 100.0)),
        st.sampled_from(list(OutcomeKind)),
        st.sampled_from(["push", "retry", "probe", "duplicate"]),
    )

    def build(
        drawn: list[tuple[float, float, tuple[int, int] | None, float | None, OutcomeKind, str]],
    ) -> list[AttemptRecord]:
        out, done = [], 0.0
        for gap, latency, seqs, oldest, outcome, kind in drawn:
            done += gap
            span = None if seqs is None else (seqs[0], seqs[0] + seqs[1])
            record = push(done - latency, span, oldest=oldest, outcome=outcome, kind=kind)
            out.append(replace(record, latency=latency, done_at=done))
        return out

    return st.lists(one, max_size=60).map(build)


@given(done_ordered_attempts())
def test_a_tally_of_random_attempts_gives_the_old_answers(attempts: list[AttemptRecord]) -> None:
    """Attempt count, worst latency and when, and the first disorder: as from the full list."""
    tally = Tally()
    for record in attempts:
        tally.add(record)
    assert tally.attempts == len(attempts)
    assert (tally.worst_lag, tally.worst_at) == old_worst(attempts)
    assert tally.disorder == old_disorder(attempts)


# -- the state changes ---------------------------------------------------------------------------


def test_a_change_log_keeps_the_first_and_last_changes_and_counts_the_rest() -> None:
    """Keep 2 of 7: the first two and the last two kept, three dropped, seven seen."""
    log = ChangeLog(keep=2)
    changes = [change(float(t), STATES[t % 2]) for t in range(7)]
    for c in changes:
        log.add(c)
    assert log.kept == [changes[0], changes[1], changes[5], changes[6]]
    assert (log.dropped, len(log)) == (3, 7)


def test_the_default_log_keeps_a_hundred_changes_at_each_end() -> None:
    """The documented bound: 200 changes at most, whatever the run."""
    log = ChangeLog()
    for t in range(1_000):
        log.add(change(float(t), STATES[t % 3]))
    assert (KEPT_CHANGES, len(log.kept), log.dropped) == (100, 200, 800)


def test_each_state_is_entered_first_at_its_first_change() -> None:
    """Retrying first at 1 s, paused at 2 s; later entries do not move them."""
    log = ChangeLog(keep=1)
    for at, new in ((1.0, "retrying"), (2.0, "paused"), (3.0, "retrying"), (4.0, "paused")):
        log.add(change(at, new))
    assert log.entered == {"retrying": 1.0, "paused": 2.0}


def test_a_probe_answers_the_state_at_its_time_though_the_changes_were_dropped() -> None:
    """Keep 1 of 5: the state at 2.5 s is still known from the probe: paused."""
    log = ChangeLog(keep=1, probes=[2.5, 10.0, -1.0])
    for at, new in ((1.0, "retrying"), (2.0, "paused"), (3.0, "active"), (4.0, "retrying")):
        log.add(change(at, new))
    assert log.dropped == 2
    assert log.state_at(2.5, "active") == "paused"
    assert log.state_at(10.0, "active") == "retrying"
    assert log.state_at(-1.0, "pending") == "pending"


@given(
    st.lists(st.tuples(st.floats(0.0, 100.0), st.sampled_from(STATES)), max_size=40),
    st.lists(st.floats(-5.0, 110.0), min_size=1, max_size=5),
    st.integers(1, 4),
    st.sampled_from(STATES),
)
def test_states_of_random_changes_give_the_old_answers(
    moves: list[tuple[float, str]], probes: list[float], keep: int, initial: str
) -> None:
    """The state held at each probe time and the first time each state was reached: as from the
    full list, in the order the changes came, however few were kept."""
    changes = [change(at, new) for at, new in moves]
    log = ChangeLog(keep=keep, probes=probes)
    for c in changes:
        log.add(c)
    for t in probes:
        assert log.state_at(t, initial) == old_state_at(initial, changes, t)
    for wanted in STATES:
        reached = 0.0 if initial == wanted else log.entered.get(wanted)
        assert reached == old_reached(initial, changes, wanted)
    assert len(log.kept) <= 2 * keep


# -- tracks --------------------------------------------------------------------------------------


def test_tracks_observe_records_into_one_track_per_subscription() -> None:
    """An observer: attempts and changes of two subscriptions, each in its own track."""
    tracks = Tracks(1200.0)
    tracks.attempt(push(2.0, sub="a"))
    tracks.attempt(push(4.0, sub="b"))
    tracks.state_changed(change(5.0, "retrying", sub="a"))
    assert list(tracks) == ["a", "b"]
    assert (tracks["a"].tally.attempts, len(tracks["a"].changes)) == (1, 1)
    assert list(tracks["b"].outcomes.buckets()) == [(2, {"success": 1})]


def test_viewing_a_subscription_without_records_reads_an_empty_track_and_keeps_none() -> None:
    """A subscription that never pushed has nothing to read; reading it adds no track."""
    tracks = Tracks()
    empty = tracks.view("quiet")
    assert isinstance(empty, Track)
    assert (empty.tally.attempts, len(empty.changes), len(tracks)) == (0, 0, 0)


def test_tracks_give_each_subscription_its_own_probes() -> None:
    """The probe of `a` at 3 s answers for `a`; `b` has none, so it reads its kept changes."""
    tracks = Tracks.of(
        changes=[change(1.0, "retrying", sub="a"), change(1.0, "paused", sub="b")],
        probes={"a": [3.0]},
    )
    assert tracks["a"].changes.state_at(3.0, "active") == "retrying"
    assert tracks["b"].changes.state_at(3.0, "active") == "paused"
