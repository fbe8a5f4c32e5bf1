"""Run files: one YAML file describes a simulated run, and `load_run` turns it into frozen specs.

The file format (camelCase keys, like Marketo's own `munchkinId`) is pydantic models: `RunSpec`
at the top, here, with the Adobe I/O side it shares; one subscription and its parts in
`subscription`; the embedded receiver in `endpointspec`. The same models give the JSON Schema
(`run_json_schema()`), so the format is written down exactly once. Scenario files are run files
with a `timeline:` and an `expect:` (their models are in `steps`).

Validation is strict: unknown keys, wrong types ("500" for 500, `true` for 1) and out-of-range
values are errors, never coerced. The field types and their checks are in `fields`; reading the
YAML and turning every error into one `ScenarioError` naming file, line and field is `yamlsource`.
Cross-field checks live in the models, and raise `Invalid(message, at=...)` to point at the key
they blame rather than at the model as a whole; those across a whole run are here.

Secrets never appear in the file: it names environment variables (`tokenEnv`, `clientSecretEnv`),
and loading resolves them into `Secret` values that never print their content.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from simulator.core.bounds import FILE_BYTES_MAX
from simulator.errors import ConfigError, ScenarioError
from simulator.payloads.locales import SHIPPED, UnknownLocale, check_locale
from simulator.runfile.endpointspec import OAuthServerSpec, OutageSpec, ReceiverSpec
from simulator.runfile.fields import (
    Invalid,
    Items,
    Pattern,
    PositiveDuration,
    Secret,
    Seed,
    Spec,
    Timestamp,
    describe,
    parse_duration,
    seconds,
)
from simulator.runfile.steps import ExpectSpec, StepSpec
from simulator.runfile.subscription import AuthSpec, BurstSpec, DeliverySpec, SubscriptionSpec
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
    "check_run",
    "load_run",
    "parse_duration",
    "parse_run",
    "run_json_schema",
]


# ---------------------------------------------------------------------------------------------
# The file format.


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
    seed: Seed = 0
    locale: str = SHIPPED
    """Language of the world's names: en_US (shipped data) or any locale Faker has."""
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
    # A shard's run (`only`): every subscription of the file, of which `subscriptions` is a slice.
    _whole: tuple[SubscriptionSpec, ...] | None = PrivateAttr(None)

    @property
    def file(self) -> str:
        """The file it was loaded from, for messages."""
        return self._file

    @property
    def whole(self) -> tuple[SubscriptionSpec, ...]:
        """Every subscription of the file, also when this run plays a slice of them."""
        return self._whole if self._whole is not None else self.subscriptions

    @property
    def sliced(self) -> bool:
        """This run plays only some of the file's subscriptions (a shard)."""
        return len(self.subscriptions) < len(self.whole)

    def positions(self) -> dict[str, int]:
        """Each subscription's index in the file, whatever slice this run plays: what its
        messageIds are numbered by, so a shard sends the ids the whole run sends."""
        return {spec.name: index for index, spec in enumerate(self.whole)}

    def only(self, names: set[str]) -> RunSpec:
        """A copy that plays the subscriptions named (in the file's order) and remembers the
        others; its timeline and expectations are the file's (a shard skips what is not its)."""
        kept = tuple(spec for spec in self.subscriptions if spec.name in names)
        copy = self.model_copy(update={"subscriptions": kept})
        copy._file, copy._whole = self._file, self.whole
        return copy

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        try:
            return check_locale(value)
        except UnknownLocale as error:
            raise ValueError(str(error)) from None

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
        """Each timeline step with its simulated time, in time order (the file's order: a step
        before the one above it is refused)."""
        timed, previous = [], 0.0
        for step in self.timeline:
            previous = step.at if step.at is not None else previous + (step.after or 0.0)
            timed.append((previous, step))
        return timed

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
    previous = 0.0
    for index, step in enumerate(run.timeline):
        where = ("timeline", index)
        if step.at is not None and step.at < previous:
            # A file read top to bottom is the timeline: a step listed after a later one is a
            # slip (a wrong unit, a pasted line), not a wish to reorder.
            message = f"is before the previous step ({seconds(previous)}): list steps in time order"
            raise Invalid(message, at=(*where, "at"))
        previous = step.at if step.at is not None else previous + (step.after or 0.0)
        problem = step_problem(step, profiles, oauth=run.receiver.oauth is not None)
        if problem is not None:
            raise Invalid(problem.message, at=(*where, problem.field))
    for index, expect in enumerate(run.expect):
        if expect.subscription is not None and expect.subscription not in names:
            raise Invalid(
                _unknown(expect.subscription, names), at=("expect", index, "subscription")
            )


@dataclass(frozen=True, slots=True)
class StepProblem:
    """Why a step does not fit a run: `unknown` when it names no subscription of the run, else it
    does not apply to what it names (an action for the other profile, a missing identity
    provider); `field` is the step's key at fault."""

    message: str
    field: str
    unknown: bool = False


def step_problem(step: StepSpec, profiles: Mapping[str, str], *, oauth: bool) -> StepProblem | None:
    """The one check of a step against a run (`profiles`: each subscription's profile; `oauth`:
    the run has the embedded identity provider), for a file's timeline and a step applied while
    the run goes (`simulator.control`); None when it fits."""
    name, field = step.subscription, to_camel(step.action)
    if name is not None and name not in profiles:
        return StepProblem(_unknown(name, profiles), field, unknown=True)
    profile = profiles.get(name) if name is not None else None
    if step.action in ("deprovision", "reprovision") and profile != "marketo-legacy":
        return StepProblem("applies to marketo-legacy subscriptions", field)
    if step.action in ("enable", "backfill") and profile != "adobe-io":
        return StepProblem("applies to adobe-io subscriptions", field)
    if step.action in ("expire_tokens", "idp_failures") and not oauth:
        return StepProblem("needs the embedded identity provider: add receiver.oauth", field)
    return None


def _unknown(name: str, names: Mapping[str, object]) -> str:
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
        with Path(file).open("rb") as stream:
            data = stream.read(FILE_BYTES_MAX + 1)  # a bound, even on a pipe or a device
    except OSError as exc:
        raise ScenarioError(f"can't read it: {exc.strerror}", file=file) from None
    if len(data) > FILE_BYTES_MAX:
        raise ScenarioError(_too_large(), file=file)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError("is not UTF-8 text", file=file) from None
    return parse_run(text, file=file, environ=environ)


def _too_large() -> str:
    return f"is larger than {FILE_BYTES_MAX // 1024} KiB: a run file is a few KiB"


def check_run(
    path: str | os.PathLike[str], *, environ: Mapping[str, str] | None = None
) -> tuple[RunSpec, list[SecretNotSet]]:
    """Validate a run file as `load_run` does, but with its secrets optional: what `check`
    does in a CI job that has no secrets. Each unset variable is returned as the located
    SecretNotSet that `load_run` would raise (a warning to show), and the file is validated
    as if it were set."""
    given = dict(os.environ if environ is None else environ)
    unset: list[SecretNotSet] = []
    while True:  # one more variable each time round: as many rounds as the file names variables
        try:
            return load_run(path, environ=given), unset
        except SecretNotSet as exc:
            name = exc.variable
            if name in given:  # set but refused again: nothing more to learn
                raise
            unset.append(exc)
            given[name] = "unset-in-check"  # never sent: `check` sends nothing


def parse_run(
    text: str, *, file: str = "<string>", environ: Mapping[str, str] | None = None
) -> RunSpec:
    """Validate the YAML text of a run file; `file` only names it in messages."""
    if len(text) > FILE_BYTES_MAX:
        raise ScenarioError(_too_large(), file=file)
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
