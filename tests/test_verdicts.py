"""The verdicts: each expectation judged against the facts of a run, as evidence (what was
expected, what was observed, when). Pure: the facts are built by hand."""

from __future__ import annotations

from simulator.core.delivery import Ledger
from simulator.core.outcome import OutcomeKind
from simulator.core.recording import Verdict
from simulator.core.records import AttemptRecord, StateChange
from simulator.core.tracks import Tracks
from simulator.runfile.steps import EndpointCounts, ExpectSpec
from simulator.timeline.verdicts import Facts, judge, states_over_time, watched

EPOCH = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def ledger(**counts: int) -> Ledger:
    fields = dict.fromkeys(
        ("acknowledged", "expired", "discarded", "dropped", "queued", "in_flight"), 0
    )
    fields |= counts
    return Ledger(produced=sum(fields.values()), **fields)


def change(at: float, old: str, new: str) -> StateChange:
    return StateChange(at, EPOCH + at, "leads", old, new, "test")


def acknowledged(at: float, seqs: tuple[int, int], oldest: float) -> AttemptRecord:
    """A push at `at`, answered 0.5 s later, of events `seqs` (the oldest produced at `oldest`)."""
    return AttemptRecord(
        at=at,
        wall=EPOCH + at,
        subscription="leads",
        message_id=f"m{at:g}",
        attempt=1,
        kind="push",
        events=seqs[1] - seqs[0] + 1,
        outcome=OutcomeKind.SUCCESS,
        status=200,
        latency=0.5,
        state="active",
        oldest_event=oldest,
        seqs=seqs,
    )


# Active from the start, retrying at 2 s, paused at 542 s, still paused at the end (900 s).
PAUSED = Facts(
    ended_at=900.0,
    initial_states={"leads": "active"},
    final_states={"leads": "paused"},
    ledgers={"leads": ledger(acknowledged=7, queued=3)},
    tracks=Tracks.of(
        changes=[change(2.0, "active", "retrying"), change(542.0, "retrying", "paused")]
    ),
    endpoint=None,
)


def test_states_over_time_start_with_the_initial_state() -> None:
    """(0, active), then each state entered, at its time."""
    assert states_over_time("leads", PAUSED) == [
        (0.0, "active"),
        (2.0, "retrying"),
        (542.0, "paused"),
    ]


def test_a_state_reached_in_time_passes_with_when_it_was_reached() -> None:
    """Paused by 10 minutes: reached at 9:02, passed."""
    verdicts = judge([ExpectSpec(subscription="leads", state="paused", by=600.0)], PAUSED)
    assert verdicts == [
        Verdict(
            "leads: paused by +00:10:00.000",
            True,
            "paused by +00:10:00.000",
            "reached at +00:09:02.000",
            600.0,
            "leads",
        )
    ]


def test_a_state_reached_too_late_fails_with_when_it_was_reached() -> None:
    """Paused by 5 minutes: reached at 9:02 only, failed."""
    (verdict,) = judge([ExpectSpec(subscription="leads", state="paused", by=300.0)], PAUSED)
    assert (verdict.passed, verdict.observed) == (False, "reached at +00:09:02.000")


def test_a_state_never_reached_says_so() -> None:
    """Deprovisioned by the end: never reached."""
    expect = ExpectSpec(subscription="leads", state="deprovisioned", by=900.0)
    (verdict,) = judge([expect], PAUSED)
    assert (verdict.passed, verdict.observed) == (False, "never reached")


def test_the_state_held_at_a_time_is_the_last_one_entered_by_then() -> None:
    """At 5 minutes the subscription was retrying, not paused."""
    (verdict,) = judge([ExpectSpec(subscription="leads", state="paused", at=300.0)], PAUSED)
    assert verdict == Verdict(
        "leads: paused at +00:05:00.000", False, "paused", "retrying", 300.0, "leads"
    )


def test_a_ledger_count_is_compared_as_written() -> None:
    """Acknowledged >= 10 with 7 acknowledged: failed, observed 7, judged at the end."""
    (verdict,) = judge(
        [ExpectSpec.model_validate({"subscription": "leads", "acknowledged": ">= 10"})], PAUSED
    )
    assert verdict == Verdict("leads: acknowledged >= 10", False, ">= 10", "7", 900.0, "leads")


def test_no_loss_names_what_was_lost_and_an_unbalanced_ledger() -> None:
    """3 expired and a ledger 2 events short: failed, with both in the evidence."""
    short = Ledger(
        produced=12, acknowledged=7, expired=3, discarded=0, dropped=0, queued=0, in_flight=0
    )
    facts = Facts(
        ended_at=900.0,
        initial_states={"leads": "active"},
        final_states={"leads": "active"},
        ledgers={"leads": short},
        tracks=Tracks(),
        endpoint=None,
    )
    (verdict,) = judge([ExpectSpec(subscription="leads", no_loss=True)], facts)
    assert (verdict.passed, verdict.observed) == (
        False,
        "expired 3, dropped 0, discarded 0; the ledger is off by 2",
    )


def test_events_acknowledged_out_of_order_fail_the_order_check_when_it_happened() -> None:
    """Events 20-29 acknowledged before 10-19: the order broke when 10-19 were acknowledged, at
    6.5 s, 5 s after the oldest of them was produced: later than the 4 s allowed."""
    attempts = [
        acknowledged(2.0, (0, 9), oldest=1.0),
        acknowledged(4.0, (20, 29), oldest=3.0),
        acknowledged(6.0, (10, 19), oldest=1.5),
    ]
    facts = Facts(
        ended_at=10.0,
        initial_states={"leads": "active"},
        final_states={"leads": "active"},
        ledgers={"leads": ledger(acknowledged=30)},
        tracks=Tracks.of(attempts),
        endpoint=None,
    )
    expect = ExpectSpec(subscription="leads", ordered=True, max_latency=4.0)
    latency, order = judge([expect], facts)
    assert latency == Verdict(
        "leads: latency within 4s",
        False,
        "<= 4s",
        "5s (worst, acknowledged at +00:00:06.500)",
        6.5,
        "leads",
    )
    assert order == Verdict(
        "leads: order kept",
        False,
        "events in production order",
        "events up to #29 arrived before #10",
        6.5,
        "leads",
    )


def test_an_endpoint_count_without_the_embedded_endpoint_is_skipped_with_the_reason() -> None:
    """Only the embedded endpoint counts what it received: against another endpoint the check
    is skipped (it fails nothing) and says why."""
    expect = ExpectSpec(endpoint=EndpointCounts.model_validate({"batches": 3}))
    assert judge([expect], PAUSED) == [
        Verdict(
            "endpoint batches 3",
            True,
            "3",
            "not judged",
            900.0,
            skipped=(
                "the embedded dev endpoint counts this; the subscriptions push to another "
                "endpoint (--endpoint), whose own records are the consumer's to check"
            ),
        )
    ]


def test_watched_names_the_times_the_state_checks_will_ask_about() -> None:
    """Only a state held `at` a time needs a probe; `by` and the end are answered anyway."""
    expectations = [
        ExpectSpec(subscription="leads", state="paused", at=300.0),
        ExpectSpec(subscription="leads", state="active"),
        ExpectSpec(subscription="io", state="active", at=60.0),
        ExpectSpec(subscription="leads", state="paused", by=600.0),
        ExpectSpec(subscription="leads", state="active", at=900.0),
    ]
    assert watched(expectations) == {"leads": [300.0, 900.0], "io": [60.0]}


def test_a_state_check_is_exact_though_most_changes_were_not_kept() -> None:
    """A subscription flapping every second for 1,000 s, two changes kept at each end: the state
    at 500.5 s (active, entered at 500 s) and the first time it retried (1 s) are still known."""
    held = ExpectSpec(subscription="leads", state="active", at=500.5)
    reached = ExpectSpec(subscription="leads", state="retrying", by=2.0)
    tracks = Tracks(1000.0, probes=watched([held]), keep=2)
    for t in range(1, 1001):
        tracks.state_changed(change(float(t), "?", "retrying" if t % 2 else "active"))
    facts = Facts(
        ended_at=1000.0,
        initial_states={"leads": "active"},
        final_states={"leads": "active"},
        ledgers={"leads": ledger()},
        tracks=tracks,
        endpoint=None,
    )
    assert tracks["leads"].changes.dropped == 996
    assert [(v.passed, v.observed) for v in judge([held, reached], facts)] == [
        (True, "active"),
        (True, "reached at +00:00:01.000"),
    ]
