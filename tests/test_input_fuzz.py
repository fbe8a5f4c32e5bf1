"""Property: whatever a user's file holds, `check` answers with a valid run or exit 2 with a
location, never a traceback.

Valid run files and scenarios (scenarios/*.yaml) are mutated, as data (a value replaced by
something odd, a key removed or misspelled, a value wrapped in a list) and as text (characters
inserted, including control characters; a slice deleted; a line repeated), then given to the
same entry as `marketo-sim check`, in-process. The answer must be exit 0, or exit 2 with one
line `marketo-sim: error: FILE:LINE: ...` (a data mutation always has a line to blame; a text
mutation may break the file as a whole, so its line is optional). Examples are bounded and
derandomized so the test is quick and the same in every CI run.
"""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.cli import main

SCENARIOS = sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.yaml"))
TEXTS = {path.name: path.read_text(encoding="utf-8") for path in SCENARIOS}
FAST = settings(
    max_examples=60,
    deadline=None,  # the first examples import pydantic models; the total is what is bounded
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ODD_VALUES = st.one_of(
    st.integers(min_value=-(10**45), max_value=10**45),
    st.sampled_from([0, -1, 10**15, 10**40, 10**100, 2**63, 99999, 1e12, 1e308]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        [
            "1e12",
            "99999999999999999999d",
            "0s",
            "-1s",
            "http://u:p@x/",
            "ftp://x/",
            "http://127.0.0.1:99999/",
            "embedded",
            "all",
            "normal",
            "\x00",
            "5m",
        ]
    ),
    st.booleans(),
    st.none(),
    st.lists(st.integers(min_value=-5, max_value=5), max_size=3),
    st.dictionaries(st.text(max_size=6), st.integers(min_value=0, max_value=9), max_size=2),
    st.integers(min_value=1, max_value=60).map(lambda depth: _nested(depth)),
)


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path into `data`, the root excluded."""
    found = []
    items = (
        data.items()
        if isinstance(data, dict)
        else enumerate(data)
        if isinstance(data, list)
        else ()
    )
    for key, value in items:
        found.append((*prefix, key))
        found.extend(_paths(value, (*prefix, key)))
    return found


def _mutated(data: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if action == "replace":
        parent[key] = value
    elif action == "delete":
        del parent[key]
    elif action == "wrap":
        parent[key] = [parent[key]]
    elif action == "rename" and isinstance(parent, dict):
        parent[f"{key}x"] = parent.pop(key)
    return data


def _check(text: str) -> tuple[int, str, str]:
    """Exit code, the file's name, and stderr of `marketo-sim check` on `text`."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mutant.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["check", str(path)])
        return code, str(path), err.getvalue()


def _assert_valid_or_located(code: int, file: str, err: str, *, line_required: bool) -> None:
    assert code in (0, 2), err
    if code == 0:
        return
    errors = [line for line in err.splitlines() if line.startswith("marketo-sim: error:")]
    assert len(errors) == 1, err
    where = re.escape(file) + (r":\d+" if line_required else r"(:\d+)?")
    assert re.match(rf"marketo-sim: error: {where}: \S", errors[0]), errors[0]


@FAST
@given(
    name=st.sampled_from(sorted(TEXTS)),
    pick=st.integers(min_value=0),
    action=st.sampled_from(["replace", "replace", "replace", "delete", "wrap", "rename"]),
    value=ODD_VALUES,
)
def test_a_mutated_value_is_a_valid_run_or_a_located_error(
    name: str, pick: int, action: str, value: Any
) -> None:
    """A value replaced, a key deleted, renamed or wrapped: ok, or exit 2 at a file line."""
    data = yaml.safe_load(TEXTS[name])
    paths = _paths(data)
    mutant = _mutated(data, paths[pick % len(paths)], action, value)
    code, file, err = _check(yaml.safe_dump(mutant, allow_unicode=True))
    _assert_valid_or_located(code, file, err, line_required=True)


@FAST
@given(
    name=st.sampled_from(sorted(TEXTS)),
    where=st.integers(min_value=0),
    edit=st.sampled_from(["insert", "delete", "repeat-line"]),
    inserted=st.text(alphabet=st.characters(max_codepoint=0x2FF), min_size=1, max_size=8),
    length=st.integers(min_value=1, max_value=40),
)
def test_mutated_text_is_a_valid_run_or_a_located_error(
    name: str, where: int, edit: str, inserted: str, length: int
) -> None:
    """Characters inserted (control characters too), a slice deleted, a line repeated."""
    text = TEXTS[name]
    at = where % (len(text) + 1)
    if edit == "insert":
        text = text[:at] + inserted + text[at:]
    elif edit == "delete":
        text = text[:at] + text[at + length :]
    else:
        lines = text.splitlines(keepends=True)
        index = where % len(lines)
        text = "".join([*lines[: index + 1], lines[index], *lines[index + 1 :]])
    code, file, err = _check(text)
    _assert_valid_or_located(code, file, err, line_required=False)


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_every_shipped_scenario_passes_check(name: str) -> None:
    """The files the mutations start from are valid as they are."""
    code, _, err = _check(TEXTS[name])
    assert code == 0, err
