"""The layout keeps its promises where the tools cannot see.

The fence itself is the tools' job, run by `make lint` and `make test`: import-linter holds the
layers and keeps the pure rooms off asyncio, aiohttp, looptime, sockets, time and rich (the
contracts are in pyproject.toml), and ruff's banned-api rule (TID251) keeps real-clock reads in
simulator/shell/clock.py. These tests keep the rest honest: every room says what lives in it and
what it may import, no room escapes the fence, the pure rooms stay pure when Python actually
imports them, and the README's module map says what the tree holds.
"""

import re
import subprocess
import sys

import module_map
import pytest
from module_map import PACKAGE

ROOMS = module_map.rooms()
# Only what the simulator itself would bring in: the interpreter loads `time` at start-up, and
# pydantic's use of importlib.metadata loads `socket` and `selectors` (through email.utils), so
# those are left to import-linter, which sees our own imports of them.
LOOP_AND_TERMINAL = ("asyncio", "aiohttp", "looptime", "uvloop", "rich")


def layer_of(name: str) -> int:
    """The depth of `simulator.<name>` in the layers contract (0 is the top)."""
    (depth,) = (i for i, layer in enumerate(module_map.layers()) if name in layer)
    return depth


def pure_modules() -> list[str]:
    """Every module under the forbidden contract's source modules, as dotted names."""
    (contract,) = (c for c in module_map.contracts() if c["type"] == "forbidden")
    found: list[str] = []
    for source in contract["source_modules"]:
        path = PACKAGE.parent.joinpath(*source.split("."))
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
        found += [".".join(f.relative_to(PACKAGE.parent).with_suffix("").parts) for f in files]
    return found


@pytest.mark.parametrize("room", ROOMS)
def test_every_room_says_what_lives_in_it(room: str) -> None:
    """A room's docstring opens with a paragraph about what lives there."""
    text = module_map.docstring(PACKAGE / room / "__init__.py")
    assert module_map.paragraphs(text), f"simulator/{room}/__init__.py has no docstring"


@pytest.mark.parametrize("room", ROOMS)
def test_every_room_says_what_it_may_import(room: str) -> None:
    """A room's docstring has a line starting `May import:`."""
    text = module_map.docstring(PACKAGE / room / "__init__.py")
    assert module_map.may_import(text), f"simulator/{room}/__init__.py has no 'May import:' line"


@pytest.mark.parametrize("room", ROOMS)
def test_every_room_is_a_layer_of_the_fence(room: str) -> None:
    """A new room cannot escape the fence: it has a place in the layers contract.

    lint-imports says the same (the contract is exhaustive); this says it under plain pytest.
    """
    assert any(room in layer for layer in module_map.layers()), (
        f"add simulator.{room} to the layers contract in pyproject.toml"
    )


@pytest.mark.parametrize("room", ROOMS)
def test_what_a_room_may_import_lies_below_it(room: str) -> None:
    """A docstring cannot promise what the fence forbids: the rooms its `May import:` line names
    all sit in lower layers."""
    named = re.findall(
        r"`simulator\.(\w+)",
        module_map.may_import(module_map.docstring(PACKAGE / room / "__init__.py")),
    )
    above = [name for name in named if layer_of(name) <= layer_of(room)]
    assert above == []


@pytest.mark.parametrize("module", pure_modules())
def test_a_pure_module_loads_no_event_loop_or_terminal(module: str) -> None:
    """Importing a pure module loads none of asyncio, aiohttp, looptime or rich, in a fresh
    interpreter.

    import-linter follows import statements but not the package `__init__` Python runs first:
    a re-export added to `simulator/timeline/__init__.py` would make `verdicts` impure unseen.
    """
    probe = (
        f"import sys, {module}; "
        f"print(' '.join(m for m in {LOOP_AND_TERMINAL!r} if m in sys.modules))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=module_map.ROOT, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    loaded = run.stdout.split()
    assert loaded == []


def test_the_readme_module_map_is_current() -> None:
    """README.md's module map is what the package docstrings say today (`make map` redraws it)."""
    readme = module_map.README.read_text()
    assert module_map.block(readme) == module_map.render(), "run `make map` to redraw it"


def listed_in_map() -> set[str]:
    """The module files the map lists, as paths under simulator/ (`core/delivery.py`)."""
    listed: set[str] = set()
    folder = ""
    for line in module_map.render().splitlines():
        if heading := re.match(r"#### `simulator/(\w+/)?`", line):
            folder = heading.group(1) or ""
        elif item := re.match(r"- `(\w+\.py)`", line):
            listed.add(folder + item.group(1))
    return listed


def test_the_module_map_lists_every_module() -> None:
    """Every module file under simulator/ has its line in the map, in its room's section."""
    on_disk = {
        p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py") if p.stem != "__init__"
    }
    assert listed_in_map() == on_disk
