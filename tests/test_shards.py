"""`--shard I/N`: the N slices of a run file's subscriptions together play exactly the unsharded
run (the same attempts, messageIds, attempt times and ledgers); the partition and the flag."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from fleetruns import FLEET, Runs, ledgers
from hypothesis import given
from hypothesis import strategies as st

from simulator.cli import main
from simulator.fleet.shard import Shard, parse_shard, shard_of


@pytest.fixture(scope="module")
def runs(fleet_runs: tuple[Path, Runs]) -> Runs:
    """The fleet's whole and sharded runs (conftest)."""
    return fleet_runs[1]


def test_the_shards_attempts_are_the_whole_runs(runs: Runs) -> None:
    """The union of the three shards' attempt logs, as a multiset of lines, is the unsharded
    run's: every messageId, attempt time, outcome and latency the same."""
    union: Counter[bytes] = Counter()
    for i in (1, 2, 3):
        union.update(runs[f"{i}/3"][0])
    whole = Counter(runs["whole"][0])
    assert len(whole) > 300
    assert union == whole


def test_the_shards_ledgers_are_the_whole_runs(runs: Runs) -> None:
    """Each subscription's ledger, attempts and outcomes come from exactly one shard, equal to
    the unsharded run's."""
    merged: dict[str, object] = {}
    for i in (1, 2, 3):
        mine = ledgers(runs[f"{i}/3"][1])
        assert not merged.keys() & mine.keys()
        merged |= mine
    assert merged == ledgers(runs["whole"][1])


def test_each_shard_plays_only_its_subscriptions(runs: Runs) -> None:
    """The partition of these six names: shard 1 programs and mobile, 2 email, 3 the rest."""
    held = {i: sorted(ledgers(runs[f"{i}/3"][1])) for i in (1, 2, 3)}
    assert held == {1: ["mobile", "programs"], 2: ["email"], 3: ["forms", "visits", "web"]}


def test_checks_on_other_shards_subscriptions_are_skipped(runs: Runs) -> None:
    """Shard 2 (email) judges none of the checks: those on forms and web are another shard's,
    the endpoint's counts only an unsharded run's; skipped checks fail nothing."""
    verdicts = runs["2/3"][1]["verdicts"]
    assert [(v["name"], v["skipped"] is not None) for v in verdicts] == [
        ("forms: state", True),
        ("web: acknowledged", True),
        ("endpoint duplicates 0", True),
    ]
    assert runs["2/3"][1]["passed"] is True


def test_the_shard_that_holds_a_subscription_judges_it(runs: Runs) -> None:
    """Shard 3 holds forms (deprovisioned by its step at 4m) and web: it judges both."""
    verdicts = {v["name"]: v["status"] for v in runs["3/3"][1]["verdicts"] if not v["skipped"]}
    assert verdicts == {
        "forms: deprovisioned at the end": "passed",
        "web: acknowledged > 0": "passed",
    }


@pytest.mark.parametrize("text", ["0/3", "4/3", "x/y", "3", "1/0", "-1/3", "1/3/4"])
def test_a_bad_shard_is_refused_naming_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    """Exit 2, nothing played, and the message names --shard."""
    (tmp_path / "fleet.yaml").write_text(FLEET)
    with pytest.raises(SystemExit) as exited:
        main(["replay", str(tmp_path / "fleet.yaml"), "--shard", text])
    assert exited.value.code == 2
    assert "argument --shard: " in capsys.readouterr().err


def test_a_shard_without_subscriptions_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One subscription in three shards leaves two empty: exit 2 naming the flag and the file."""
    one = FLEET.split("subscriptions:")[0] + "subscriptions:\n  - {name: web, rate: 1}\n"
    (tmp_path / "one.yaml").write_text(one)
    empty = next(i for i in (1, 2, 3) if i != shard_of("web", 3))
    assert main(["run", str(tmp_path / "one.yaml"), "--virtual", "--shard", f"{empty}/3"]) == 2
    err = capsys.readouterr().err
    assert f"--shard {empty}/3: holds none of the 1 subscription(s) of" in err


def test_parse_shard_reads_i_of_n_from_one() -> None:
    """`2/5` is the second of five shards."""
    assert parse_shard("2/5") == Shard(2, 5)


@given(st.lists(st.text(min_size=1, max_size=20), unique=True, max_size=30), st.integers(1, 8))
def test_every_name_is_in_exactly_one_shard(names: list[str], count: int) -> None:
    """The shards of N partition any list of names: each name held by exactly one."""
    for name in names:
        assert sum(Shard(i, count).holds(name) for i in range(1, count + 1)) == 1


@given(st.lists(st.text(min_size=1, max_size=20), unique=True, max_size=30), st.text(min_size=1))
def test_adding_a_subscription_moves_no_other(names: list[str], added: str) -> None:
    """A subscription's shard depends on its name and N only, not on the other names."""
    before = {name: shard_of(name, 4) for name in names}
    after = {name: shard_of(name, 4) for name in [added, *names]}
    assert all(after[name] == shard for name, shard in before.items())
