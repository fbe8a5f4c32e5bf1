"""What one push attempt came to: success is any 2xx, and nothing else."""

import pytest

from simulator.core.outcome import Outcome, OutcomeKind, classify_status


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        pytest.param(200, OutcomeKind.SUCCESS, id="200"),
        pytest.param(204, OutcomeKind.SUCCESS, id="204"),
        pytest.param(299, OutcomeKind.SUCCESS, id="299"),
        pytest.param(199, OutcomeKind.HTTP_ERROR, id="199"),
        pytest.param(302, OutcomeKind.HTTP_ERROR, id="302"),
        pytest.param(401, OutcomeKind.HTTP_ERROR, id="401"),
        pytest.param(503, OutcomeKind.HTTP_ERROR, id="503"),
    ],
)
def test_only_a_2xx_status_succeeds(status: int, kind: OutcomeKind) -> None:
    """A redirect is not followed, so a 3xx fails like a 4xx or a 5xx."""
    assert classify_status(status) is kind


def test_only_a_success_is_ok() -> None:
    """ok is true for a success alone: an error status, a timeout, a reset or a missing token
    are failures."""
    assert {kind: Outcome(kind).ok for kind in OutcomeKind} == {
        OutcomeKind.SUCCESS: True,
        OutcomeKind.HTTP_ERROR: False,
        OutcomeKind.TIMEOUT: False,
        OutcomeKind.CONNECTION_ERROR: False,
        OutcomeKind.AUTH_ERROR: False,
    }


def test_an_outcome_without_an_answer_has_no_status_and_no_latency() -> None:
    """A failure before any answer: status None, latency 0, no detail."""
    outcome = Outcome(OutcomeKind.CONNECTION_ERROR)
    assert (outcome.status, outcome.latency, outcome.detail) == (None, 0.0, "")
