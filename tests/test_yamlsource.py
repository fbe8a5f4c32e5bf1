"""YAML with positions (simulator.runfile.yamlsource): reading a document with its node tree, and
turning a validation failure into one ScenarioError that names file, line and field."""

from __future__ import annotations

from typing import Literal

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import Field, ValidationError

from simulator.errors import ScenarioError
from simulator.runfile import yamlsource
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


def outcome(text: str) -> object:
    """What `read_yaml` makes of `text`: the data and every node's tag and position, or the
    error's message."""
    try:
        document = read_yaml(text, FILE)
    except ScenarioError as exc:
        return str(exc)
    if document is None:
        return None
    root, data = document
    nodes, stack = [], [root]
    while stack:
        node = stack.pop()
        nodes.append((node.tag, node.start_mark.line, node.start_mark.column))
        if isinstance(node.value, list):
            for item in node.value:
                stack.extend(item if isinstance(item, tuple) else (item,))
    return data, nodes


# Texts of YAML's punctuation and pieces, mostly invalid; and valid YAML dumped from nested data.
PIECES = [*"ab1.:-#&*!,[]{}'\" \n\t|>?~@%", "- ", "key: ", "\n  ", "---\n", "&x ", "*x", "0x1F"]
YAMLISH = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)
DATA = st.recursive(
    st.none() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=8,
)
DUMPED = st.dictionaries(st.text(max_size=5), DATA, max_size=4).map(yaml.safe_dump)


@given(st.one_of(YAMLISH, DUMPED))
@settings(max_examples=400, deadline=None)
def test_libyaml_reads_every_text_as_the_pure_python_loader_does(text: str) -> None:
    """With libyaml's parser (the fast path) or without it, a text gives the same data, the same
    nodes at the same positions, or the same error message."""
    fast = outcome(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(yamlsource, "_FAST", False)
        pure = outcome(text)
    assert fast == pure


def test_a_plain_run_file_is_read_by_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run file without tabs, tags, block scalars or explicit keys never reaches the pure
    Python loader (so the test above compares two readers, not one with itself)."""

    def refuse(text: str) -> None:
        raise AssertionError("read by the pure Python loader")

    monkeypatch.setattr(yamlsource, "_Loader", refuse)
    text = "munchkinId: 123-ABC-456\nsubscriptions:\n  - name: a\n    endpoint: http://h/p?x=1\n"
    document = read_yaml(text, FILE)
    assert document is not None
    assert document[1]["subscriptions"][0]["endpoint"] == "http://h/p?x=1"
    assert document[0].value[1][1].value[0].start_mark.line == 2
