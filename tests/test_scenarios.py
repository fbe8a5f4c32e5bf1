"""The shipped scenario library: every file validates, keeps its promises, and replays the same.

Each scenario is replayed twice on the virtual clock, once for all the tests of that scenario,
so a failing expectation, an unbalanced ledger and a non-deterministic attempt log each show up
as their own test.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.core.recording import Recording, Verdict
from simulator.core.records import AttemptRecord
from simulator.core.timefmt import offset
from simulator.reports.console import Recorder
from simulator.runfile.scenario import load_run
from simulator.shell.clock import run_virtual
from simulator.timeline.replay import replay

SCENARIOS = sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.yaml"))

# The secrets the scenarios name (never real ones): the files say so in their header comments.
SECRETS = {
    "SIM_IDP_CLIENT_ID": "sim-client",  # oauth-token-expiry
    "SIM_IDP_CLIENT_SECRET": "sim-client-secret",  # oauth-token-expiry
    "SIM_GOOD_TOKEN": "sim-good-token",  # multi-subscription-isolation
    "SIM_STALE_TOKEN": "sim-stale-token",  # multi-subscription-isolation
}


@dataclass(frozen=True, slots=True)
class Played:
    path: Path
    expectations: int
    recordings: tuple[Recording, Recording]
    attempts: tuple[list[AttemptRecord], list[AttemptRecord]]


def _set_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(autouse=True)
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scenarios' environment variables, for the tests that load a file themselves."""
    _set_secrets(monkeypatch)


@pytest.fixture(scope="module", params=SCENARIOS, ids=[path.stem for path in SCENARIOS])
def played(request: pytest.FixtureRequest) -> Played:
    """One scenario replayed twice on the virtual clock, each run with its own Recorder."""
    path: Path = request.param
    with pytest.MonkeyPatch.context() as monkeypatch:
        _set_secrets(monkeypatch)
        run = load_run(path)
        recordings, attempts = [], []
        for _ in range(2):
            recorder = Recorder()
            recordings.append(run_virtual(replay(run, observers=[recorder])))
            attempts.append(recorder.attempts)
    return Played(path, len(run.expect), (recordings[0], recordings[1]), (attempts[0], attempts[1]))


def _explain(verdict: Verdict) -> str:
    at = "the end" if verdict.at is None else offset(verdict.at)
    return f"{verdict.name}: expected {verdict.expected}, observed {verdict.observed} at {at}"


def test_the_library_is_not_empty() -> None:
    """The scenarios directory ships YAML files for these tests to check."""
    assert SCENARIOS


@pytest.mark.parametrize("path", SCENARIOS, ids=[path.stem for path in SCENARIOS])
def test_marketo_sim_check_accepts_the_file(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`marketo-sim check FILE` validates the scenario with exit code 0."""
    assert main(["check", str(path)]) == 0, capsys.readouterr().err


def test_the_scenario_states_expectations(played: Played) -> None:
    """The file has an expect: block, so replaying it proves something."""
    assert played.expectations > 0
    assert played.recordings[0].verdicts


def test_every_expectation_passes(played: Played) -> None:
    """Every check of the expect: block passes on the virtual clock."""
    failed = [
        f"run {run}: {_explain(verdict)}"
        for run, recording in enumerate(played.recordings, start=1)
        for verdict in recording.verdicts
        if not verdict.passed
    ]
    assert not failed, "\n".join([f"{played.path.name}: {len(failed)} failed:", *failed])


def test_every_ledger_balances(played: Played) -> None:
    """produced = acknowledged + expired + discarded + dropped + queued + in flight, everywhere."""
    for recording in played.recordings:
        unbalanced = {n: ledger for n, ledger in recording.ledgers.items() if not ledger.balanced}
        assert not unbalanced, unbalanced


def test_the_replay_is_deterministic(played: Played) -> None:
    """The same file and seed give the same attempt log, record for record."""
    first, second = played.attempts
    assert first
    assert first == second
