"""The quickstart's walkthrough, to the millisecond, on the virtual clock.

`scenarios/quickstart.yaml` carries checks loose enough for `make run`'s scaled clock; these are
the exact ones its header comment tells: pushes at 2 s, 4 s, ... 1m58s carry 80 events each
(40/s); the push at 2m (msg 110000060) is refused; retries at 5m, 8m and 11m fail, so it pauses
at 11m; probes at 14m (refused) and 17m (the endpoint is back since 16m): active at 17m, and the
same batch lands. The backlog of (2m, 17m] = 36,000 events goes out as 72 full batches
back-to-back at 17m, then 80 every 2 s. Attempts: 59 pushes + 6 tries of msg 60 + 72 catch-up +
239 pushes from 17m2s to 24m58s = 376. The run ends at 25m (exclusive): the 80 events of
(24m58s, 25m] are still queued.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.core.recording import Recording
from simulator.runfile.scenario import parse_run
from simulator.shell.clock import run_virtual
from simulator.timeline.replay import replay

QUICKSTART = Path(__file__).resolve().parent.parent / "scenarios" / "quickstart.yaml"

EXACT = """\
expect:
  - {subscription: web-activity, state: active, at: 1m59s}
  - {subscription: web-activity, state: retrying, by: 2m}
  - {subscription: web-activity, state: retrying, at: 10m59s}
  - {subscription: web-activity, state: paused, by: 11m}
  - {subscription: web-activity, state: paused, at: 16m59s}
  - {subscription: web-activity, state: active, at: 17m}
  - {subscription: web-activity, state: active}
  - subscription: web-activity
    noLoss: true
    ordered: true
    attempts: 376
    produced: 60000
    acknowledged: 59920
    queued: 80
    inFlight: 0
    maxLatency: 15m2s      # the oldest event of msg 60 (1m58.025s) is acknowledged at 17m
  - endpoint: {duplicates: 0, batches: 371, events: 59920}
"""


@pytest.fixture(scope="module")
def walkthrough() -> Recording:
    """The quickstart's run, with the exact checks in place of its loose ones."""
    text = QUICKSTART.read_text()
    exact = text[: text.index("\nexpect:\n") + 1] + EXACT
    return run_virtual(replay(parse_run(exact, file=str(QUICKSTART))))


def test_every_exact_check_of_the_walkthrough_passes(walkthrough: Recording) -> None:
    """All 18 verdicts of the 11 checks hold to the millisecond on the virtual clock."""
    failed = [f"{v.name}: observed {v.observed}" for v in walkthrough.verdicts if not v.passed]
    assert (len(walkthrough.verdicts), failed) == (18, [])
