"""How a check ends and how its evidence reads."""

from __future__ import annotations

import pytest

from simulator.contract.findings import (
    CheckStatus,
    Finding,
    answers,
    failed,
    ids_text,
    judged,
    latency,
    passed,
    plural,
    skipped,
)
from simulator.core.outcome import Outcome, OutcomeKind


def ok(latency: float = 0.1) -> Outcome:
    return Outcome(OutcomeKind.SUCCESS, 200, latency)


def test_a_finding_is_passed_failed_or_skipped_with_its_text() -> None:
    """Each constructor sets its status and keeps the evidence, or the reason, as given."""
    assert passed("fine") == Finding(CheckStatus.PASSED, "fine")
    assert failed("broken") == Finding(CheckStatus.FAILED, "broken")
    assert skipped("no token") == Finding(CheckStatus.SKIPPED, "no token")


def test_judged_passes_only_when_ok() -> None:
    """One evidence text, passed or failed by the condition."""
    assert judged(True, "x") == passed("x")
    assert judged(False, "x") == failed("x")


def test_statuses_read_as_their_json_values() -> None:
    """The JSON file and the JUnit classnames use the lower-case names."""
    assert [str(status) for status in CheckStatus] == ["passed", "failed", "skipped", "error"]


def test_answers_are_counted_in_order_of_first_appearance() -> None:
    """HTTP answers by status; answers without one by kind and detail."""
    timeout = Outcome(OutcomeKind.TIMEOUT, None, 20.0, "no answer in 20s")
    error = Outcome(OutcomeKind.HTTP_ERROR, 500, 0.2)
    assert answers([ok(), error, ok(), timeout]) == (
        "2 x HTTP 200, 1 x HTTP 500, 1 x timeout (no answer in 20s)"
    )


def test_latency_gives_p50_and_p99_against_the_limit() -> None:
    """Nearest-rank percentiles of the answers' latencies, to the millisecond."""
    outcomes = [ok(0.01 * n) for n in range(1, 101)]
    assert latency(outcomes, 20.0) == "latency p50 0.500s, p99 0.990s of the 20s limit"


@pytest.mark.parametrize(
    ("ids", "text"),
    [
        pytest.param(["a"], "a", id="one"),
        pytest.param(["a", "b", "c", "d", "e"], "a, b, c, d, e", id="five"),
        pytest.param([str(n) for n in range(8)], "0, 1, 2, 3, 4 and 3 more", id="eight"),
    ],
)
def test_ids_are_listed_up_to_five_then_counted(ids: list[str], text: str) -> None:
    """Evidence stays one readable line however many events are named."""
    assert ids_text(ids) == text


@pytest.mark.parametrize(
    ("count", "text"),
    [
        pytest.param(1, "1 delivery", id="one"),
        pytest.param(2, "2 deliveries", id="irregular"),
        pytest.param(0, "0 deliveries", id="none"),
    ],
)
def test_plurals_follow_the_count(count: int, text: str) -> None:
    """The singular for one, the given plural otherwise."""
    assert plural(count, "delivery", "deliveries") == text
    assert plural(count, "kind") == text.replace("deliveries", "kinds").replace("delivery", "kind")
