"""The embedded dev endpoint as a run file describes it: the `receiver:` section and the
`endpoint:` step.

`ReceiverSpec` is how the embedded receiver starts a run: its token or identity provider, how it
answers pushes (statuses, failures, latency, hangs, resets and outage windows, `OutageSpec`) and
how it plays an Adobe I/O consumer. `EndpointChange` is a timeline step that changes how it
answers from then on; a key it leaves out keeps its value.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from simulator.core.behaviour import ChallengeStyle, OutageMode
from simulator.runfile.fields import (
    Duration,
    EnvSecret,
    Invalid,
    Items,
    PositiveDuration,
    Rate,
    Spec,
    Status,
    seconds,
)

__all__ = ["EndpointChange", "OAuthServerSpec", "OutageSpec", "ReceiverSpec"]


class OAuthServerSpec(Spec):
    """The embedded receiver's mock identity provider."""

    client_id: EnvSecret = Field(alias="clientIdEnv")
    client_secret: EnvSecret = Field(alias="clientSecretEnv")
    token_ttl: PositiveDuration = 3600.0


class OutageSpec(Spec):
    """A window of simulated time, since the start, in which the embedded receiver fails."""

    start: Duration = Field(alias="from")
    end: PositiveDuration = Field(alias="to")
    mode: OutageMode = "refuse"
    status: Status = 503
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

    token: EnvSecret | None = Field(None, alias="tokenEnv")
    """Variable holding the static token it expects."""
    oauth: OAuthServerSpec | None = None
    status: Status = 200
    """The answer when nothing below makes it fail."""
    failure_rate: Rate = 0.0
    """Share of pushes answered with failureStatus (seeded draws)."""
    failure_status: Status = 503
    latency: Duration = 0.0
    """Delay before each answer; at or above the delivery timeout, pushes time out."""
    hang: bool = False
    """Never answer, so every push times out."""
    reset: bool = False
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


class EndpointChange(Spec):
    """The embedded endpoint's behaviour from this step on; keys left out keep their value."""

    status: Status | None = None
    failure_rate: Rate | None = None
    failure_status: Status | None = None
    latency: Duration | None = None
    hang: bool | None = None
    reset: bool | None = None
    refuse: bool | None = None
    """Drop every connection at once, like an endpoint that is down."""
    challenge: ChallengeStyle | None = None
