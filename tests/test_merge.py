"""`marketo-sim merge OUT_DIR SHARD_OUTPUT...`: the outputs of a run's shards made one run's,
equal to the unsharded run's; inputs that are missing or of another run refused."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from fleetruns import Runs, ledgers

from simulator.cli import main

SHARDS = [f"shard{i}.{ext}" for ext in ("jsonl", "json", "xml") for i in (1, 2, 3)]


@pytest.fixture(scope="module")
def played(fleet_runs: tuple[Path, Runs]) -> tuple[Path, Runs]:
    """The fleet's whole and sharded runs (conftest) and the directory of their files."""
    return fleet_runs


@pytest.fixture(scope="module")
def merged(played: tuple[Path, Runs]) -> Path:
    tmp, _ = played
    assert main(["merge", str(tmp / "out"), *(str(tmp / name) for name in SHARDS)]) == 0
    return tmp / "out"


def document(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads(path.read_bytes())
    return loaded


def test_the_merged_ledger_is_the_unsharded_runs(played: tuple[Path, Runs], merged: Path) -> None:
    """Each subscription's ledger, attempts and outcomes, and the totals, are the whole run's."""
    whole = played[1]["whole"][1]
    result = document(merged / "result.json")
    assert ledgers(result) == ledgers(whole)
    assert result["totals"] == whole["totals"]


def test_the_merged_latency_is_the_unsharded_runs(played: tuple[Path, Runs], merged: Path) -> None:
    """The run-wide latency adds the shards' log buckets: the whole run's percentiles exactly."""
    whole = played[1]["whole"][1]["totals"]["latency"]
    assert whole["count"] > 200
    assert document(merged / "result.json")["totals"]["latency"] == whole


def test_the_merged_checks_are_the_unsharded_runs(played: tuple[Path, Runs], merged: Path) -> None:
    """Each check comes from the shard that judged it; the endpoint's, skipped in every shard,
    stays skipped once; the merged run passes as each shard did."""
    result = document(merged / "result.json")
    assert [(v["name"], v["status"], v["skipped"] is not None) for v in result["verdicts"]] == [
        ("forms: deprovisioned at the end", "passed", False),
        ("web: acknowledged > 0", "passed", False),
        ("endpoint duplicates 0", "passed", True),
    ]
    assert (result["passed"], result["exitCode"], result["shard"]) == (True, 0, None)


def test_the_merged_dev_endpoint_counts_are_the_sums(
    played: tuple[Path, Runs], merged: Path
) -> None:
    """Each shard's embedded endpoint counted its own pushes: together, the whole run's."""
    whole = played[1]["whole"][1]["devEndpoint"]
    assert document(merged / "result.json")["devEndpoint"] == whole


def test_the_merged_log_is_every_attempt_in_time_order(
    played: tuple[Path, Runs], merged: Path
) -> None:
    """The merged attempt log holds the unsharded run's lines, ordered by their time `t`."""
    lines = (merged / "attempts.jsonl").read_bytes().splitlines()
    assert Counter(lines) == Counter(played[1]["whole"][0])
    times = [orjson.loads(line)["t"] for line in lines]
    assert times == sorted(times)


def test_the_merged_junit_keeps_each_check_once(merged: Path) -> None:
    """JUnit: the shards' suites under one root; a check skipped because another shard judged
    it is dropped, one skipped everywhere is kept once."""
    text = (merged / "junit.xml").read_text()
    assert 'tests="3" failures="0" errors="0" skipped="1"' in text.splitlines()[1]
    assert text.count("<testsuite ") == 3


@pytest.fixture(scope="module")
def merged_with_run(played: tuple[Path, Runs]) -> Path:
    tmp, _ = played
    inputs = [str(tmp / name) for name in SHARDS]
    argv = ["merge", str(tmp / "out-run"), *inputs, "--run", str(tmp / "fleet.yaml")]
    assert main(argv) == 0
    return tmp / "out-run"


def test_with_the_run_file_the_endpoint_checks_are_judged_on_the_sums(
    played: tuple[Path, Runs], merged_with_run: Path
) -> None:
    """`merge --run FILE`: the endpoint check every shard skipped is judged on the summed
    counters, and is the unsharded run's verdict exactly."""
    whole = played[1]["whole"][1]["verdicts"]
    result = document(merged_with_run / "result.json")
    assert result["verdicts"] == whole
    assert result["verdicts"][-1]["name"] == "endpoint duplicates 0"
    assert result["verdicts"][-1]["skipped"] is None


def test_with_the_run_file_the_junit_judges_the_endpoint_checks_once(
    merged_with_run: Path,
) -> None:
    """JUnit: the shards' skipped endpoint cases give way to one suite of the judged ones."""
    text = (merged_with_run / "junit.xml").read_text()
    assert 'tests="3" failures="0" errors="0" skipped="0"' in text.splitlines()[1]
    assert text.count("<testsuite ") == 4
    assert "the embedded endpoint, summed over the shards" in text


def test_the_summed_endpoint_suite_carries_the_merged_runs_properties(
    played: tuple[Path, Runs], merged_with_run: Path
) -> None:
    """The suite of the endpoint checks judged on the sums names the run as the shards' suites
    do (file, munchkin, seed, start), spans the longest shard, and lists the shards merged."""
    tmp, runs = played
    suites = ET.parse(merged_with_run / "junit.xml").getroot().findall("testsuite")
    summed = suites[-1]
    assert summed.get("name") == "the embedded endpoint, summed over the shards"
    properties = {p.get("name"): p.get("value") for p in summed.iter("property")}
    whole = runs["whole"][1]
    assert properties == {
        "scenario": str(tmp / "fleet.yaml"),
        "munchkin_id": "123-ABC-456",
        "seed": "5",
        "simulated_start": whole["simulatedStart"],
        "simulated_span": "+00:06:00.000 (6m00s)",
        "shards": "1/3, 2/3, 3/3",
    }
    shard = {p.get("name"): p.get("value") for p in suites[0].iter("property")}
    assert {k: shard[k] for k in ("scenario", "munchkin_id", "seed", "simulated_start")} == {
        k: properties[k] for k in ("scenario", "munchkin_id", "seed", "simulated_start")
    }


def test_a_missing_shard_leaves_the_endpoint_checks_skipped(
    played: tuple[Path, Runs], tmp_path: Path
) -> None:
    """Counters summed over some shards are not the run's: the check stays skipped."""
    tmp, _ = played
    inputs = [str(tmp / name) for name in SHARDS if "1" not in name]
    argv = ["merge", str(tmp_path / "out"), *inputs, "--run", str(tmp / "fleet.yaml")]
    assert main(argv) in (0, 1)
    verdicts = document(tmp_path / "out" / "result.json")["verdicts"]
    endpoint = [v for v in verdicts if v["name"].startswith("endpoint ")]
    assert [v["skipped"] is not None for v in endpoint] == [True]


def test_directories_are_read_for_their_outputs(played: tuple[Path, Runs], tmp_path: Path) -> None:
    """A shard's output directory (a pod's volume) stands for the files in it."""
    tmp, runs = played
    for i in (1, 2, 3):
        (tmp_path / f"pod{i}").mkdir()
        for ext in ("jsonl", "json"):
            shutil.copy(tmp / f"shard{i}.{ext}", tmp_path / f"pod{i}" / f"out.{ext}")
    pods = [str(tmp_path / f"pod{i}") for i in (1, 2, 3)]
    assert main(["merge", str(tmp_path / "out"), *pods]) == 0
    assert ledgers(document(tmp_path / "out" / "result.json")) == ledgers(runs["whole"][1])


def test_a_missing_shard_is_a_warning(
    played: tuple[Path, Runs], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two of three shards merge, with a warning that the merged run is partial."""
    tmp, _ = played
    assert main(["merge", str(tmp_path), str(tmp / "shard1.json"), str(tmp / "shard3.json")]) == 0
    assert "warning: shard(s) 2/3 missing: the merged run is partial" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (["shard1.json", "nowhere.json"], "nowhere.json: no such file or directory"),
        (["shard1.json", "fleet.yaml"], "fleet.yaml: not a shard output"),
        (["shard1.json", "shard1.json"], "shard1.json: shard 1/3 again"),
        (["shard1.json", "whole.json"], "whole.json: subscription 'programs' is in another input"),
        (["shard1.json", "seed6.json"], "seed6.json: another run than"),
        (["shard1.json", "shard1.jsonl"], None),  # a log and a document: fine
    ],
    ids=["missing", "not-an-output", "twice", "overlap", "other-seed", "fine"],
)
def test_bad_inputs_are_refused_naming_the_file(
    played: tuple[Path, Runs],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    inputs: list[str],
    message: str | None,
) -> None:
    """Exit 2 with the file named, and nothing merged."""
    tmp, _ = played
    seed6 = document(tmp / "shard2.json") | {"seed": 6}
    (tmp / "seed6.json").write_bytes(orjson.dumps(seed6))
    code = main(["merge", str(tmp_path / "out"), *(str(tmp / name) for name in inputs)])
    if message is None:
        assert code == 0
        return
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out" / "result.json").exists()


def test_a_line_that_is_not_an_attempt_is_refused(
    played: tuple[Path, Runs], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A log line without a time names the file and line: exit 2."""
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"t": 1.0}\nnot json\n')
    assert main(["merge", str(tmp_path / "out"), str(bad)]) == 2
    assert f"{bad}:2: not an attempt log line" in capsys.readouterr().err
