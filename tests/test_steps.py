"""What a scenario adds to a run file (simulator.runfile.steps): timeline steps that each do one
thing at one time, and expectations whose counts are exact or compared."""

from __future__ import annotations

import pytest

from simulator.errors import ScenarioError
from simulator.runfile.scenario import RunSpec, parse_run
from simulator.runfile.steps import ExpectSpec, StepSpec, holds, show

FILE = "scenarios/bad.yaml"
BASE = """\
munchkinId: 123-ABC-456
subscriptions:
  - name: leads
"""


def run(text: str) -> RunSpec:
    return parse_run(BASE + text, file=FILE)


def error_of(text: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        run(text)
    return str(caught.value)


# --- comparisons ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "comparison"),
    [
        pytest.param(5, ("==", 5), id="count"),
        pytest.param("5", ("==", 5), id="count-as-text"),
        pytest.param(">= 5", (">=", 5), id="at-least"),
        pytest.param("<3", ("<", 3), id="no-spaces"),
        pytest.param(" > 0 ", (">", 0), id="padded"),
    ],
)
def test_a_count_is_exact_or_compared(written: int | str, comparison: tuple[str, int]) -> None:
    """A bare count means exactly that many; `>=`, `<=`, `==`, `>` and `<` compare."""
    expect = ExpectSpec.model_validate({"subscription": "leads", "acknowledged": written})
    assert expect.acknowledged == comparison


@pytest.mark.parametrize(
    ("comparison", "value", "result"),
    [
        pytest.param(("==", 5), 5, True, id="equal"),
        pytest.param(("==", 5), 6, False, id="not-equal"),
        pytest.param((">=", 5), 5, True, id="at-least"),
        pytest.param(("<=", 5), 6, False, id="at-most"),
        pytest.param((">", 0), 0, False, id="more"),
        pytest.param(("<", 3), 2, True, id="fewer"),
    ],
)
def test_holds_compares_a_value(comparison: tuple[str, int], value: int, result: bool) -> None:
    """`holds` says whether a counted value meets the comparison."""
    assert holds(comparison, value) is result


@pytest.mark.parametrize(
    ("comparison", "text"),
    [pytest.param(("==", 5), "5", id="exact"), pytest.param((">=", 5), ">= 5", id="compared")],
)
def test_show_writes_a_comparison_as_the_file_would(comparison: tuple[str, int], text: str) -> None:
    """An exact count shows as the number alone, a comparison with its operator."""
    assert show(comparison) == text


@pytest.mark.parametrize("written", ["-1", "about 5", "=> 5"])
def test_a_bad_comparison_says_what_is_expected(written: str) -> None:
    """Anything but a count or a comparison is an error at its key."""
    text = f"expect:\n  - subscription: leads\n    acknowledged: '{written}'\n"
    assert error_of(text) == (
        "scenarios/bad.yaml:6: expect[0].acknowledged: must be a count or a comparison like "
        f"'>= 5' (got '{written}')"
    )


# --- timeline steps ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "action", "subscription"),
    [
        pytest.param({"at": 0, "endpoint": "normal"}, "endpoint", None, id="endpoint"),
        pytest.param(
            {"at": 0, "burst": {"subscription": "leads", "count": 5}}, "burst", "leads", id="burst"
        ),
        pytest.param({"at": 0, "deprovision": "leads"}, "deprovision", "leads", id="by-name"),
        pytest.param({"at": 0, "expire_tokens": True}, "expire_tokens", None, id="flag"),
    ],
)
def test_a_step_knows_its_action_and_subscription(
    step: dict[str, object], action: str, subscription: str | None
) -> None:
    """The step's one action, and the subscription it acts on (None for the endpoint's)."""
    spec = StepSpec.model_validate(step)
    assert (spec.action, spec.subscription) == (action, subscription)


@pytest.mark.parametrize(
    ("step", "label"),
    [
        pytest.param({"at": 0, "endpoint": {"status": 503}}, "endpoint: status=503", id="model"),
        pytest.param({"at": 0, "deprovision": "leads"}, "deprovision: leads", id="value"),
        pytest.param({"at": 0, "idp_failures": 3}, "idpFailures: 3", id="camel-case"),
        pytest.param(
            {"at": 0, "note": "the IdP goes down", "idp_failures": 3},
            "the IdP goes down",
            id="note",
        ),
    ],
)
def test_a_step_label_is_its_note_or_its_action(step: dict[str, object], label: str) -> None:
    """Logs show a step by its note, or by its action as the file writes it."""
    assert StepSpec.model_validate(step).label() == label


def test_steps_play_in_file_order_after_counts_from_the_previous() -> None:
    """`after` counts from the step before it in the file; the steps play in the file's order."""
    spec = run(
        "timeline:\n"
        "  - {at: 5m, endpoint: {hang: true}}\n"
        "  - {at: 10m, endpoint: normal}\n"
        "  - {after: 1m, endpoint: {status: 503}}\n"
    )
    assert [(at, step.label()) for at, step in spec.step_times()] == [
        (300.0, "endpoint: hang=True"),
        (600.0, "endpoint: normal"),
        (660.0, "endpoint: status=503"),
    ]


def test_a_step_before_the_previous_one_is_refused() -> None:
    """A step whose `at` is earlier than the step above it is a slip: refused at its `at`."""
    with pytest.raises(ScenarioError) as caught:
        run(
            "timeline:\n"
            "  - {at: 10m, endpoint: normal}\n"
            "  - {after: 1m, endpoint: {status: 503}}\n"
            "  - {at: 5m, endpoint: {hang: true}}\n"
        )
    assert str(caught.value) == (
        "scenarios/bad.yaml:7: timeline[2].at: is before the previous step (660s): "
        "list steps in time order"
    )


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        pytest.param(
            "{at: 1m, after: 1m, endpoint: normal}",
            "scenarios/bad.yaml:5: timeline[0]: needs either at (a time) or after (since the "
            "previous step)",
            id="at-and-after",
        ),
        pytest.param(
            "{at: 1m}",
            "scenarios/bad.yaml:5: timeline[0]: needs one action: endpoint, burst, rate, "
            "expireTokens, idpFailures, rotateKeys, deprovision, reprovision, enable, anomaly, "
            "backfill",
            id="no-action",
        ),
        pytest.param(
            "{at: 1m, endpoint: normal, expireTokens: true}",
            "scenarios/bad.yaml:5: timeline[0].expireTokens: does one thing per step: split it",
            id="two-actions",
        ),
        pytest.param(
            "{at: 1m, anomaly: {subscription: leads, kind: lost}}",
            "scenarios/bad.yaml:5: timeline[0].anomaly.kind: must be 'duplicate', 'reorder', "
            "'unknown-activity-type' or 'unknown-field' (got 'lost')",
            id="unknown-anomaly",
        ),
    ],
)
def test_step_mistakes_name_file_line_and_field(step: str, expected: str) -> None:
    """A step needs one time and does exactly one known thing."""
    assert error_of(f"timeline:\n  - {step}\n") == expected


# --- expectations --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expect", "expected"),
    [
        pytest.param(
            "{subscription: leads}",
            "scenarios/bad.yaml:5: expect[0]: needs at least one check (state, acknowledged, "
            "noLoss, ...)",
            id="no-check",
        ),
        pytest.param(
            "{subscription: leads, noLoss: true, by: 5m}",
            "scenarios/bad.yaml:5: expect[0].by: only applies with state",
            id="by-without-state",
        ),
        pytest.param(
            "{subscription: leads, state: paused, by: 5m, at: 6m}",
            "scenarios/bad.yaml:5: expect[0].at: give by (reached by then) or at (held then), "
            "not both",
            id="by-and-at",
        ),
        pytest.param(
            "{noLoss: true}",
            "scenarios/bad.yaml:5: expect[0].noLoss: needs subscription: which one to check",
            id="no-subscription",
        ),
    ],
)
def test_expectation_mistakes_name_file_line_and_field(expect: str, expected: str) -> None:
    """An expectation checks something, times only a state, and names its subscription."""
    assert error_of(f"expect:\n  - {expect}\n") == expected


def test_endpoint_counts_need_no_subscription() -> None:
    """What the embedded endpoint counted is checked without naming a subscription."""
    expect = run("expect:\n  - endpoint: {duplicates: 0, events: '>= 10'}\n").expect[0]
    assert expect.endpoint is not None
    assert (expect.endpoint.duplicates, expect.endpoint.events) == (("==", 0), (">=", 10))
