"""The shipped volume scenarios replayed as a user replays them, one fresh process each.

`marketo-sim replay FILE --log FILE.jsonl` runs in a child process (`simulator.bench.child`):
its wall time runs from launch to exit (start-up included, as a user waits for it), its peak RSS
is the kernel's figure for that child alone, and the events it delivered are summed from its
attempt log (the events of every acknowledged attempt). Its exit code says whether every check of
the scenario held and the ledger balanced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import orjson

from simulator.bench.child import ChildRun, marketo_sim, run_child

VOLUME = Path(__file__).resolve().parent.parent.parent / "scenarios" / "volume"
OUTAGE_1H = VOLUME / "outage-1h.yaml"
OUTAGE_6H = VOLUME / "outage-6h.yaml"
WEEK = VOLUME / "week-full-rate.yaml"


@dataclass(frozen=True, slots=True)
class Replay:
    scenario: str  # the file's name
    child: ChildRun
    acknowledged: int  # events, from the attempt log
    summary: str  # the command's last line: checks passed and failed, ledger, simulated time

    @property
    def rate(self) -> float:
        """Events acknowledged per second of wall time."""
        return self.acknowledged / self.child.wall if self.child.wall > 0 else 0.0

    @property
    def own_seconds(self) -> float | None:
        """The real seconds the command itself reports for the replay (start-up excluded)."""
        found = re.search(r"simulated in ([0-9.]+)s", self.summary)
        return float(found.group(1)) if found else None

    @property
    def verdict(self) -> str:
        """What became of the checks, in a few words."""
        if self.child.killed:
            return self.child.killed
        if self.child.code == 0:
            return "every check passed, ledger balanced"
        return f"exit {self.child.code}: {self.summary or 'no summary printed'}"


def replay_scenario(path: Path, *, work: Path, rss_limit: int, timeout: float) -> Replay:
    """Replay `path` in a child process and measure it; its log and output go under `work`."""
    log, output = work / f"{path.stem}.jsonl", work / f"{path.stem}.out"
    child = run_child(
        marketo_sim("replay", str(path), "--log", str(log)),
        output=output,
        rss_limit=rss_limit,
        timeout=timeout,
    )
    return Replay(path.name, child, acknowledged_events(log), last_line(output))


def acknowledged_events(log: Path) -> int:
    """The events of every acknowledged attempt in an attempt log (a duplicate send excluded)."""
    if not log.exists():
        return 0
    total = 0
    with log.open("rb") as lines:
        for line in lines:
            attempt = orjson.loads(line)
            if "outcome" not in attempt:  # a step's line, or the interruption's
                continue
            if attempt["outcome"] == "success" and attempt["kind"] != "duplicate":
                total += attempt["events"]
    return total


def last_line(output: Path) -> str:
    lines = [line for line in output.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""
