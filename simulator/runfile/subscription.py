"""One subscription as a run file describes it: what Marketo pushes, where, how fast, and how.

`SubscriptionSpec` is one item of a run file's `subscriptions:`; its parts are the legacy push's
`delivery:` contract and `auth:`, its `bursts:`, Adobe I/O Events' `io:` settings, and `tls:`
(a private CA to trust). Which
keys apply depends on the subscription's `profile` and `stream`; the models say so, pointing at
the key they blame (`Invalid(message, at=...)`). The run as a whole is `scenario`.
"""

from __future__ import annotations

import os
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator, WithJsonSchema, model_validator
from pydantic.alias_generators import to_camel

from simulator.core.bounds import BYTES_MAX, DAY
from simulator.errors import ConfigError
from simulator.payloads import catalog
from simulator.runfile.fields import (
    ActivityTypes,
    DrainRate,
    Duration,
    Endpoint,
    EnvSecret,
    EventCount,
    EventRate,
    HeaderName,
    Invalid,
    Items,
    Pattern,
    PositiveDuration,
    Range,
    Rate,
    Retries,
    Scheme,
    Spec,
    describe,
)

__all__ = ["AuthSpec", "BurstSpec", "DeliverySpec", "IoSpec", "SubscriptionSpec", "TlsSpec"]


class DeliverySpec(Spec):
    """How Marketo delivers to one endpoint; the defaults are the legacy contract."""

    timeout: PositiveDuration = 20.0
    retries: Retries = 3
    """Retries of a failed batch before the subscription pauses."""
    retry_interval: PositiveDuration = 180.0
    probe_interval: PositiveDuration = 180.0
    """While paused, how often the head batch is tried again."""
    retention: PositiveDuration = 7 * DAY
    backlog: Literal["catch-up", "paced"] = "catch-up"
    """catch-up: with a full batch queued, push as soon as the last one is acknowledged."""
    max_drain_rate: DrainRate | None = None
    """Events per second at most, for a gentler catch-up after an outage (default: no cap)."""
    phase: Literal["seeded", "aligned"] = "seeded"
    """Push slots at an offset drawn from the seed and the name (seeded), or at 0, 2, 4 s."""
    max_response_bytes: Annotated[int, Range(1, BYTES_MAX)] = 65536
    """How much of a response body is read."""


class BurstSpec(Spec):
    """`count` extra events once (`at`) or repeatedly (`every`, starting `from`)."""

    at: Duration | None = None
    every: PositiveDuration | None = None
    start: Duration = Field(default=0.0, alias="from")
    count: EventCount

    @model_validator(mode="after")
    def _once_or_repeating(self) -> BurstSpec:
        if self.at is not None and self.every is not None:
            raise Invalid("give either at (once) or every (repeating), not both", at="every")
        if self.at is None and self.every is None:
            raise Invalid("needs at (once) or every (repeating)")
        if self.at is not None and "start" in self.model_fields_set:
            raise Invalid("only applies with every", at="from")
        return self


class AuthSpec(Spec):
    """How Marketo authenticates to the endpoint: nothing, a static token, or OAuth."""

    type: Literal["none", "token", "oauth"] = "none"
    token: EnvSecret | None = Field(default=None, alias="tokenEnv")
    header: HeaderName = "Authorization"
    scheme: Scheme = "Bearer"
    """Word before the token in the header; "" sends the raw token."""
    token_url: Endpoint | None = None
    """The IdP's token URL, or embedded for the embedded receiver's IdP."""
    client_id: EnvSecret | None = Field(default=None, alias="clientIdEnv")
    client_secret: EnvSecret | None = Field(default=None, alias="clientSecretEnv")
    client_auth: Literal["basic", "body"] = "basic"
    scope: str | None = None
    refresh_margin: Duration = 60.0
    """Get a new token this long before the current one expires."""

    @model_validator(mode="after")
    def _keys_fit_type(self) -> AuthSpec:
        required, allowed = _AUTH_KEYS[self.type]
        for name in type(self).model_fields:
            alias = type(self).model_fields[name].alias or name
            if name in self.model_fields_set and name not in {"type", *allowed}:
                raise Invalid(f"does not apply to type {self.type}", at=alias)
            if name in required and getattr(self, name) is None:
                raise Invalid(f"is required with type {self.type}", at=alias)
        return self


# type -> (required fields, allowed fields)
_AUTH_KEYS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "none": (frozenset(), frozenset()),
    "token": (frozenset({"token"}), frozenset({"token", "header", "scheme"})),
    "oauth": (
        frozenset({"token_url", "client_id", "client_secret"}),
        frozenset(
            {"token_url", "client_id", "client_secret", "client_auth", "scope", "refresh_margin"}
        ),
    ),
}


class IoSpec(Spec):
    """How Adobe I/O Events delivers to this webhook (profile adobe-io); defaults from its docs."""

    delivery: Literal["batch", "single"] = "batch"
    max_events: Annotated[int, Range(1, 1000)] = 20
    """Events per batch request."""
    max_bytes: Annotated[int, Range(1024, BYTES_MAX)] = 2 * 1024 * 1024
    """Bytes per batch request."""
    timeout: PositiveDuration = 10.0
    """The whole attempt, connection set-up included."""
    max_in_flight: Annotated[int, Range(1, 1000)] = 10
    flush_interval: PositiveDuration = 1.0
    """How often new events leave (I/O delivers in near real time)."""
    retention: PositiveDuration = 7 * DAY
    """How long the journal keeps events."""
    deprecated_fields: bool = True
    """Also send event_id and recipient_client_id (removed by Adobe by the end of 2026)."""
    content_type: str = "application/cloudevents+json; charset=UTF-8"
    recipient_client_id: str = "marketo-sim-client"
    hmac_secret: EnvSecret | None = Field(default=None, alias="hmacSecretEnv")
    """Also send the legacy x-adobe-signature HMAC, keyed with this client secret."""
    audit_schema: Literal["V2.0", "V1.0"] = "V2.0"
    """User Audit payload shape."""
    notification_shape: Literal["current", "experience-league"] = "current"
    """Notification payload shape: the I/O doc's, or the Experience League page's older one."""
    duplicate_rate: Rate = 0.0
    """Anomaly: this share of acknowledged deliveries is delivered again a minute later."""
    reorder: bool = False
    """Anomaly: the events of each batch are sent newest first."""


class TlsSpec(Spec):
    """How the subscription's https endpoint is verified (always: there is no switch to turn
    verification off). The system's trust store, or the file `SSL_CERT_FILE` names, always
    applies; `caFile` adds a private CA for this subscription alone."""

    ca_file: str | None = None
    """A PEM file of CA certificates to trust too (a path relative to the working directory)."""

    @model_validator(mode="after")
    def _readable(self) -> TlsSpec:
        if self.ca_file is not None and not os.path.isfile(self.ca_file):
            raise Invalid(f"no such file: {self.ca_file!r}", at="caFile")
        return self


# Keys of a subscription that only the legacy push uses, and those only Adobe I/O uses.
_LEGACY_ONLY = ("auth", "batch_size", "push_interval", "delivery")
_STREAM_KEYS = {
    "lead-activity": "activity_types",
    "user-audit": "components",
    "notification": "notifications",
}


def _names(value: Any) -> Any:
    """`all`, or a non-empty list of names (checked against the catalog by the subscription)."""
    if value == "all":
        return value
    if (
        not isinstance(value, list | tuple)
        or not value
        or not all(isinstance(v, str) for v in value)
    ):
        raise ValueError(f"must be all or a non-empty list of names (got {describe(value)})")
    return tuple(value)


Names = Annotated[
    str | tuple[str, ...],
    PlainValidator(_names),
    WithJsonSchema(
        {"anyOf": [{"const": "all"}, {"type": "array", "minItems": 1, "items": {"type": "string"}}]}
    ),
]


class SubscriptionSpec(Spec):
    """One Data Streams subscription: what Marketo pushes, where, and how fast."""

    name: Annotated[
        str, Pattern(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", "must be 1-64 letters, digits, _ . -")
    ]
    endpoint: Endpoint = "embedded"
    activity_types: ActivityTypes = Field("all", validate_default=True)
    auth: AuthSpec = Field(default_factory=AuthSpec)
    batch_size: Annotated[int, Range(100, 500)] = 500
    push_interval: PositiveDuration = 2.0
    rate: EventRate = 10.0
    """Events per second."""
    bursts: Items[BurstSpec] = ()
    delivery: DeliverySpec = Field(default_factory=DeliverySpec)
    profile: Literal["marketo-legacy", "adobe-io"] = "marketo-legacy"
    """marketo-legacy: the direct batch push; adobe-io: CloudEvents through Adobe I/O Events."""
    stream: Literal["lead-activity", "user-audit", "notification"] = "lead-activity"
    components: Names = "all"
    """User Audit component types (user-audit stream)."""
    notifications: Names = "all"
    """Notification kinds (notification stream)."""
    io: IoSpec = Field(default_factory=IoSpec)
    tls: TlsSpec = Field(default_factory=TlsSpec)
    retry_stale_connection: bool = True
    """Send a push once more, on a new connection, when the consumer closed the reused one before
    any byte of an answer: that is no delivery attempt (undocumented; see the README)."""

    @model_validator(mode="after")
    def _profile_fits(self) -> SubscriptionSpec:
        given = self.model_fields_set
        if self.tls.ca_file is not None and not self.endpoint.startswith("https://"):
            raise Invalid("only applies to an https endpoint", at=("tls", "caFile"))
        if self.stream != "lead-activity" and self.profile != "adobe-io":
            raise Invalid(
                f"{self.stream} is only delivered by Adobe I/O: add profile: adobe-io", at="stream"
            )
        wrong = _LEGACY_ONLY if self.profile == "adobe-io" else ("io",)
        for name in wrong:
            if name in given:
                hint = "; use io: instead" if self.profile == "adobe-io" else ""
                raise Invalid(f"does not apply to profile {self.profile}{hint}", at=to_camel(name))
        for stream, name in _STREAM_KEYS.items():
            if name in given and stream != self.stream:
                raise Invalid(f"only applies to stream {stream}", at=to_camel(name))
        _check_names(self.components, "components", "find_audit_component")
        _check_names(self.notifications, "notifications", "find_notification_kind")
        return self


def _check_names(names: str | tuple[str, ...], key: str, finder: str) -> None:
    if names == "all":
        return
    find = getattr(catalog, finder)
    for index, name in enumerate(names):
        try:
            find(name)
        except ConfigError as exc:
            raise Invalid(str(exc), at=(key, index)) from None
