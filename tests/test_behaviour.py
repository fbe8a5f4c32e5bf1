"""The dev endpoint's Behaviour (simulator.core.behaviour): its checks, its one conversion from
every form that describes one (the run file, the endpoint step, the receive flags and the JSON of
PUT /_sim/behaviour), refuse windows opened at run time, the lists it defines, its description.

The forms are checked on examples (hypothesis is not among the test dependencies).
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from typing import Any

import pytest

from simulator.core.behaviour import (
    BEHAVIOUR_FIELDS,
    CHALLENGE_STYLES,
    DEFAULT_BEHAVIOUR,
    OUTAGE_MODES,
    SCALARS,
    Behaviour,
    Window,
    behaviour_from_json,
    behaviour_to_json,
    changed,
    check_challenge_style,
    describe_behaviour,
    refusing,
)
from simulator.endpoint.flags import add_arguments, behaviour_from_args
from simulator.errors import ConfigError
from simulator.payloads.anomalies import KINDS
from simulator.runfile.endpointspec import EndpointChange, ReceiverSpec
from simulator.runfile.scenario import parse_run, run_json_schema


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"start": 10.0, "end": 10.0}, id="empty"),
        pytest.param({"start": -1.0, "end": 10.0}, id="negative"),
        pytest.param({"start": 0.0, "end": 1.0, "mode": "explode"}, id="mode"),
        pytest.param({"start": 0.0, "end": 1.0, "status": 99}, id="status"),
    ],
)
def test_window_rejects_bad_values(kwargs: dict[str, Any]) -> None:
    """A Window needs 0 <= start < end, a known mode and an HTTP status."""
    with pytest.raises(ConfigError):
        Window(**kwargs)


# --- one behaviour, four forms -------------------------------------------------------------------

BASE = """\
munchkinId: 123-ABC-456
subscriptions:
  - name: leads
"""


@dataclass(frozen=True)
class Forms:
    """One behaviour as each form writes it: the run file's `receiver:` keys (the endpoint step
    takes the same keys, but no outages), the receive flags, and the JSON of a PUT."""

    behaviour: Behaviour
    file: dict[str, Any]
    flags: str
    json: dict[str, Any]


CASES = {
    "default": Forms(Behaviour(), {}, "", {}),
    "failing-slowly": Forms(
        Behaviour(status=201, failure_rate=0.25, failure_status=500, latency=19.5),
        {"status": 201, "failureRate": 0.25, "failureStatus": 500, "latency": "19.5s"},
        "--status 201 --failure-rate 0.25 --failure-status 500 --latency 19.5",
        {"status": 201, "failure_rate": 0.25, "failure_status": 500, "latency": 19.5},
    ),
    "always-failing": Forms(
        Behaviour(failure_rate=1.0),
        {"failureRate": 1},
        "--failure-rate 1",
        {"failure_rate": 1},
    ),
    "hanging": Forms(Behaviour(hang=True), {"hang": True}, "--hang", {"hang": True}),
    "resetting": Forms(Behaviour(reset=True), {"reset": True}, "--reset", {"reset": True}),
    "outages": Forms(
        Behaviour(
            outages=(
                Window(start=60.0, end=1260.0),
                Window(start=1800.0, end=1860.0, mode="status", status=502),
                Window(start=3600.0, end=3660.0, mode="hang"),
            )
        ),
        {
            "outages": [
                {"from": "1m", "to": "21m"},
                {"from": "30m", "to": "31m", "mode": "status", "status": 502},
                {"from": "1h", "to": "61m", "mode": "hang"},
            ]
        },
        "--outage 60:1260 --outage 1800:1860:502 --outage 3600:3660:hang",
        {
            "outages": [
                {"start": 60, "end": 1260},
                {"start": 1800, "end": 1860, "mode": "status", "status": 502},
                {"start": 3600, "end": 3660, "mode": "hang"},
            ]
        },
    ),
}
STEPPABLE = {name: forms for name, forms in CASES.items() if not forms.behaviour.outages}


def from_file(keys: dict[str, Any]) -> Behaviour:
    return parse_run(BASE + f"receiver: {json.dumps(keys)}\n").receiver.behaviour()


def from_step(keys: dict[str, Any]) -> Behaviour:
    run = parse_run(BASE + f"timeline:\n  - at: 0\n    endpoint: {json.dumps(keys)}\n")
    step = run.timeline[0].endpoint
    assert isinstance(step, EndpointChange)
    return step.applied_to(DEFAULT_BEHAVIOUR, 0.0)


def from_flags(flags: str) -> Behaviour:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return behaviour_from_args(parser.parse_args(flags.split()))


@pytest.mark.parametrize("forms", CASES.values(), ids=CASES.keys())
def test_the_run_file_form_converts_to_the_behaviour(forms: Forms) -> None:
    """A run file's `receiver:` keys give the Behaviour the receiver starts with."""
    assert from_file(forms.file) == forms.behaviour


@pytest.mark.parametrize("forms", STEPPABLE.values(), ids=STEPPABLE.keys())
def test_the_step_form_converts_to_the_behaviour(forms: Forms) -> None:
    """An `endpoint:` step with the same keys, applied to the default, gives the same Behaviour."""
    assert from_step(forms.file) == forms.behaviour


@pytest.mark.parametrize("forms", CASES.values(), ids=CASES.keys())
def test_the_flags_form_converts_to_the_behaviour(forms: Forms) -> None:
    """The same behaviour in `marketo-sim receive` flags gives the same Behaviour."""
    assert from_flags(forms.flags) == forms.behaviour


@pytest.mark.parametrize("forms", CASES.values(), ids=CASES.keys())
def test_the_json_form_converts_to_the_behaviour(forms: Forms) -> None:
    """The same behaviour as the JSON of PUT /_sim/behaviour, over the default, gives the same
    Behaviour."""
    assert behaviour_from_json(forms.json, DEFAULT_BEHAVIOUR) == forms.behaviour


@pytest.mark.parametrize("forms", CASES.values(), ids=CASES.keys())
def test_the_json_form_round_trips(forms: Forms) -> None:
    """What GET /_sim/behaviour shows of a Behaviour, PUT back, is the same Behaviour."""
    shown = json.loads(json.dumps(behaviour_to_json(forms.behaviour)))
    assert behaviour_from_json(shown, Behaviour(hang=True)) == forms.behaviour


def test_every_field_is_written_by_the_file_and_the_flags() -> None:
    """The run file's receiver and the receive flags each name every Behaviour field, and the
    endpoint step every one but the outage windows."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    flags = vars(parser.parse_args([]))
    assert set(BEHAVIOUR_FIELDS) <= set(ReceiverSpec.model_fields) & set(flags)
    assert set(SCALARS) <= set(EndpointChange.model_fields)
    assert [name for name in BEHAVIOUR_FIELDS if name not in SCALARS] == ["outages"]


# --- the one conversion --------------------------------------------------------------------------


def test_changed_replaces_only_the_named_fields() -> None:
    """`changed` keeps every field it is not given."""
    base = Behaviour(status=503, latency=2.0)
    assert changed(base, {"latency": 0.5}) == Behaviour(status=503, latency=0.5)


def test_changed_takes_windows_or_their_fields() -> None:
    """Outages may be given as Windows or as mappings of a Window's fields."""
    given = {"outages": (Window(start=0.0, end=1.0), {"start": 5, "end": 6, "mode": "reset"})}
    expected = (Window(start=0.0, end=1.0), Window(start=5.0, end=6.0, mode="reset"))
    assert changed(DEFAULT_BEHAVIOUR, given).outages == expected


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"colour": "red"}, "flags: unknown field 'colour'", id="unknown"),
        pytest.param({"status": 200.0}, "flags.status: expected int, got 200.0", id="float-int"),
        pytest.param({"latency": "1s"}, "flags.latency: expected float, got '1s'", id="text"),
        pytest.param({"reset": 0}, "flags.reset: expected bool, got 0", id="int-bool"),
        pytest.param({"outages": 5}, "flags.outages: expected a list", id="outages"),
        pytest.param(
            {"outages": [{"start": 0, "end": 1, "when": 2}]},
            "flags.outages[0]: unknown field 'when'",
            id="window-field",
        ),
        pytest.param({"status": 150}, "status: 150 is not a final HTTP status (200-599)", id="1xx"),
    ],
)
def test_changed_names_the_form_and_field_it_rejects(changes: dict[str, Any], message: str) -> None:
    """A bad name, type or value is a ConfigError naming the form (`where`) and the field."""
    with pytest.raises(ConfigError) as caught:
        changed(DEFAULT_BEHAVIOUR, changes, where="flags")
    assert str(caught.value) == message


def test_json_that_is_not_an_object_is_rejected() -> None:
    """PUT /_sim/behaviour needs a JSON object."""
    with pytest.raises(ConfigError, match=r"^behaviour: expected a JSON object$"):
        behaviour_from_json([{"status": 500}], DEFAULT_BEHAVIOUR)


# --- refuse windows opened and closed at run time ------------------------------------------------


def test_refusing_opens_an_endless_refuse_window_now() -> None:
    """Refusing from `now` adds a refuse window from now on, after the existing ones."""
    earlier = Window(start=0.0, end=10.0, mode="hang")
    behaviour = refusing(Behaviour(outages=(earlier,)), 30.0, on=True)
    assert behaviour.outages == (earlier, Window(start=30.0, end=math.inf))


def test_refusing_off_closes_the_open_windows_now() -> None:
    """Ending the refusal ends every open-ended window at `now` and keeps the closed ones."""
    closed = Window(start=0.0, end=10.0)
    behaviour = Behaviour(outages=(closed, Window(start=30.0, end=math.inf)))
    assert refusing(behaviour, 90.0, on=False).outages == (closed, Window(start=30.0, end=90.0))


def test_refusing_off_at_its_start_drops_the_window() -> None:
    """A refusal ended the instant it began leaves no window at all."""
    behaviour = refusing(DEFAULT_BEHAVIOUR, 30.0, on=True)
    assert refusing(behaviour, 30.0, on=False) == DEFAULT_BEHAVIOUR


# --- the lists, defined once ---------------------------------------------------------------------


def test_the_run_file_offers_exactly_the_outage_modes() -> None:
    """The JSON Schema of an outage's mode lists the modes a Window takes, in order."""
    outage = run_json_schema()["$defs"]["OutageSpec"]["properties"]
    assert outage["mode"]["enum"] == ["refuse", "status", "hang", "reset"] == list(OUTAGE_MODES)


def test_every_form_offers_exactly_the_challenge_styles() -> None:
    """The run file, the endpoint step and the --challenge flag offer the same styles."""
    defs = run_json_schema()["$defs"]
    receiver = defs["ReceiverSpec"]["properties"]["challenge"]["enum"]
    step = defs["EndpointChange"]["properties"]["challenge"]["anyOf"][0]["enum"]
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert receiver == step == list(CHALLENGE_STYLES) == ["text", "json", "refuse"]
    assert "--challenge {text,json,refuse}" in parser.format_usage()


def test_the_anomaly_step_offers_exactly_the_anomaly_kinds() -> None:
    """The anomaly step takes the kinds the payloads know how to force."""
    step = run_json_schema()["$defs"]["AnomalyStep"]["properties"]["kind"]["enum"]
    assert step == list(KINDS) == ["duplicate", "reorder", "unknown-activity-type", "unknown-field"]


@pytest.mark.parametrize("style", ["text", "json", "refuse"])
def test_check_challenge_style_accepts_each_style(style: str) -> None:
    """A known style comes back as itself."""
    assert check_challenge_style(style) == style


def test_check_challenge_style_names_the_styles() -> None:
    """An unknown style is a ConfigError that lists the known ones."""
    with pytest.raises(ConfigError) as caught:
        check_challenge_style("ignore")
    assert str(caught.value) == "challenge_style 'ignore': expected one of text, json, refuse"


# --- the one-line description --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("behaviour", "text"),
    [
        pytest.param(Behaviour(), "always 200", id="default"),
        pytest.param(Behaviour(latency=19.5, hang=True), "latency=19.5 hang=True", id="fields"),
        pytest.param(
            Behaviour(outages=(Window(start=60, end=1260), Window(start=0, end=5, status=502))),
            "outage=60-1260s:refuse outage=0-5s:refuse",
            id="refuse-windows",
        ),
        pytest.param(
            Behaviour(status=201, outages=(Window(start=0, end=5, mode="status", status=502),)),
            "status=201 outage=0-5s:502",
            id="status-window",
        ),
    ],
)
def test_describe_behaviour_names_what_differs_from_the_default(
    behaviour: Behaviour, text: str
) -> None:
    """The description lists the fields that differ from the default, then each outage."""
    assert describe_behaviour(behaviour) == text
