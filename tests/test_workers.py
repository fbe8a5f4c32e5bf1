"""`--workers N`: N shard processes on this machine, their outputs merged into the files asked
for: the same ledger as the unsharded run; signals stop every worker cleanly."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fleetruns import FLEET, Runs, ledgers

from simulator.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def whole(fleet_runs: tuple[Path, Runs]) -> tuple[list[bytes], dict[str, Any]]:
    """The fleet's unsharded run (conftest): its attempt log's lines and --json document."""
    return fleet_runs[1]["whole"]


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    tmp = tmp_path_factory.mktemp("workers")
    (tmp / "fleet.yaml").write_text(FLEET)
    argv = ["replay", str(tmp / "fleet.yaml"), "--workers", "2"]
    files = ["--log", str(tmp / "a.jsonl"), "--json", str(tmp / "r.json")]
    return main([*argv, *files, "--junit", str(tmp / "j.xml")]), tmp


def test_two_workers_give_the_unsharded_ledger(
    whole: tuple[list[bytes], dict[str, Any]], workers: tuple[int, Path]
) -> None:
    """The merged --json of two worker processes has the whole run's ledgers and totals."""
    code, tmp = workers
    merged = orjson.loads((tmp / "r.json").read_bytes())
    assert code == 0
    assert ledgers(merged) == ledgers(whole[1])
    assert merged["totals"] == whole[1]["totals"]


def test_two_workers_log_the_unsharded_attempts(
    whole: tuple[list[bytes], dict[str, Any]], workers: tuple[int, Path]
) -> None:
    """The merged attempt log holds the whole run's lines."""
    _, tmp = workers
    assert Counter((tmp / "a.jsonl").read_bytes().splitlines()) == Counter(whole[0])


def test_two_workers_write_one_junit(workers: tuple[int, Path]) -> None:
    """The merged JUnit has the three checks, the endpoint's judged on the summed counters."""
    _, tmp = workers
    assert 'tests="3" failures="0" errors="0" skipped="0"' in (tmp / "j.xml").read_text()


def test_two_workers_judge_every_check_as_the_unsharded_run(
    whole: tuple[list[bytes], dict[str, Any]], workers: tuple[int, Path]
) -> None:
    """The parent has the run file: the endpoint check each worker skipped is judged on the
    summed counters, so the merged verdicts are the unsharded run's."""
    _, tmp = workers
    merged = orjson.loads((tmp / "r.json").read_bytes())
    assert merged["verdicts"] == whole[1]["verdicts"]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--workers", "0"], "argument --workers: "),
        (["--workers", "x"], "argument --workers: "),
        (["--workers", "2", "--shard", "1/2"], "not allowed with argument"),
    ],
    ids=["zero", "not-a-number", "with-shard"],
)
def test_bad_workers_flags_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    """Exit 2 naming the flag; nothing started."""
    (tmp_path / "fleet.yaml").write_text(FLEET)
    with pytest.raises(SystemExit) as exited:
        main(["replay", str(tmp_path / "fleet.yaml"), *flags])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_workers_refuse_an_html_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--report draws one process's run: with --workers it is exit 2, before any worker starts."""
    (tmp_path / "fleet.yaml").write_text(FLEET)
    argv = ["replay", str(tmp_path / "fleet.yaml"), "--workers", "2", "--report", "r.html"]
    assert main(argv) == 2
    assert "--report draws one process's run" in capsys.readouterr().err


@contextlib.contextmanager
def pushing_workers(tmp_path: Path, *flags: str) -> Iterator[subprocess.Popen[bytes]]:
    """`replay --workers 2` of a 30-day FLEET in a child process, handed over once its status
    shows both workers pushing."""
    (tmp_path / "long.yaml").write_text(FLEET.replace("duration: 6m", "duration: 30d"))
    argv = [sys.executable, "-m", "simulator", "replay", "long.yaml", "--workers", "2", *flags]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
        argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    ) as parent:
        assert parent.stdout is not None
        for _ in range(50):  # the status lines: wait until both workers are pushing
            line = parent.stdout.readline()
            if b"totals: subscriptions 6 " in line or not line:
                break
        yield parent


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_every_worker_and_merges_what_they_wrote(
    tmp_path: Path, signum: signal.Signals
) -> None:
    """A signal to the parent reaches both workers once: each stops and writes its files, the
    parent merges them (the interruption marked) and exits 128 + the signal."""
    with pushing_workers(tmp_path, "--json", "r.json", "--log", "a.jsonl") as parent:
        parent.send_signal(signum)
        rest = parent.communicate(timeout=60)[0]
    assert parent.returncode == 128 + signum, rest.decode()
    merged = orjson.loads((tmp_path / "r.json").read_bytes())
    assert (merged["interrupted"], merged["exitCode"]) == (signum.name, 128 + signum)
    assert merged["totals"]["subscriptions"] == 6
    assert merged["totals"]["ledger"]["balanced"] is True
    last = (tmp_path / "a.jsonl").read_bytes().splitlines()[-1]
    assert orjson.loads(last)["kind"] == "interrupted"


def test_the_merged_status_is_the_live_views_totals_over_every_worker() -> None:
    """Two workers' snapshots make one totals line, as the live view draws it: states counted,
    ledgers and outcomes summed, at the slowest worker's time."""
    from simulator.core.delivery import Ledger
    from simulator.fleet.workers import Snapshot, combined

    acked = Ledger(
        produced=10, acknowledged=8, expired=0, discarded=0, dropped=0, queued=2, in_flight=0
    )
    stuck = Ledger(
        produced=5, acknowledged=0, expired=0, discarded=0, dropped=0, queued=4, in_flight=1
    )
    one = Snapshot("1/2", 130.0, {"active": 2}, [acked, acked], {"success": 4})
    two = Snapshot("2/2", 360.0, {"retrying": 1}, [stuck], {"http_error": 3}, done=True)
    assert combined([one, two]) == (
        "+00:02:10.000 totals: subscriptions 3 (2 active, 1 retrying); events produced 25, "
        "acknowledged 16, queued 9, expired 0, discarded 0, dropped 0; "
        "attempts 7 (4 success, 3 http_error); workers 2 (1 done)"
    )


def test_two_workers_share_one_metrics_endpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --metrics-port, the parent serves every worker's metrics and the workers serve none:
    no worker fails on a port another took, and the run ends as without metrics."""
    (tmp_path / "fleet.yaml").write_text(FLEET)
    argv = ["replay", str(tmp_path / "fleet.yaml"), "--workers", "2", "--metrics-port", "0"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "metrics: http://127.0.0.1:" in out
    assert "ended with exit code" not in out


def _workers_of(parent: int) -> list[int]:
    """The worker processes `parent` spawned (not multiprocessing's resource tracker)."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [
        int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


def _gone(pid: int) -> bool:
    """Ended: no such process, or a zombie waiting for a parent that is not us."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except (FileNotFoundError, ProcessLookupError):
        return True


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_workers_stop_when_their_parent_is_killed(tmp_path: Path) -> None:
    """A parent killed with SIGKILL passes no signal on; each worker sees it is orphaned within
    about a second and stops as on SIGTERM, instead of pushing on alone for 30 days."""
    with pushing_workers(tmp_path) as parent:
        workers = _workers_of(parent.pid)
        assert len(workers) == 2
        parent.kill()
        parent.communicate(timeout=10)
    deadline = threading.Event()
    for _ in range(100):  # at most 10 s: a look each second, then the worker's own clean-up
        if all(_gone(pid) for pid in workers):
            break
        deadline.wait(0.1)
    assert all(_gone(pid) for pid in workers)


def test_verbose_workers_pass_on_every_attempt_line_marked_with_its_shard(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`-v` with `--workers`: each worker's attempt lines reach the parent's output, `[1/2] `
    or `[2/2] ` before each, as many as the merged attempt log has attempts."""
    (tmp_path / "fleet.yaml").write_text(FLEET)
    argv = ["replay", str(tmp_path / "fleet.yaml"), "--workers", "2", "-v"]
    assert main([*argv, "--log", str(tmp_path / "a.jsonl")]) == 0
    out = capsys.readouterr().out
    echoed = re.findall(r"^\[([12])/2\] \+\d\d:\d\d:\d\d\.\d{3} \S+: \w+ \(attempt ", out, re.M)
    log = [orjson.loads(line) for line in (tmp_path / "a.jsonl").read_bytes().splitlines()]
    assert len(echoed) == sum("outcome" in line for line in log)
    assert set(echoed) == {"1", "2"}
