"""What a scenario adds to a run file: a timeline of steps and the expectations checked after.

A step happens `at` a simulated time since the start, or `after` the previous step, and does
exactly one thing. An expectation states one or more checks; each check is judged on its own and
becomes one line of the verdict (and one JUnit test case). These are models only: the
`director` plays the steps and `verdicts` judges the expectations. The `endpoint:` step's model,
`EndpointChange`, is the embedded endpoint's (`endpointspec`); the anomaly kinds are the
payloads' (`simulator.payloads.anomalies`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Discriminator, PlainValidator, Tag, WithJsonSchema, model_validator
from pydantic.alias_generators import to_camel

from simulator.core.bounds import COUNT_MAX
from simulator.core.ledger import LEDGER_FIELDS
from simulator.payloads.anomalies import AnomalyKind
from simulator.runfile.endpointspec import EndpointChange
from simulator.runfile.fields import Duration, EventCount, EventRate, Invalid, Range, Spec, describe

# -- comparisons -------------------------------------------------------------------------------

_COMPARISON = re.compile(r"\s*(>=|<=|==|>|<)?\s*(\d+)\s*")


def _comparison(value: Any) -> tuple[str, int]:
    """5 means exactly 5; ">= 5", "< 3", "> 0" compare."""
    if isinstance(value, bool):
        raise ValueError(f"must be a count or a comparison like '>= 5' (got {describe(value)})")
    if isinstance(value, int) and value >= 0:
        return ("==", value)
    if isinstance(value, str) and (match := _COMPARISON.fullmatch(value)):
        return (match.group(1) or "==", int(match.group(2)))
    raise ValueError(f"must be a count or a comparison like '>= 5' (got {describe(value)})")


Comparison = Annotated[
    tuple[str, int],
    PlainValidator(_comparison),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0},
                {"type": "string", "pattern": r"^\s*(>=|<=|==|>|<)?\s*\d+\s*$"},
            ],
            "description": "an exact count, or a comparison like '>= 5'",
        }
    ),
]


def holds(comparison: tuple[str, int], value: int) -> bool:
    op, bound = comparison
    return {
        "==": value == bound,
        ">=": value >= bound,
        "<=": value <= bound,
        ">": value > bound,
        "<": value < bound,
    }[op]


def show(comparison: tuple[str, int]) -> str:
    op, bound = comparison
    return f"{bound}" if op == "==" else f"{op} {bound}"


# -- timeline steps ----------------------------------------------------------------------------


class BurstStep(Spec):
    subscription: str
    count: EventCount


class RateStep(Spec):
    subscription: str
    rate: EventRate
    """Events per second from this step on."""


class AnomalyStep(Spec):
    subscription: str
    kind: AnomalyKind
    """duplicate: the last acknowledged batch is sent again; reorder: the next batch newest
    first; unknown-activity-type / unknown-field: the next batch carries one."""


_ACTIONS = (
    "endpoint",
    "burst",
    "rate",
    "expire_tokens",
    "idp_failures",
    "rotate_keys",
    "deprovision",
    "reprovision",
    "enable",
    "anomaly",
    "backfill",
)


def _endpoint_form(value: Any) -> str:
    """Which form an `endpoint:` step takes, so an error is reported for that form alone."""
    return "normal" if isinstance(value, str) else "change"


class StepSpec(Spec):
    """One thing that happens at one simulated time."""

    at: Duration | None = None
    """Simulated time since the start."""
    after: Duration | None = None
    """Time since the previous step."""
    note: str | None = None
    """Shown in logs and the report."""
    endpoint: (
        Annotated[
            Annotated[EndpointChange, Tag("change")] | Annotated[Literal["normal"], Tag("normal")],
            Discriminator(_endpoint_form),
        ]
        | None
    ) = None
    """Change the embedded endpoint; normal restores the receiver: section."""
    burst: BurstStep | None = None
    rate: RateStep | None = None
    expire_tokens: bool | None = None
    """The identity provider revokes every token it issued (a token expiring mid-stream)."""
    idp_failures: Annotated[int, Range(1, COUNT_MAX)] | None = None
    """The next N token requests fail with 503 (an identity-provider outage)."""
    rotate_keys: bool | None = None
    """Adobe I/O signs with a new key; the previous one still verifies."""
    deprovision: str | None = None
    reprovision: str | None = None
    enable: str | None = None
    """Re-enable a disabled Adobe I/O registration by hand."""
    anomaly: AnomalyStep | None = None
    backfill: str | None = None
    """Read an Adobe I/O registration's journal from the start over HTTP, as a consumer
    back-filling after an outage (see the backfilled expectation)."""

    @model_validator(mode="after")
    def _one_time_one_action(self) -> StepSpec:
        if (self.at is None) == (self.after is None):
            raise Invalid("needs either at (a time) or after (since the previous step)")
        actions = [name for name in _ACTIONS if getattr(self, name) is not None]
        if not actions:
            raise Invalid(f"needs one action: {', '.join(to_camel(a) for a in _ACTIONS)}")
        if len(actions) > 1:
            raise Invalid("does one thing per step: split it", at=to_camel(actions[1]))
        return self

    @property
    def action(self) -> str:
        return next(name for name in _ACTIONS if getattr(self, name) is not None)

    @property
    def subscription(self) -> str | None:
        """The subscription the step acts on, if any."""
        value = getattr(self, self.action)
        if self.action in ("deprovision", "reprovision", "enable", "backfill"):
            return str(value)
        return getattr(value, "subscription", None)

    def as_data(self) -> dict[str, Any]:
        """The step as a file writes it, without its time (at, after): JSON-ready data that
        validates back to the same step (the attempt log's step lines, a recorded scenario)."""
        return self.model_dump(
            mode="json", by_alias=True, exclude_none=True, exclude={"at", "after"}
        )

    def label(self) -> str:
        if self.note:
            return self.note
        value = getattr(self, self.action)
        if isinstance(value, Spec):
            shown = ", ".join(f"{k}={v}" for k, v in value.model_dump(exclude_none=True).items())
            return f"{to_camel(self.action)}: {shown}"
        return f"{to_camel(self.action)}: {value}"


# -- expectations ------------------------------------------------------------------------------


class EndpointCounts(Spec):
    """What the embedded endpoint counted by the end of the run."""

    batches: Comparison | None = None
    events: Comparison | None = None
    duplicates: Comparison | None = None
    unauthorized: Comparison | None = None
    signatures_invalid: Comparison | None = None
    signatures_valid: Comparison | None = None


LEDGER_CHECKS = LEDGER_FIELDS  # each count of the ledger is a check


class ExpectSpec(Spec):
    """Checks on one subscription (or on the endpoint); each key is one check."""

    subscription: str | None = None
    state: (
        Literal["active", "retrying", "paused", "deprovisioned", "pending", "unstable", "disabled"]
        | None
    ) = None
    """Its state: reached `by` a time, held `at` a time, or at the end."""
    by: Duration | None = None
    at: Duration | None = None
    produced: Comparison | None = None
    acknowledged: Comparison | None = None
    expired: Comparison | None = None
    discarded: Comparison | None = None
    dropped: Comparison | None = None
    queued: Comparison | None = None
    in_flight: Comparison | None = None
    no_loss: Literal[True] | None = None
    """Nothing expired, dropped or discarded, and the ledger balances."""
    max_latency: Duration | None = None
    """Every acknowledged event was acknowledged within this long of being produced."""
    ordered: Literal[True] | None = None
    """The endpoint received the subscription's events in production order."""
    attempts: Comparison | None = None
    """The number of push attempts made."""
    backfilled: Comparison | None = None
    """Events read back from the journal by backfill steps."""
    endpoint: EndpointCounts | None = None

    @model_validator(mode="after")
    def _checks(self) -> ExpectSpec:
        given = self.model_fields_set - {"subscription", "by", "at"}
        if not given:
            raise Invalid("needs at least one check (state, acknowledged, noLoss, ...)")
        if (self.by is not None or self.at is not None) and self.state is None:
            raise Invalid("only applies with state", at="by" if self.by is not None else "at")
        if self.by is not None and self.at is not None:
            raise Invalid("give by (reached by then) or at (held then), not both", at="at")
        if self.subscription is None and given - {"endpoint"}:
            first = sorted(given - {"endpoint"})[0]
            raise Invalid("needs subscription: which one to check", at=to_camel(first))
        return self
