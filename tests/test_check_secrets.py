"""`check` without secrets: a CI job lints run files without their tokens. An unset variable is
a warning in `check`, located like the error `run` still raises for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.cli import main
from simulator.runfile.scenario import SecretNotSet, check_run, load_run

RUN = """munchkinId: 123-ABC-456
subscriptions:
  - name: leads
    endpoint: https://consumer.example.com/marketo
    auth: {type: token, tokenEnv: SIM_CHECK_TOKEN}
  - name: io
    endpoint: https://consumer.example.com/io
    auth:
      type: oauth
      tokenUrl: https://idp.example.com/token
      clientIdEnv: SIM_CHECK_ID
      clientSecretEnv: SIM_CHECK_SECRET
"""


@pytest.fixture
def run_file(tmp_path: Path) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(RUN, encoding="utf-8")
    return path


def test_check_warns_of_each_unset_variable_and_exits_0(
    run_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every unset variable is one warning with file, line and field; the file is ok."""
    for name in ("SIM_CHECK_TOKEN", "SIM_CHECK_ID", "SIM_CHECK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert main(["check", str(run_file)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{run_file}: ok (2 subscription(s): leads, io)\n"
    note = "(run needs it; check does not)"
    assert err.splitlines() == [
        f"marketo-sim: warning: {run_file}:5: subscriptions[0].auth.tokenEnv: environment "
        f"variable SIM_CHECK_TOKEN is not set: export SIM_CHECK_TOKEN=... and rerun {note}",
        f"marketo-sim: warning: {run_file}:11: subscriptions[1].auth.clientIdEnv: environment "
        f"variable SIM_CHECK_ID is not set: export SIM_CHECK_ID=... and rerun {note}",
        f"marketo-sim: warning: {run_file}:12: subscriptions[1].auth.clientSecretEnv: environment "
        f"variable SIM_CHECK_SECRET is not set: export SIM_CHECK_SECRET=... and rerun {note}",
    ]


def test_check_still_refuses_a_real_mistake_when_secrets_are_unset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing secret does not hide an error further down: exit 2 at that error."""
    path = tmp_path / "run.yaml"
    path.write_text(RUN + "    rate: -1\n", encoding="utf-8")
    assert main(["check", str(path)]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"marketo-sim: error: {path}:13: subscriptions[1].rate: must be between 0 and 100000 "
        "(got -1)"
    )


def test_run_still_refuses_an_unset_variable(run_file: Path) -> None:
    """Loading for a run (load_run) raises the first unset variable as an error."""
    with pytest.raises(SecretNotSet) as caught:
        load_run(run_file, environ={})
    assert (caught.value.line, caught.value.variable) == (5, "SIM_CHECK_TOKEN")


def test_check_run_with_every_secret_set_warns_of_nothing(run_file: Path) -> None:
    """With the variables set, check_run is load_run: the same spec, no warnings."""
    environ = {"SIM_CHECK_TOKEN": "t", "SIM_CHECK_ID": "i", "SIM_CHECK_SECRET": "s"}
    spec, unset = check_run(run_file, environ=environ)
    assert (spec, unset) == (load_run(run_file, environ=environ), [])
