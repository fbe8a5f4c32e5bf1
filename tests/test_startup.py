"""Start-up stays short: `marketo-sim --version` and `check` load none of the heavy machinery.

These tests never time anything (timings live in `make bench`); they look at which modules a fresh
interpreter has loaded once the command is done, so a top-level import added to the CLI, or to
what `check` needs, cannot silently bring the start-up cost back.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simulator.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
# What a run needs and `--version` and `check` do not: the HTTP stack, the terminal, the virtual
# clock, signatures (and Faker, which nothing may load: the world's names are data).
HEAVY = ("aiohttp", "rich", "faker", "looptime", "cryptography")

# Runs the command line in this interpreter, then prints the heavy packages it loaded.
PROBE = """
import sys
from simulator.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
heavy = {heavy!r}
loaded = sorted(name for name in heavy if name in sys.modules)
print("loaded:", ",".join(loaded))
print("code:", code)
"""


def loaded_after(*argv: str, heavy: tuple[str, ...] = HEAVY) -> tuple[list[str], str]:
    """The `heavy` packages a fresh interpreter has loaded after `marketo-sim ARGV`, and its
    exit code as printed."""
    script = PROBE.format(heavy=heavy)
    done = subprocess.run(
        [sys.executable, "-c", script, *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
    loaded = lines["loaded"].split(",") if lines["loaded"] else []
    return loaded, lines["code"]


def test_version_loads_nothing_heavy() -> None:
    """`marketo-sim --version` prints the version without loading aiohttp, rich, faker, looptime
    or cryptography."""
    assert loaded_after("--version") == ([], "0")


def test_check_loads_only_the_run_file_loader() -> None:
    """`marketo-sim check FILE` validates with the run-file loader alone: none of aiohttp, rich,
    faker, looptime or cryptography."""
    assert loaded_after("check", str(QUICKSTART)) == ([], "0")


def test_a_run_to_a_real_endpoint_loads_no_server_signatures_or_virtual_clock(
    tmp_path: Path,
) -> None:
    """`marketo-sim run` of a legacy subscription pushing to a consumer of its own loads the
    HTTP client and the terminal, but not aiohttp's server (the embedded endpoint),
    cryptography (Adobe I/O signatures) or looptime (which imports pytest): they would only
    delay the first push. The consumer here is a closed port (so the run's default check fails,
    whatever the exit code says of that); the run is 1 simulated second at speed 100."""
    run_file = tmp_path / "run.yaml"
    run_file.write_text(
        "munchkinId: 123-ABC-456\nsubscriptions:\n"
        "  - name: leads\n    endpoint: http://127.0.0.1:9/\n    rate: 10\n"
    )
    heavy = ("aiohttp", "aiohttp.web", "cryptography", "looptime", "pytest", "rich")
    argv = ("run", str(run_file), "--speed", "100", "--duration", "1s")
    assert loaded_after(*argv, heavy=heavy)[0] == ["aiohttp", "rich"]


def test_the_probe_sees_what_a_command_loads() -> None:
    """The probe sees imports: `receive --help` does load aiohttp (its flags come from the
    receiver), so an empty list above means the modules were not loaded, not that the probe
    looks in the wrong place."""
    loaded, code = loaded_after("receive", "--help")
    assert "aiohttp" in loaded
    assert code == "0"


def test_building_a_world_loads_no_faker() -> None:
    """`events` builds a world from the name lists shipped as data: Faker is never imported, so
    a seed's events do not depend on which Faker version is installed."""
    loaded, code = loaded_after("events", "Visit Webpage")
    assert "faker" not in loaded
    assert code == "0"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_still_has_its_flags(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each command's flags are built only when it is named; `COMMAND --help` shows them all the
    same, so a flag builder that breaks is caught here rather than by a user."""
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    usage = capsys.readouterr().out
    assert usage.startswith(f"usage: marketo-sim {command}")
    assert "-h, --help" in usage


def test_the_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    """`marketo-sim --help` names every command with its one-line help."""
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    usage = capsys.readouterr().out
    for name, (text, _, _) in COMMANDS.items():
        assert name in usage
        assert text.split()[0] in usage


def test_the_first_word_names_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only the first word that is not an option names the command: a run file called `replay`
    is checked by `check`, not taken for the `replay` command."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "replay").write_text(QUICKSTART.read_text())
    assert main(["check", "replay"]) == 0
    assert capsys.readouterr().out == "replay: ok (1 subscription(s): web-activity)\n"
