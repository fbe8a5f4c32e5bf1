"""What a played scenario leaves behind: a recording passes when every verdict does."""

from __future__ import annotations

from simulator.core.recording import Recording, Verdict, VerdictStatus, judged

HELD = Verdict("leads: active at the end", True, "active", "active")
MISSED = Verdict("leads: acknowledged >= 10", False, ">= 10", "7", 900.0, "leads")


def recording(*verdicts: Verdict) -> Recording:
    return Recording(
        title="scenarios/outage.yaml",
        munchkin_id="123-ABC-456",
        seed=1,
        start_wall=1_767_225_600.0,
        ended_at=900.0,
        subscriptions=["leads"],
        verdicts=list(verdicts),
    )


def test_a_recording_passes_when_every_verdict_passes() -> None:
    """Two checks that held: passed."""
    assert recording(HELD, HELD).passed


def test_one_failed_verdict_fails_the_recording() -> None:
    """One check held and one did not: failed."""
    assert not recording(HELD, MISSED).passed


def test_a_recording_without_expectations_passes() -> None:
    """Nothing was expected, so nothing failed."""
    assert recording().passed


def test_a_verdict_concerns_the_end_of_the_run_unless_it_names_a_time() -> None:
    """No time and no subscription unless given."""
    assert (HELD.at, HELD.subscription) == (None, None)


def test_a_fresh_recording_holds_no_samples_attempts_or_steps() -> None:
    """What the run fills in starts empty; the endpoint's counts are unknown."""
    fresh = recording()
    assert (fresh.samples, dict(fresh.tracks), fresh.steps) == ({}, {}, [])
    assert (fresh.ledgers, fresh.endpoint) == ({}, None)


SKIPPED = Verdict("leads: endpoint batches", True, "> 0", "-", skipped="not the embedded endpoint")
UNFINISHED = Verdict("leads: noLoss", False, "no loss", "interrupted by SIGINT", unfinished=True)


def test_each_verdict_has_one_status() -> None:
    """Passed, failed, skipped (it fails nothing) and error (interrupted before judged)."""
    statuses = [v.status for v in (HELD, MISSED, SKIPPED, UNFINISHED)]
    assert statuses == [
        VerdictStatus.PASSED,
        VerdictStatus.FAILED,
        VerdictStatus.SKIPPED,
        VerdictStatus.ERROR,
    ]


def test_the_verdict_line_counts_each_status() -> None:
    """Skipped and not-judged counts appear only when there are some."""
    assert judged([HELD.status, MISSED.status]) == "1 passed, 1 failed"
    line = judged(v.status for v in (HELD, HELD, SKIPPED, UNFINISHED))
    assert line == "2 passed, 0 failed, 1 skipped, 1 not judged"
