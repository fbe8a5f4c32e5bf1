"""The embedded endpoint as a run file writes it (simulator.runfile.endpointspec): the receiver's
Behaviour at the start of a run, and what an `endpoint:` step changes of it."""

from __future__ import annotations

import math

import pytest

from simulator.core.behaviour import Behaviour, Window
from simulator.errors import ScenarioError
from simulator.runfile.endpointspec import EndpointChange
from simulator.runfile.scenario import RunSpec, parse_run

FILE = "scenarios/bad.yaml"
BASE = """\
munchkinId: 123-ABC-456
subscriptions:
  - name: leads
"""


def run(text: str) -> RunSpec:
    return parse_run(BASE + text, file=FILE)


def step(keys: str) -> EndpointChange:
    change = run(f"timeline:\n  - at: 2m\n    endpoint: {keys}\n").timeline[0].endpoint
    assert isinstance(change, EndpointChange)
    return change


def test_receiver_without_behaviour_keys_starts_with_the_default() -> None:
    """A run file without a receiver section gives the default Behaviour."""
    assert run("").receiver.behaviour() == Behaviour()


def test_receiver_keys_other_than_behaviour_leave_it_alone() -> None:
    """The challenge and signature keys are the receiver's, not its Behaviour's."""
    receiver = run("receiver: {challenge: json, confirmValidation: true}\n").receiver
    assert receiver.behaviour() == Behaviour()


def test_a_step_keeps_the_keys_it_leaves_out() -> None:
    """A step changes the fields it names and keeps every other field's current value."""
    current = Behaviour(status=503, latency=2.0)
    assert step("{latency: 500ms}").applied_to(current, 120.0) == Behaviour(status=503, latency=0.5)


def test_a_step_null_keeps_the_value() -> None:
    """A key given as null is a key left out."""
    current = Behaviour(status=503)
    assert step("{status: null, hang: true}").applied_to(current, 120.0) == Behaviour(
        status=503, hang=True
    )


def test_a_challenge_step_leaves_the_behaviour_alone() -> None:
    """The challenge style is not part of the Behaviour: a step that only sets it changes none."""
    current = Behaviour(status=503)
    change = step("{challenge: refuse}")
    assert (change.applied_to(current, 120.0), change.challenge) == (current, "refuse")


def test_a_refuse_step_opens_a_window_at_its_time() -> None:
    """`refuse: true` refuses every connection from the step's time on."""
    behaviour = step("{refuse: true}").applied_to(Behaviour(), 120.0)
    assert behaviour.outages == (Window(start=120.0, end=math.inf),)


def test_a_refuse_false_step_closes_the_window_at_its_time() -> None:
    """`refuse: false` ends the open refusal at the step's time."""
    refusing = Behaviour(outages=(Window(start=60.0, end=math.inf),))
    behaviour = step("{refuse: false}").applied_to(refusing, 120.0)
    assert behaviour.outages == (Window(start=60.0, end=120.0),)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "receiver:\n  outages:\n    - {from: 1m, to: 2m, status: 502}\n",
            "scenarios/bad.yaml:6: receiver.outages[0].status: only applies with mode: status",
            id="status-without-mode-status",
        ),
        pytest.param(
            "receiver:\n  outages:\n    - {from: 1m, to: 2m, mode: down}\n",
            "scenarios/bad.yaml:6: receiver.outages[0].mode: "
            "must be 'refuse', 'status', 'hang' or 'reset' (got 'down')",
            id="unknown-mode",
        ),
    ],
)
def test_outage_mistakes_name_file_line_and_field(text: str, expected: str) -> None:
    """A mistake in an outage window names file, line and field."""
    with pytest.raises(ScenarioError) as caught:
        run(text)
    assert str(caught.value) == expected
