"""YAML with positions (simulator.runfile.yamlsource): reading a document with its node tree, and
turning a validation failure into one ScenarioError that names file, line and field."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import Field, ValidationError

from simulator.errors import ScenarioError
from simulator.runfile.fields import EnvSecret, Items, Spec
from simulator.runfile.yamlsource import SecretNotSet, field_path, first_error, read_yaml

FILE = "runs/sample.yaml"


class Part(Spec):
    size: int
    mode: Literal["fast", "slow"] = "fast"


class Sample(Spec):
    """A small file format, to be read and located like a run file."""

    name: str
    part: Part | None = None
    parts: Items[Part] = ()
    token: EnvSecret | None = Field(default=None, alias="tokenEnv")


def error_of(text: str) -> ScenarioError:
    """The one ScenarioError that validating `text` as a Sample gives."""
    document = read_yaml(text, FILE)
    assert document is not None
    root, data = document
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate(data, by_alias=True, by_name=False, context={"environ": {}})
    return first_error(caught.value, root, FILE, Sample)


# --- reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "# only a comment\n"], ids=["empty", "comment"])
def test_a_file_without_a_document_reads_as_none(text: str) -> None:
    """An empty file, or one with only comments, has no document."""
    assert read_yaml(text, FILE) is None


def test_timestamps_stay_text() -> None:
    """A YAML timestamp is left as text, so the file's own checks see (and locate) it."""
    document = read_yaml("start: 2026-01-01T00:00:00Z\n", FILE)
    assert document is not None
    assert document[1] == {"start": "2026-01-01T00:00:00Z"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "name: a\npart:\n  size: 1\n  size: 2\n",
            "runs/sample.yaml:4: part.size: duplicate key (first at line 3)",
            id="duplicate-key",
        ),
        pytest.param(
            "base: &b {size: 1}\npart:\n  <<: *b\n",
            "runs/sample.yaml:3: part: merge keys (<<) are not supported: write the keys out",
            id="merge-key",
        ),
        pytest.param(
            "name: a\n1: b\n", "runs/sample.yaml:2: keys must be text (got '1')", id="number-key"
        ),
        pytest.param(
            "name: a\n  part: b\n",
            "runs/sample.yaml:2: invalid YAML: mapping values are not allowed here "
            "(check the indentation)",
            id="indentation",
        ),
        pytest.param(
            "name: a\n---\nname: b\n",
            "runs/sample.yaml:2: invalid YAML: expected a single document in the stream "
            "but found another document",
            id="two-documents",
        ),
    ],
)
def test_what_pyyaml_lets_through_is_refused_with_its_line(text: str, expected: str) -> None:
    """Repeated keys, merge keys, non-text keys and unreadable YAML are errors at their line."""
    with pytest.raises(ScenarioError) as caught:
        read_yaml(text, FILE)
    assert str(caught.value) == expected


# --- locating validation errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "name: a\nparts:\n  - size: 1\n  - size: x\n",
            "runs/sample.yaml:4: parts[1].size: must be an integer (got 'x')",
            id="list-item",
        ),
        pytest.param(
            "name: a\npart:\n  sise: 1\n",
            "runs/sample.yaml:3: part.sise: unknown key (did you mean 'size'?)",
            id="misspelled-before-missing",
        ),
        pytest.param(
            "name: a\npart:\n  mode: fast\n",
            "runs/sample.yaml:2: part.size: is required",
            id="missing-at-its-mapping",
        ),
        pytest.param(
            "name: a\npart: {size: 1, mode: quick}\n",
            "runs/sample.yaml:2: part.mode: must be 'fast' or 'slow' (got 'quick')",
            id="literal",
        ),
        pytest.param(
            "name: a\ncolour: red\n",
            "runs/sample.yaml:2: colour: unknown key (expected one of: name, part, parts, "
            "tokenEnv)",
            id="unknown-key",
        ),
        pytest.param(
            "name: a\ntoken: hunter2\n",
            "runs/sample.yaml:2: token: never put a secret in the file: export it and name the "
            "variable with tokenEnv",
            id="literal-secret",
        ),
        pytest.param(
            "part: {size: x}\nname: 1\n",
            "runs/sample.yaml:1: part.size: must be an integer (got 'x')",
            id="first-in-the-file-wins",
        ),
    ],
)
def test_each_failure_names_file_line_and_field(text: str, expected: str) -> None:
    """The reported error is the first in the file, at the line of the key or item it blames."""
    assert str(error_of(text)) == expected


def test_an_unset_secret_is_secret_not_set() -> None:
    """A variable that is not set is a SecretNotSet, at its key."""
    error = error_of("name: a\ntokenEnv: SIM_TOKEN\n")
    assert isinstance(error, SecretNotSet)
    assert (error.line, error.field) == (2, "tokenEnv")


@pytest.mark.parametrize(
    ("loc", "path"),
    [
        pytest.param((), "", id="root"),
        pytest.param(("seed",), "seed", id="key"),
        pytest.param(("subscriptions", 0, "batchSize"), "subscriptions[0].batchSize", id="item"),
        pytest.param((0, "name"), "[0].name", id="leading-index"),
    ],
)
def test_field_path_writes_a_location_as_messages_do(loc: tuple[str | int, ...], path: str) -> None:
    """Keys are joined with dots, list indexes in brackets."""
    assert field_path(loc) == path
