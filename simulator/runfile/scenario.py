"""Run files: one YAML file describes a simulated run, and `load_run` turns it into frozen specs.

The file format (camelCase keys, like Marketo's own `munchkinId`) is the pydantic models below:
`RunSpec` at the top, then `SubscriptionSpec` and its parts; the embedded receiver's are in
`endpointspec`. The same models give the JSON Schema (`run_json_schema()`), so the format is
written down exactly once. Scenario files are run files with a `timeline:` and an `expect:`
(their models are in `steps`).

Validation is strict: unknown keys, wrong types ("500" for 500, `true` for 1) and out-of-range
values are errors, never coerced. The field types and their checks are in `fields`; reading the
YAML and turning every error into one `ScenarioError` naming file, line and field is `yamlsource`.
Cross-field checks live here, in the models, and raise `Invalid(message, at=...)` to point at the
key they blame rather than at the model as a whole.

Secrets never appear in the file: it names environment variables (`tokenEnv`, `clientSecretEnv`),
and loading resolves them into `Secret` values that never print their content.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic.alias_generators import to_camel

from simulator.errors import ConfigError, ScenarioError
from simulator.payloads import catalog
from simulator.runfile.endpointspec import OAuthServerSpec, OutageSpec, ReceiverSpec
from simulator.runfile.fields import (
    DAY,
    ActivityTypes,
    Count,
    Duration,
    Endpoint,
    EnvSecret,
    HeaderName,
    Invalid,
    Items,
    Pattern,
    PositiveDuration,
    Range,
    Rate,
    Scheme,
    Secret,
    Spec,
    Timestamp,
    describe,
    parse_duration,
)
from simulator.runfile.steps import ExpectSpec, StepSpec
from simulator.runfile.yamlsource import SecretNotSet, explain, field_path, first_error, read_yaml

__all__ = [
    "AuthSpec",
    "BurstSpec",
    "DeliverySpec",
    "OAuthServerSpec",
    "OutageSpec",
    "ReceiverSpec",
    "RunSpec",
    "Secret",
    "SecretNotSet",
    "SubscriptionSpec",
    "load_run",
    "parse_duration",
    "parse_run",
    "run_json_schema",
]


# ---------------------------------------------------------------------------------------------
# The file format.


class DeliverySpec(Spec):
    """How Marketo delivers to one endpoint; the defaults are the legacy contract."""

    timeout: PositiveDuration = 20.0
    retries: Count = 3
    """Retries of a failed batch before the subscription pauses."""
    retry_interval: PositiveDuration = 180.0
    probe_interval: PositiveDuration = 180.0
    """While paused, how often the head batch is tried again."""
    retention: PositiveDuration = 7 * DAY
    backlog: Literal["catch-up", "paced"] = "catch-up"
    """catch-up: with a full batch queued, push as soon as the last one is acknowledged."""
    max_response_bytes: Count = 65536
    """How much of a response body is read."""


class BurstSpec(Spec):
    """`count` extra events once (`at`) or repeatedly (`every`, starting `from`)."""

    at: Duration | None = None
    every: PositiveDuration | None = None
    start: Duration = Field(0.0, alias="from")
    count: Annotated[int, Range(1)]

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
    token: EnvSecret | None = Field(None, alias="tokenEnv")
    header: HeaderName = "Authorization"
    scheme: Scheme = "Bearer"
    """Word before the token in the header; "" sends the raw token."""
    token_url: Endpoint | None = None
    """The IdP's token URL, or embedded for the embedded receiver's IdP."""
    client_id: EnvSecret | None = Field(None, alias="clientIdEnv")
    client_secret: EnvSecret | None = Field(None, alias="clientSecretEnv")
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
    max_bytes: Annotated[int, Range(1024)] = 2 * 1024 * 1024
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
    hmac_secret: EnvSecret | None = Field(None, alias="hmacSecretEnv")
    """Also send the legacy x-adobe-signature HMAC, keyed with this client secret."""
    audit_schema: Literal["V2.0", "V1.0"] = "V2.0"
    """User Audit payload shape."""
    duplicate_rate: Rate = 0.0
    """Anomaly: this share of acknowledged deliveries is delivered again a minute later."""
    reorder: bool = False
    """Anomaly: the events of each batch are sent newest first."""


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
    rate: Annotated[float, Range(0)] = 10.0
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

    @model_validator(mode="after")
    def _profile_fits(self) -> SubscriptionSpec:
        given = self.model_fields_set
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


class AdobeIoSpec(Spec):
    """The Adobe I/O Events side shared by every adobe-io subscription."""

    ims_org_id: Annotated[str, Pattern(r"[A-Za-z0-9]{1,64}@AdobeOrg", "must end in @AdobeOrg")] = (
        "0123456789ABCDEF01234567@AdobeOrg"
    )
    key_files: Items[str] = ()
    """Two PEM private keys to sign with (default: two new RSA-2048 keys per run)."""

    @model_validator(mode="after")
    def _two_keys(self) -> AdobeIoSpec:
        if self.key_files and len(self.key_files) != 2:
            raise Invalid("needs exactly two PEM files, one per signature", at="keyFiles")
        return self


class RunSpec(Spec):
    """A whole run: the Marketo instance, its subscriptions and the embedded receiver."""

    munchkin_id: Annotated[str, Pattern(r"\d{3}-[A-Z]{3}-\d{3}", "must look like 123-ABC-456")]
    seed: Count = 0
    start: Timestamp | None = None
    """Simulated wall time at t=0; none lets the clock decide."""
    duration: PositiveDuration | None = None
    """Run length in simulated time; none runs until stopped."""
    receiver: ReceiverSpec = Field(default_factory=ReceiverSpec)
    adobe_io: AdobeIoSpec = Field(default_factory=AdobeIoSpec)
    subscriptions: Items[SubscriptionSpec] = Field(json_schema_extra={"minItems": 1})
    timeline: Items[StepSpec] = ()
    """Scenario steps, played on the simulated clock."""
    expect: Items[ExpectSpec] = ()
    """Scenario expectations, judged during and after the run."""
    _file: str = PrivateAttr("<string>")

    @property
    def file(self) -> str:
        """The file it was loaded from, for messages."""
        return self._file

    @model_validator(mode="after")
    def _consistent(self) -> RunSpec:
        # (not min_length: pydantic then also calls a list "too short" when an item is invalid)
        if not self.subscriptions:
            raise Invalid("must list at least one subscription", at="subscriptions")
        seen: dict[str, int] = {}
        for index, subscription in enumerate(self.subscriptions):
            if subscription.name in seen:
                message = (
                    f"{subscription.name!r} is taken by subscriptions[{seen[subscription.name]}]"
                )
                raise Invalid(message, at=("subscriptions", index, "name"))
            seen[subscription.name] = index
            if subscription.auth.token_url == "embedded" and self.receiver.oauth is None:
                message = "embedded needs an identity provider: add receiver.oauth"
                raise Invalid(message, at=("subscriptions", index, "auth", "tokenUrl"))
        check_scenario(self, seen)
        return self

    def step_times(self) -> list[tuple[float, StepSpec]]:
        """Each timeline step with its simulated time, in time order (stable for equal times)."""
        timed, previous = [], 0.0
        for step in self.timeline:
            previous = step.at if step.at is not None else previous + (step.after or 0.0)
            timed.append((previous, step))
        return sorted(timed, key=lambda pair: pair[0])

    def with_overrides(
        self, *, seed: int | None = None, duration: float | str | None = None
    ) -> RunSpec:
        """A copy with the command line's --seed / --duration, checked like the file's values."""
        given = {"seed": seed, "duration": duration}
        changes = {name: value for name, value in given.items() if value is not None}
        if not changes:
            return self
        try:
            spec = RunSpec.model_validate({**dict(self), **changes})
        except ValidationError as exc:
            loc, message = explain(exc.errors()[0], RunSpec, _RESERVED)
            raise ConfigError(f"--{field_path(loc)}: {message}") from None
        spec._file = self._file
        return spec


_RESERVED: dict[str, str] = {}


def check_scenario(run: RunSpec, names: dict[str, int]) -> None:
    """Steps and expectations name subscriptions that exist and actions that fit them."""
    profiles = {s.name: s.profile for s in run.subscriptions}
    for index, step in enumerate(run.timeline):
        where = ("timeline", index)
        name = step.subscription
        if name is not None and name not in names:
            raise Invalid(_unknown(name, names), at=(*where, to_camel(step.action)))
        if step.action in ("deprovision", "reprovision") and profiles.get(name) != "marketo-legacy":
            raise Invalid("applies to marketo-legacy subscriptions", at=(*where, step.action))
        if step.action in ("enable", "backfill") and profiles.get(name) != "adobe-io":
            raise Invalid("applies to adobe-io subscriptions", at=(*where, step.action))
        if step.action in ("expire_tokens", "idp_failures") and run.receiver.oauth is None:
            raise Invalid(
                "needs the embedded identity provider: add receiver.oauth",
                at=(*where, to_camel(step.action)),
            )
    for index, expect in enumerate(run.expect):
        if expect.subscription is not None and expect.subscription not in names:
            raise Invalid(
                _unknown(expect.subscription, names), at=("expect", index, "subscription")
            )


def _unknown(name: str, names: dict[str, int]) -> str:
    return f"no subscription is named {name!r} (there are: {', '.join(names)})"


def run_json_schema() -> dict[str, Any]:
    """The JSON Schema of a run file, for editors."""
    schema = RunSpec.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": "marketo-stream-simulator run file",
    }


# ---------------------------------------------------------------------------------------------
# Loading.


def load_run(path: str | os.PathLike[str], *, environ: Mapping[str, str] | None = None) -> RunSpec:
    """Read and validate a run file; secrets come from `environ` (default `os.environ`)."""
    file = os.fspath(path)
    try:
        text = Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"can't read it: {exc.strerror}", file=file) from None
    except UnicodeDecodeError:
        raise ScenarioError("is not UTF-8 text", file=file) from None
    return parse_run(text, file=file, environ=environ)


def parse_run(
    text: str, *, file: str = "<string>", environ: Mapping[str, str] | None = None
) -> RunSpec:
    """Validate the YAML text of a run file; `file` only names it in messages."""
    document = read_yaml(text, file)
    if document is None:
        raise ScenarioError("is empty: a run needs munchkinId and subscriptions", file=file)
    root, data = document
    if not isinstance(data, dict):
        message = f"must be a mapping with munchkinId and subscriptions (got {describe(data)})"
        raise ScenarioError(message, file=file, line=root.start_mark.line + 1)
    context = {"environ": os.environ if environ is None else environ}
    try:
        # by_name=False: the file must use the camelCase keys; snake_case names are for Python code.
        spec = RunSpec.model_validate(data, context=context, by_alias=True, by_name=False)
    except ValidationError as exc:
        raise first_error(exc, root, file, RunSpec, _RESERVED) from None
    spec._file = file
    return spec
