"""The embedded dev endpoint as a run file describes it: the `receiver:` section and the
`endpoint:` step.

Both describe a `simulator.core.behaviour.Behaviour` in the file's words (camelCase keys,
durations like 19.5s, outage windows `from`/`to`), with the file's checks and messages. Their
behaviour fields are Behaviour's own, by name and default, and they become a Behaviour through
its one conversion (`core.behaviour.changed`): `ReceiverSpec.behaviour()` at the start of a run,
`EndpointChange.applied_to()` at a step. The outage modes and the challenge styles are core's
lists too.

Two models, because a step is partial: a key it leaves out keeps its value, so its fields
default to nothing where the receiver's default to the Behaviour's defaults.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import Field, model_validator

from simulator.core.behaviour import (
    BEHAVIOUR_FIELDS,
    DEFAULT_BEHAVIOUR,
    Behaviour,
    ChallengeStyle,
    OutageMode,
    Window,
    changed,
    refusing,
)
from simulator.runfile.fields import (
    Duration,
    EnvSecret,
    Invalid,
    Items,
    Latency,
    PositiveDuration,
    Rate,
    Spec,
    Status,
    seconds,
)

__all__ = ["EndpointChange", "OAuthServerSpec", "OutageSpec", "ReceiverSpec"]


def _window_default(name: str) -> Any:
    """The default of a Window field: a file's outage defaults to what a Window does."""
    (field,) = (f for f in dataclasses.fields(Window) if f.name == name)
    return field.default


def _behaviour_fields(spec: Spec, **dump: Any) -> dict[str, Any]:
    """The fields of `spec` that are Behaviour's, by Behaviour's names."""
    return spec.model_dump(include=set(BEHAVIOUR_FIELDS), **dump)


class OAuthServerSpec(Spec):
    """The embedded receiver's mock identity provider."""

    client_id: EnvSecret = Field(alias="clientIdEnv")
    client_secret: EnvSecret = Field(alias="clientSecretEnv")
    token_ttl: PositiveDuration = 3600.0


class OutageSpec(Spec):
    """A window of simulated time, since the start, in which the embedded receiver fails."""

    start: Duration = Field(alias="from")
    end: PositiveDuration = Field(alias="to")
    mode: OutageMode = _window_default("mode")
    status: Status = _window_default("status")
    """The answer in mode status."""

    @model_validator(mode="after")
    def _window(self) -> OutageSpec:
        if self.end <= self.start:
            raise Invalid(f"must be after from ({seconds(self.start)})", at="to")
        if self.mode != "status" and "status" in self.model_fields_set:
            raise Invalid("only applies with mode: status", at="status")
        return self


class ReceiverSpec(Spec):
    """The embedded development endpoint (used by subscriptions whose endpoint is embedded)."""

    token: EnvSecret | None = Field(default=None, alias="tokenEnv")
    """Variable holding the static token it expects."""
    oauth: OAuthServerSpec | None = None
    status: Status = DEFAULT_BEHAVIOUR.status
    """The answer when nothing below makes it fail."""
    failure_rate: Rate = DEFAULT_BEHAVIOUR.failure_rate
    """Share of pushes answered with failureStatus (seeded draws)."""
    failure_status: Status = DEFAULT_BEHAVIOUR.failure_status
    latency: Latency = DEFAULT_BEHAVIOUR.latency
    """Delay before each answer; at or above the delivery timeout, pushes time out."""
    hang: bool = DEFAULT_BEHAVIOUR.hang
    """Never answer, so every push times out."""
    reset: bool = DEFAULT_BEHAVIOUR.reset
    """Read each push, then drop the connection without answering."""
    outages: Items[OutageSpec] = ()
    challenge: ChallengeStyle = "text"
    """How it answers the Adobe I/O challenge GET; refuse fails it."""
    confirm_validation: bool = False
    """Open the validation URL of an async challenge, as a person would."""
    verify_signatures: bool = False
    """Check both Adobe I/O digital signatures with the keys the simulator serves."""
    reject_bad_signatures: bool = False
    """Answer 401 to a delivery whose signatures do not verify."""
    idle_timeout: PositiveDuration = 60.0
    """Close a keep-alive connection idle this long, as real servers do (nginx 75s, Node 5s)."""

    def behaviour(self) -> Behaviour:
        """The Behaviour the receiver starts the run with."""
        return changed(DEFAULT_BEHAVIOUR, _behaviour_fields(self), where="receiver")


class EndpointChange(Spec):
    """The embedded endpoint's behaviour from this step on; keys left out keep their value."""

    status: Status | None = None
    failure_rate: Rate | None = None
    failure_status: Status | None = None
    latency: Latency | None = None
    hang: bool | None = None
    reset: bool | None = None
    refuse: bool | None = None
    """Drop every connection at once, like an endpoint that is down."""
    challenge: ChallengeStyle | None = None

    def applied_to(self, behaviour: Behaviour, now: float) -> Behaviour:
        """`behaviour` with the fields this step gives; `refuse` opens a refuse window at `now`
        (true) or closes the open ones (false)."""
        given = _behaviour_fields(self, exclude_none=True)
        behaviour = changed(behaviour, given, where="endpoint")
        return behaviour if self.refuse is None else refusing(behaviour, now, on=self.refuse)
