"""The verdicts a run is gated on besides its `expect:` block: the default threshold of a run
that sets none, and what an interruption does to the verdicts it cut short.

Like k6's thresholds, the exit code of `marketo-sim run` follows the verdicts: with an `expect:`
block they are its checks, exactly as `replay` judges them; without one, the default is that every
subscription which produced events had at least one of them acknowledged, so a run against a dead,
unresolvable or always-refusing endpoint exits 1 instead of 0. A check that the interruption left
undecided is an error, never a pass (`Verdict.settled` says which are decided early).

Pure: values in, verdicts out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from simulator.core.delivery import Ledger
from simulator.core.recording import Verdict
from simulator.core.timefmt import offset

DEFAULT_CHECK = "acknowledged at least one event"


def default_verdicts(ledgers: Mapping[str, Ledger]) -> list[Verdict]:
    """One verdict per subscription that produced events: did the consumer acknowledge any?
    A subscription that produced nothing has nothing to acknowledge and is not judged."""
    return [
        Verdict(
            name=f"{name}: {DEFAULT_CHECK}",
            passed=ledger.acknowledged > 0,
            expected=f"at least 1 of {ledger.produced:,} events acknowledged",
            observed=f"{ledger.acknowledged:,} acknowledged",
            subscription=name,
        )
        for name, ledger in ledgers.items()
        if ledger.produced > 0
    ]


def cut_short(verdicts: Sequence[Verdict], ended_at: float, why: str) -> list[Verdict]:
    """The verdicts of a run interrupted at `ended_at`: one settled by then stands, passed or
    failed (a state at a time already reached, a wait already too long); any other did not
    finish and becomes an error."""
    return [
        verdict
        if verdict.skipped is not None
        or (verdict.settled is not None and verdict.settled <= ended_at)
        else dataclasses.replace(
            verdict,
            passed=False,
            unfinished=True,
            observed=f"not judged: {why} at {offset(ended_at)}",
        )
        for verdict in verdicts
    ]
