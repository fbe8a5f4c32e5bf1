"""The README's commands work as written after `make run`: the command it names is where the
README says it is, and each literal `marketo-sim` command in its code blocks parses, naming files
that exist. (Synopsis lines, with `[options]` or placeholders such as FILE and URL, are left out.)
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest

from simulator.cli import _command_of, build_parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PLACEHOLDER = re.compile(r"\[|\.\.\.|\b(FILE|URL|NAME|TYPE|N|M|CMD|SECTION)\b")


def code_lines() -> list[str]:
    """The lines of the README's fenced code blocks, backslash continuations joined."""
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", README, re.M | re.S)
    text = "\n".join(blocks).replace("\\\n", " ")
    return [line.strip() for line in text.splitlines()]


def commands(prefix: str) -> list[str]:
    """The literal commands starting with `prefix`, comments and redirections cut off."""
    found = []
    for line in code_lines():
        if not line.startswith(prefix):
            continue
        line = re.split(r"\s+(?:#|>|&$)", line)[0]
        if not PLACEHOLDER.search(line):
            found.append(line)
    return found


def test_the_readme_says_where_make_run_puts_the_command() -> None:
    """`make run` installs the package into .venv, whose bin holds `marketo-sim` (the project's
    script); the README names both ways to reach it."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    assert "VENV := .venv" in makefile
    assert "uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[test]'" in (
        makefile
    )
    assert "marketo-sim" in scripts
    assert "`.venv/bin/marketo-sim ...`" in README
    assert "`source .venv/bin/activate`" in README


SIM_COMMANDS = commands("marketo-sim ")


def test_the_readme_has_literal_commands_to_check() -> None:
    """The examples below are found (a change to the README's layout must not empty them)."""
    assert len(SIM_COMMANDS) >= 5


@pytest.mark.parametrize("line", SIM_COMMANDS)
def test_a_readme_command_parses_and_names_files_that_exist(line: str) -> None:
    """The command line is accepted by `marketo-sim`'s parser; a scenario file it names exists."""
    argv = shlex.split(line)[1:]
    build_parser(only=_command_of(argv)).parse_args(argv)
    for word in argv:
        if word.endswith((".yaml", ".yml")) and "/" in word:
            assert (ROOT / word).is_file(), word


@pytest.mark.parametrize("line", commands("python examples/"))
def test_a_readme_example_script_exists(line: str) -> None:
    """`python examples/X.py ...` names a script that is there."""
    assert (ROOT / shlex.split(line)[1]).is_file()
