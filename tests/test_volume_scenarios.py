"""The volume scenarios (scenarios/volume/): shipped for `make bench` and for people, never
replayed at full rate by the suite.

At 250 events per second they hold millions of events (151 million for the week), so the suite
validates them, and checks the timeline they promise on a copy at a hundredth of the rate.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_scenarios import SCENARIOS

from simulator.cli import main
from simulator.runfile.scenario import load_run

VOLUME = Path(__file__).resolve().parent.parent / "scenarios" / "volume"
FILES = sorted(VOLUME.glob("*.yaml"))


def test_the_volume_scenarios_are_shipped() -> None:
    """The 1-hour and 6-hour outages (`make bench`) and the full-rate week are there."""
    assert [path.name for path in FILES] == [
        "outage-1h.yaml",
        "outage-6h.yaml",
        "week-full-rate.yaml",
    ]


def test_the_suite_does_not_replay_them() -> None:
    """tests/test_scenarios.py replays scenarios/*.yaml; none of the volume files is among them."""
    assert not set(FILES) & set(SCENARIOS)


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_marketo_sim_check_accepts_the_file(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`marketo-sim check` validates each volume scenario: one subscription, at full rate."""
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: ok (1 subscription(s): full-rate)\n"
    assert load_run(path).subscriptions[0].rate == 250.0


@pytest.mark.parametrize(
    ("name", "produced"),
    [
        ("outage-1h.yaml", 1_350_000),
        ("outage-6h.yaml", 5_850_000),
        ("week-full-rate.yaml", 151_650_000),
    ],
)
def test_each_expects_every_event_in_order(name: str, produced: int) -> None:
    """Each one checks that nothing is lost and order is kept, over all the events its duration
    produces at 250 per second."""
    (counts,) = [e for e in load_run(VOLUME / name).expect if e.no_loss]
    assert counts.ordered
    assert counts.expired == ("==", 0)
    assert counts.produced == ("==", produced)
    assert counts.acknowledged == (">=", produced - 500)  # the last slot's events may wait


def test_the_1_hour_outage_keeps_its_timeline_at_a_hundredth_of_the_rate(tmp_path: Path) -> None:
    """outage-1h.yaml at 2.5 events per second (its counts divided by 100) passes every check:
    its states come when its comments say, and the catch-up loses nothing."""
    text = (VOLUME / "outage-1h.yaml").read_text()
    for full, scaled in [
        ("rate: 250", "rate: 2.5"),
        ("produced: 1350000", "produced: 13500"),
        ('acknowledged: ">= 1349500"', 'acknowledged: ">= 13495"'),
    ]:
        assert full in text
        text = text.replace(full, scaled)
    scaled_file = tmp_path / "outage-1h-scaled.yaml"
    scaled_file.write_text(text)
    assert main(["replay", str(scaled_file)]) == 0
