"""Where every produced event of a subscription is: its `Ledger`, and `LEDGER_FIELDS`, the one
list of its counts. Its own module, light to import: the run file's expectations name the
counts (`simulator.runfile.steps`) without loading the delivery machine."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields

# Marks a count that rises and falls (events waiting now), unlike the others that only grow.
LEVEL: dict[str, bool] = {"level": True}


@dataclass(frozen=True, slots=True)
class Ledger:
    """Where every produced event is: produced = the sum of all the others, always."""

    produced: int
    acknowledged: int
    expired: int
    discarded: int
    dropped: int
    queued: int = field(metadata=LEVEL)
    in_flight: int = field(metadata=LEVEL)

    @property
    def accounted(self) -> int:
        return (
            self.acknowledged
            + self.expired
            + self.discarded
            + self.dropped
            + self.queued
            + self.in_flight
        )

    @property
    def balanced(self) -> bool:
        return self.produced == self.accounted

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in LEDGER_FIELDS}

    @classmethod
    def total(cls, ledgers: Iterable[Ledger]) -> Ledger:
        """The sum of `ledgers`, field by field (balanced when each of them is)."""
        books = list(ledgers)
        return cls(**{name: sum(getattr(book, name) for book in books) for name in LEDGER_FIELDS})


# The ledger's counts in the order they are shown: every list of them is this one.
LEDGER_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Ledger))
# The counts that only grow (counters to a metrics scraper); queued and in flight are levels.
LEDGER_COUNTERS: tuple[str, ...] = tuple(
    f.name for f in fields(Ledger) if not f.metadata.get("level")
)
