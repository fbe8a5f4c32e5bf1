"""The run file's value types (simulator.runfile.fields): ranges and patterns with their own
messages and JSON Schema keywords, lists read as tuples, secrets from the environment, times with
a timezone. Durations are specified in test_scenario."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import pytest
from pydantic import ValidationError

from simulator.runfile.fields import (
    EnvSecret,
    Items,
    Pattern,
    Range,
    Secret,
    Spec,
    Timestamp,
    Unset,
    describe,
)


class Sample(Spec):
    """A run-file model with one field of each type under test."""

    size: Annotated[int, Range(1, 10)] = 1
    floor: Annotated[float, Range(0.5)] = 0.5
    name: Annotated[str, Pattern(r"[a-z]+", "must be lowercase letters")] = "a"
    sizes: Items[int] = ()
    token: EnvSecret | None = None
    start: Timestamp | None = None


def failure(data: dict[str, Any], **environ: str) -> tuple[tuple[int | str, ...], str]:
    """Where the validation of `data` fails, and the message of the value's own check."""
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate(data, context={"environ": environ})
    [error] = caught.value.errors()
    return error["loc"], str(error["ctx"]["error"])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param({"size": 0}, "must be between 1 and 10 (got 0)", id="below"),
        pytest.param({"size": 11}, "must be between 1 and 10 (got 11)", id="above"),
        pytest.param({"floor": 0.25}, "must be at least 0.5 (got 0.25)", id="no-upper-bound"),
        pytest.param({"name": "Ab"}, "must be lowercase letters (got 'Ab')", id="pattern"),
    ],
)
def test_checks_give_bounds_and_hints(data: dict[str, Any], message: str) -> None:
    """A value out of range gives both bounds; text that does not match gives the hint."""
    assert failure(data)[1] == message


def test_checks_give_their_json_schema_keywords() -> None:
    """Ranges become minimum and maximum, patterns an anchored pattern."""
    properties = Sample.model_json_schema(by_alias=True)["properties"]
    assert (properties["size"]["minimum"], properties["size"]["maximum"]) == (1, 10)
    assert "maximum" not in properties["floor"]
    assert properties["name"]["pattern"] == "^([a-z]+)$"


def test_a_yaml_list_is_read_as_a_tuple() -> None:
    """Lists from YAML become tuples, so that specs stay frozen."""
    assert Sample.model_validate({"sizes": [1, 2]}).sizes == (1, 2)


def test_a_secret_is_read_from_the_variable_named() -> None:
    """An EnvSecret field names a variable; validation reads it into a Secret."""
    spec = Sample.model_validate({"token": "SIM_TOKEN"}, context={"environ": {"SIM_TOKEN": "s3"}})
    assert spec.token is not None
    assert (spec.token.reveal(), spec.token.env) == ("s3", "SIM_TOKEN")


@pytest.mark.parametrize("environ", [{}, {"SIM_TOKEN": ""}], ids=["unset", "empty"])
def test_an_unset_or_empty_variable_is_unset(environ: dict[str, str]) -> None:
    """An unset variable, or an empty one, is an Unset error that says what to export."""
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate({"token": "SIM_TOKEN"}, context={"environ": environ})
    cause = caught.value.errors()[0]["ctx"]["error"]
    assert isinstance(cause, Unset)
    assert str(cause) == "environment variable SIM_TOKEN is not set: export SIM_TOKEN=... and rerun"


def test_a_secret_field_needs_a_variable_name() -> None:
    """Anything but a variable name is refused, without reading the environment."""
    assert failure({"token": "not a name"}) == (
        ("token",),
        "must name an environment variable (got 'not a name')",
    )


def test_a_secret_never_shows_its_value() -> None:
    """repr and str hide the value; equal values make equal secrets, whatever the variable."""
    secret = Secret("hunter2", env="SIM_TOKEN")
    assert repr(secret) == str(secret) == "Secret('****')"
    assert secret == Secret("hunter2")
    assert secret != Secret("hunter3")


def test_a_time_is_normalised_to_utc() -> None:
    """A time with an offset becomes the same instant in UTC."""
    spec = Sample.model_validate({"start": "2026-01-01T02:00:00+02:00"})
    assert spec.start == datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param(None, "nothing", id="none"),
        pytest.param(True, "true", id="bool"),
        pytest.param({"a": 1}, "a mapping", id="mapping"),
        pytest.param([1], "a list", id="list"),
        pytest.param("500", "'500'", id="text"),
        pytest.param(500, "500", id="number"),
    ],
)
def test_describe_names_a_value_as_the_file_has_it(value: object, text: str) -> None:
    """Messages name a value as it appears in YAML."""
    assert describe(value) == text
