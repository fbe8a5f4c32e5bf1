"""The layout keeps its promises: a pure core that never touches I/O or real time."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "simulator"
PURE = (
    "catalog",
    "delivery",
    "errors",
    "events",
    "iostreams",
    "fields",
    "formats",
    "journal",
    "behaviour",
    "bodies",
    "received",
    "recording",
    "steps",
    "verdicts",
    "anomalies",
    "unknowns",
    "outcome",
    "queue",
    "registration",
    "scenario",
    "signing",
    "traffic",
    "world",
    "yamlsource",
)
IO_MODULES = {"asyncio", "aiohttp", "socket", "time", "looptime", "selectors", "ssl"}


def source(module: str) -> Path:
    (path,) = PACKAGE.rglob(f"{module}.py")
    return path


def imported_modules(module: str) -> set[str]:
    tree = ast.parse(source(module).read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_import_no_io_or_clock(module: str) -> None:
    """The delivery core, queue, traffic, catalog, events and formats stay sans-IO."""
    assert imported_modules(module) & IO_MODULES == set()


# bench.py measures wall time on purpose; clock.py is where real time is allowed in.
TIMED = sorted(
    str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if p.stem not in ("clock", "bench")
)


@pytest.mark.parametrize("module", TIMED)
def test_only_the_clock_module_reads_real_time(module: str) -> None:
    """Real time enters through clock.py alone."""
    source = (PACKAGE / module).read_text()
    assert "time.monotonic(" not in source
    assert "time.time(" not in source
    assert "datetime.now(" not in source
