"""What a played scenario leaves behind: a recording passes when every verdict does."""

from __future__ import annotations

from simulator.core.recording import Recording, Verdict

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
