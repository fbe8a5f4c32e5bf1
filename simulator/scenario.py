"""Run files: one YAML file describes a simulated run, and `load_run` turns it into frozen specs.

The file format (camelCase keys, like Marketo's own `munchkinId`) is the pydantic models below:
`RunSpec` at the top, then `ReceiverSpec`, `SubscriptionSpec` and their parts. The same models give
the JSON Schema (`run_json_schema()`), so the format is written down exactly once. Scenario files
will add `timeline:` and `expect:` to this same schema; until then those keys are refused.

Validation is strict: unknown keys, wrong types ("500" for 500, `true` for 1) and out-of-range
values are errors, never coerced. Every error becomes one `ScenarioError` naming file, line and
field. pydantic reports *where* as a `loc` path such as `("subscriptions", 0, "batchSize")`; the
line comes from walking the same path through the `yaml` node tree, which keeps each node's
position. Our own validators raise `_Invalid(message, at=...)` to point below the value they check
(a list item, a sibling key), since pydantic only knows the location of the value as a whole.

An error is reported at the line of the deepest node its path reaches (a key, or a list item);
a missing key at the mapping that lacks it. When there are several, the first by position wins,
with a missing key ordered at the end of its mapping, so that a misspelled key is reported rather
than the "is required" it causes.

Secrets never appear in the file: it names environment variables (`tokenEnv`, `clientSecretEnv`),
and loading resolves them into `Secret` values that never print their content.
"""

from __future__ import annotations

import difflib
import hmac
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import ErrorDetails, core_schema

from .catalog import ActivityType, find_activity_type, select_activity_types
from .errors import ConfigError, MissingSecret, ScenarioError, UnknownActivityType

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

DAY = 86_400.0


class SecretNotSet(ScenarioError, MissingSecret):
    """The file names an environment variable for a secret, and that variable is unset."""


class Secret:
    """A credential read from the environment; `repr` and `str` never show it, `reveal()` does."""

    __slots__ = ("_env", "_value")

    def __init__(self, value: str, *, env: str | None = None) -> None:
        self._value = value
        self._env = env

    @property
    def env(self) -> str | None:
        """The environment variable it came from (None when built in code)."""
        return self._env

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('****')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        # Constant-time, because a receiver may compare a presented token with this one.
        return isinstance(other, Secret) and hmac.compare_digest(
            other._value.encode(), self._value.encode()
        )

    def __hash__(self) -> int:
        return hash(self._value)


# ---------------------------------------------------------------------------------------------
# Durations: a YAML number is seconds; text is one or more `<number><unit>`, largest unit first.

_UNIT_SECONDS = {"d": DAY, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_DURATION_HINT = "a number of seconds, or text like 500ms, 2s, 3m, 1h30m, 7d"


def parse_duration(value: str | int | float) -> float:
    """Seconds in `value` (90, 2.5, "500ms", "1h30m"); ValueError says what is wrong with it."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"must be a duration: {_DURATION_HINT} (got {_describe(value)})")
    seconds = _parse_duration_text(value.strip()) if isinstance(value, str) else float(value)
    if not math.isfinite(seconds):
        raise ValueError(f"must be a finite duration (got {value!r})")
    if seconds < 0:
        raise ValueError(f"must not be negative (got {value!r})")
    return seconds


def _parse_duration_text(text: str) -> float:
    if text.startswith("-"):
        raise ValueError(f"must not be negative (got {text!r})")
    parts = _DURATION_PART.findall(text)
    if "".join(number + unit for number, unit in parts) != text or not parts:
        if re.fullmatch(r"\d+(\.\d+)?", text):
            raise ValueError(f"{text!r} has no unit: write {text}s, or a bare number for seconds")
        raise ValueError(f"{text!r} is not a duration: use {_DURATION_HINT}")
    units = [unit for _, unit in parts]
    if units != sorted(set(units), key=list(_UNIT_SECONDS).index):
        raise ValueError(f"{text!r}: give each unit once, largest first (like 1h30m)")
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def _seconds(value: float) -> str:
    return f"{value:g}s"


def _positive_duration(value: float) -> float:
    if value <= 0:
        raise ValueError(f"must be longer than 0s (got {_seconds(value)})")
    return value


_DURATION_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0},
        {"type": "string", "pattern": r"^(\d+(\.\d+)?(d|h|m|s|ms))+$"},
    ],
    "description": "seconds, or text like 500ms, 2s, 3m, 1h30m, 7d",
}
_Duration = Annotated[float, BeforeValidator(parse_duration), WithJsonSchema(_DURATION_SCHEMA)]
_PositiveDuration = Annotated[_Duration, AfterValidator(_positive_duration)]


# ---------------------------------------------------------------------------------------------
# Checks that carry their own message and JSON Schema keyword (pydantic's are less specific).


class _Invalid(ValueError):
    """A failure that belongs below the checked value: `at` is the key or index it points to."""

    def __init__(self, message: str, *, at: str | int | tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.at = at if isinstance(at, tuple) else (at,)


@dataclass(frozen=True, slots=True)
class _Range:
    """Inclusive bounds (`high` None: no upper bound), with a message that gives both."""

    low: float
    high: float | None = None

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: Any, handler: GetJsonSchemaHandler) -> Any:
        upper = {} if self.high is None else {"maximum": self.high}
        return {**handler(schema), "minimum": self.low, **upper}

    def _check(self, value: float) -> float:
        if self.high is None and value < self.low:
            raise ValueError(f"must be at least {self.low:g} (got {_number(value)})")
        if self.high is not None and not self.low <= value <= self.high:
            wanted = f"between {self.low:g} and {self.high:g}"
            raise ValueError(f"must be {wanted} (got {_number(value)})")
        return value


@dataclass(frozen=True, slots=True)
class _Pattern:
    regex: str
    hint: str

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: Any, handler: GetJsonSchemaHandler) -> Any:
        return {**handler(schema), "pattern": f"^({self.regex})$"}

    def _check(self, value: str) -> str:
        if not re.fullmatch(self.regex, value):
            raise ValueError(f"{self.hint} (got {value!r})")
        return value


_T = TypeVar("_T")


def _list_to_tuple(value: Any) -> Any:
    # YAML gives lists; strict pydantic accepts only tuples for tuple fields, and specs are frozen.
    return tuple(value) if isinstance(value, list) else value


_Items = Annotated[tuple[_T, ...], BeforeValidator(_list_to_tuple)]
_Status = Annotated[int, _Range(100, 599)]
_Rate = Annotated[float, _Range(0, 1)]
_Count = Annotated[int, _Range(0)]
_Endpoint = Annotated[
    str, _Pattern(r"embedded|https?://[^\s/?#]+([/?#]\S*)?", "must be embedded or an http(s) URL")
]
_ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_HeaderName = Annotated[
    str, _Pattern(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", "must be an HTTP header name")
]
_Scheme = Annotated[
    str, _Pattern(r"[!#$%&'*+.^_`|~0-9A-Za-z-]*", 'must be one word like Bearer, or "" for none')
]


def _timestamp(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            message = f"must be a date and time like 2026-01-01T00:00:00Z (got {value!r})"
            raise ValueError(message) from None
    if isinstance(value, datetime) and value.utcoffset() is None:
        raise ValueError(f"needs a timezone, like 2026-01-01T00:00:00Z (got {value.isoformat()})")
    return value.astimezone(UTC) if isinstance(value, datetime) else value


_Timestamp = Annotated[
    datetime, BeforeValidator(_timestamp), WithJsonSchema({"type": "string", "format": "date-time"})
]


class _FromEnv:
    """A `Secret` field: the file gives an environment variable name, resolved at load time.

    Code may pass a `Secret` directly; a plain string is a variable name, as in the file.
    """

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return core_schema.with_info_plain_validator_function(
            cls._resolve,
            serialization=core_schema.plain_serializer_function_ser_schema(lambda s: s.env),
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: GetJsonSchemaHandler) -> Any:
        return {"type": "string", "pattern": f"^{_ENV_NAME}$", "description": "env variable name"}

    @staticmethod
    def _resolve(value: Any, info: ValidationInfo) -> Secret:
        if isinstance(value, Secret):
            return value
        if not isinstance(value, str) or not re.fullmatch(_ENV_NAME, value):
            raise ValueError(f"must name an environment variable (got {_describe(value)})")
        environ = (info.context or {}).get("environ", os.environ)
        if not environ.get(value):  # empty counts as unset: an empty secret is never meant
            raise _Unset(value)
        return Secret(environ[value], env=value)


class _Unset(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"environment variable {name} is not set: export {name}=... and rerun")


_EnvSecret = Annotated[Secret, _FromEnv]


def _activity_types(value: Any) -> tuple[ActivityType, ...]:
    if value == "all":
        return select_activity_types("all")
    if not isinstance(value, list | tuple) or not value:
        message = "must be all or a non-empty list of activity type names or ids"
        raise ValueError(f"{message} (got {_describe(value)})")
    resolved: list[ActivityType] = []
    for index, ref in enumerate(value):
        found = ref if isinstance(ref, ActivityType) else _activity_type(ref, index)
        if found in resolved:
            raise _Invalid(f"{found.name!r} is listed twice", at=index)
        resolved.append(found)
    return tuple(resolved)


def _activity_type(ref: Any, index: int) -> ActivityType:
    if isinstance(ref, bool) or not isinstance(ref, str | int):
        raise _Invalid(f"must be an activity type name or id (got {_describe(ref)})", at=index)
    try:
        return find_activity_type(ref)
    except UnknownActivityType as exc:
        raise _Invalid(str(exc), at=index) from None


_ActivityTypes = Annotated[
    tuple[ActivityType, ...],
    PlainValidator(_activity_types),
    PlainSerializer(lambda types: [t.id for t in types]),
    WithJsonSchema(
        {
            "anyOf": [
                {"const": "all"},
                {"type": "array", "minItems": 1, "items": {"type": ["string", "integer"]}},
            ],
            "description": 'activity type names or ids, or "all"',
        }
    ),
]


# ---------------------------------------------------------------------------------------------
# The file format.


class _Spec(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        validate_by_name=True,  # Python code builds specs by attribute name...
        validate_by_alias=True,  # ...files use the camelCase keys (parse_run turns names off)
        alias_generator=to_camel,
        allow_inf_nan=False,
        use_attribute_docstrings=True,
        field_title_generator=lambda name, info: info.alias or to_camel(name),
    )


class DeliverySpec(_Spec):
    """How Marketo delivers to one endpoint; the defaults are the legacy contract."""

    timeout: _PositiveDuration = 20.0
    retries: _Count = 3
    """Retries of a failed batch before the subscription pauses."""
    retry_interval: _PositiveDuration = 180.0
    probe_interval: _PositiveDuration = 180.0
    """While paused, how often the head batch is tried again."""
    retention: _PositiveDuration = 7 * DAY
    backlog: Literal["catch-up", "paced"] = "catch-up"
    """catch-up: with a full batch queued, push as soon as the last one is acknowledged."""
    max_response_bytes: _Count = 65536
    """How much of a response body is read."""


class BurstSpec(_Spec):
    """`count` extra events once (`at`) or repeatedly (`every`, starting `from`)."""

    at: _Duration | None = None
    every: _PositiveDuration | None = None
    start: _Duration = Field(0.0, alias="from")
    count: Annotated[int, _Range(1)]

    @model_validator(mode="after")
    def _once_or_repeating(self) -> BurstSpec:
        if self.at is not None and self.every is not None:
            raise _Invalid("give either at (once) or every (repeating), not both", at="every")
        if self.at is None and self.every is None:
            raise _Invalid("needs at (once) or every (repeating)")
        if self.at is not None and "start" in self.model_fields_set:
            raise _Invalid("only applies with every", at="from")
        return self


class AuthSpec(_Spec):
    """How Marketo authenticates to the endpoint: nothing, a static token, or OAuth."""

    type: Literal["none", "token", "oauth"] = "none"
    token: _EnvSecret | None = Field(None, alias="tokenEnv")
    header: _HeaderName = "Authorization"
    scheme: _Scheme = "Bearer"
    """Word before the token in the header; "" sends the raw token."""
    token_url: _Endpoint | None = None
    """The IdP's token URL, or embedded for the embedded receiver's IdP."""
    client_id: _EnvSecret | None = Field(None, alias="clientIdEnv")
    client_secret: _EnvSecret | None = Field(None, alias="clientSecretEnv")
    client_auth: Literal["basic", "body"] = "basic"
    scope: str | None = None
    refresh_margin: _Duration = 60.0
    """Get a new token this long before the current one expires."""

    @model_validator(mode="after")
    def _keys_fit_type(self) -> AuthSpec:
        required, allowed = _AUTH_KEYS[self.type]
        for name in type(self).model_fields:
            alias = type(self).model_fields[name].alias or name
            if name in self.model_fields_set and name not in {"type", *allowed}:
                raise _Invalid(f"does not apply to type {self.type}", at=alias)
            if name in required and getattr(self, name) is None:
                raise _Invalid(f"is required with type {self.type}", at=alias)
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


class SubscriptionSpec(_Spec):
    """One Data Streams subscription: what Marketo pushes, where, and how fast."""

    name: Annotated[
        str, _Pattern(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", "must be 1-64 letters, digits, _ . -")
    ]
    endpoint: _Endpoint = "embedded"
    activity_types: _ActivityTypes = Field("all", validate_default=True)
    auth: AuthSpec = Field(default_factory=AuthSpec)
    batch_size: Annotated[int, _Range(100, 500)] = 500
    push_interval: _PositiveDuration = 2.0
    rate: Annotated[float, _Range(0)] = 10.0
    """Events per second."""
    bursts: _Items[BurstSpec] = ()
    delivery: DeliverySpec = Field(default_factory=DeliverySpec)


class OAuthServerSpec(_Spec):
    """The embedded receiver's mock identity provider."""

    client_id: _EnvSecret = Field(alias="clientIdEnv")
    client_secret: _EnvSecret = Field(alias="clientSecretEnv")
    token_ttl: _PositiveDuration = 3600.0


class OutageSpec(_Spec):
    """A window of simulated time, since the start, in which the embedded receiver fails."""

    start: _Duration = Field(alias="from")
    end: _PositiveDuration = Field(alias="to")
    mode: Literal["refuse", "status", "hang", "reset"] = "refuse"
    status: _Status = 503
    """The answer in mode status."""

    @model_validator(mode="after")
    def _window(self) -> OutageSpec:
        if self.end <= self.start:
            raise _Invalid(f"must be after from ({_seconds(self.start)})", at="to")
        if self.mode != "status" and "status" in self.model_fields_set:
            raise _Invalid("only applies with mode: status", at="status")
        return self


class ReceiverSpec(_Spec):
    """The embedded development endpoint (used by subscriptions whose endpoint is embedded)."""

    token: _EnvSecret | None = Field(None, alias="tokenEnv")
    """Variable holding the static token it expects."""
    oauth: OAuthServerSpec | None = None
    status: _Status = 200
    """The answer when nothing below makes it fail."""
    failure_rate: _Rate = 0.0
    """Share of pushes answered with failureStatus (seeded draws)."""
    failure_status: _Status = 503
    latency: _Duration = 0.0
    """Delay before each answer; at or above the delivery timeout, pushes time out."""
    hang: bool = False
    """Never answer, so every push times out."""
    reset: bool = False
    """Read each push, then drop the connection without answering."""
    outages: _Items[OutageSpec] = ()


class RunSpec(_Spec):
    """A whole run: the Marketo instance, its subscriptions and the embedded receiver."""

    munchkin_id: Annotated[str, _Pattern(r"\d{3}-[A-Z]{3}-\d{3}", "must look like 123-ABC-456")]
    seed: _Count = 0
    start: _Timestamp | None = None
    """Simulated wall time at t=0; none lets the clock decide."""
    duration: _PositiveDuration | None = None
    """Run length in simulated time; none runs until stopped."""
    receiver: ReceiverSpec = Field(default_factory=ReceiverSpec)
    subscriptions: _Items[SubscriptionSpec] = Field(json_schema_extra={"minItems": 1})
    _file: str = PrivateAttr("<string>")

    @property
    def file(self) -> str:
        """The file it was loaded from, for messages."""
        return self._file

    @model_validator(mode="after")
    def _consistent(self) -> RunSpec:
        # (not min_length: pydantic then also calls a list "too short" when an item is invalid)
        if not self.subscriptions:
            raise _Invalid("must list at least one subscription", at="subscriptions")
        seen: dict[str, int] = {}
        for index, subscription in enumerate(self.subscriptions):
            if subscription.name in seen:
                message = (
                    f"{subscription.name!r} is taken by subscriptions[{seen[subscription.name]}]"
                )
                raise _Invalid(message, at=("subscriptions", index, "name"))
            seen[subscription.name] = index
            if subscription.auth.token_url == "embedded" and self.receiver.oauth is None:
                message = "embedded needs an identity provider: add receiver.oauth"
                raise _Invalid(message, at=("subscriptions", index, "auth", "tokenUrl"))
        return self

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
            loc, message = _explain(exc.errors()[0])
            raise ConfigError(f"--{_field_path(loc)}: {message}") from None
        spec._file = self._file
        return spec


_RESERVED = {
    "timeline": "not supported yet: timeline steps arrive with scenario files; remove it for now",
    "expect": "not supported yet: expectations arrive with scenario files; remove it for now",
}


def run_json_schema() -> dict[str, Any]:
    """The JSON Schema of a run file, for editors."""
    schema = RunSpec.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": "marketo-stream-simulator run file",
    }


# ---------------------------------------------------------------------------------------------
# Loading, and turning validation errors into located ScenarioErrors.


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
    root, data = _read_yaml(text, file)
    if not isinstance(data, dict):
        message = f"must be a mapping with munchkinId and subscriptions (got {_describe(data)})"
        raise ScenarioError(message, file=file, line=root.start_mark.line + 1)
    context = {"environ": os.environ if environ is None else environ}
    try:
        # by_name=False: the file must use the camelCase keys; snake_case names are for Python code.
        spec = RunSpec.model_validate(data, context=context, by_alias=True, by_name=False)
    except ValidationError as exc:
        raise _first_error(exc, root, file) from None
    spec._file = file
    return spec


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as text, so `start` is checked (and located) by us."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


def _read_yaml(text: str, file: str) -> tuple[yaml.Node, Any]:
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise ScenarioError("is empty: a run needs munchkinId and subscriptions", file=file)
        _check_keys(root, file)
        return root, loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, file) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"invalid YAML: {exc}", file=file) from None
    finally:
        loader.dispose()


def _yaml_error(exc: yaml.MarkedYAMLError, file: str) -> ScenarioError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "unreadable"
    if "'\\t'" in problem:
        problem = "a tab character: indent with spaces"
    elif problem.startswith("but"):  # "expected a single document ... but found another document"
        problem = f"{exc.context} {problem}"
    elif problem.startswith("expected") or problem.endswith("not allowed here"):
        problem += " (check the indentation)"
    return ScenarioError(
        f"invalid YAML: {problem}", file=file, line=mark.line + 1 if mark else None
    )


def _check_keys(root: yaml.Node, file: str) -> None:
    """Refuse what PyYAML lets through: a repeated key (it keeps the last) and non-text keys."""
    problems: list[ScenarioError] = []
    visited: set[int] = set()  # aliases share nodes, and may even make cycles
    stack: list[tuple[yaml.Node, tuple[str | int, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*path, index)) for index, item in enumerate(node.value))
        elif isinstance(node, yaml.MappingNode):
            problems.extend(_key_problems(node, path, file))
            stack.extend((v, (*path, k.value)) for k, v in node.value if k.tag == _TEXT)
    if problems:
        raise min(problems, key=lambda error: error.line or 0)


_TEXT = "tag:yaml.org,2002:str"


def _key_problems(
    mapping: yaml.MappingNode, path: tuple[str | int, ...], file: str
) -> list[ScenarioError]:
    problems, first = [], {}
    for key, _ in mapping.value:
        line, field = key.start_mark.line + 1, _field_path(path)
        if key.tag.endswith(":merge"):
            message = "merge keys (<<) are not supported: write the keys out"
        elif key.tag != _TEXT:  # 1:, yes:, null:, [a]: are not field names
            got = repr(key.value) if isinstance(key, yaml.ScalarNode) else "a list or mapping"
            message = f"keys must be text (got {got})"
        elif key.value in first:
            field = _field_path((*path, key.value))
            message = f"duplicate key (first at line {first[key.value]})"
        else:
            first[key.value] = line
            continue
        problems.append(ScenarioError(message, file=file, line=line, field=field))
    return problems


def _first_error(exc: ValidationError, root: yaml.Node, file: str) -> ScenarioError:
    located = []
    for details in exc.errors():
        loc, message = _explain(details)
        unset = isinstance(details.get("ctx", {}).get("error"), _Unset)
        error_type = SecretNotSet if unset else ScenarioError
        line, position = _locate(root, loc)
        error = error_type(message, file=file, line=line, field=_field_path(loc))
        located.append((position, error))
    return min(located, key=lambda pair: pair[0])[1]


_TYPE_MESSAGES = {
    "int_type": "must be an integer",
    "float_type": "must be a number",
    "string_type": "must be text",
    "bool_type": "must be true or false",
    "model_type": "must be a mapping",
    "dict_type": "must be a mapping",
    "tuple_type": "must be a list",
    "datetime_type": "must be a date and time like 2026-01-01T00:00:00Z",
    "finite_number": "must be a finite number",
}


def _explain(details: ErrorDetails) -> tuple[tuple[str | int, ...], str]:
    """The location (pydantic's plus any `_Invalid.at`) and a one-line message for an error."""
    loc, kind, ctx = details["loc"], details["type"], details.get("ctx", {})
    if kind == "value_error":
        cause = ctx["error"]
        return (*loc, *getattr(cause, "at", ())), str(cause)
    if kind == "extra_forbidden":
        return loc, _unknown_key(loc)
    if kind == "literal_error":
        return loc, f"must be {ctx['expected']} (got {_describe(details['input'])})"
    if kind == "missing":
        return loc, "is required"
    message = _TYPE_MESSAGES.get(kind) or details["msg"]
    return loc, f"{message} (got {_describe(details['input'])})"


def _unknown_key(loc: tuple[str | int, ...]) -> str:
    key = str(loc[-1])
    if len(loc) == 1 and key in _RESERVED:
        return _RESERVED[key]
    known = _known_keys(loc[:-1])
    if f"{key}Env" in known:
        return f"never put a secret in the file: export it and name the variable with {key}Env"
    suggestion = _closest(key, known)
    if suggestion:
        return f"unknown key (did you mean {suggestion!r}?)"
    return f"unknown key (expected one of: {', '.join(sorted(known))})"


def _known_keys(path: tuple[str | int, ...]) -> list[str]:
    model: Any = RunSpec
    for part in path:
        if isinstance(part, int):
            continue  # an item of a list field: the model was picked with the field
        field = next(f for f in model.model_fields.values() if f.alias == part)
        model = _model_in(field.annotation)
    return [field.alias or name for name, field in model.model_fields.items()]


def _model_in(annotation: Any) -> type[_Spec] | None:
    """The model inside `X`, `X | None` or `tuple[X, ...]`."""
    if isinstance(annotation, type) and issubclass(annotation, _Spec):
        return annotation
    return next(filter(None, map(_model_in, get_args(annotation))), None)


def _closest(key: str, known: list[str]) -> str | None:
    def squash(name: str) -> str:
        return name.replace("_", "").replace("-", "").lower()

    same = [name for name in known if squash(name) == squash(key)]  # batch_size -> batchSize
    return (same or difflib.get_close_matches(key, known, n=1, cutoff=0.6) or [None])[0]


def _locate(root: yaml.Node, loc: tuple[str | int, ...]) -> tuple[int, tuple[int, int]]:
    """The line to report for `loc`, and a (line, column) position to order errors by.

    The line is that of the deepest node on the path: a mapping entry's key, or a list item. A
    missing key is reported at the mapping that lacks it, but ordered at the mapping's end, where
    it would be added: so a misspelled key is reported before the "is required" it causes.
    """
    marker = node = root
    for part in loc:
        found = _child(node, part)
        if found is None:
            return marker.start_mark.line + 1, (node.end_mark.line, node.end_mark.column)
        marker, node = found
    mark = marker.start_mark
    return mark.line + 1, (mark.line, mark.column)


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        return next(((k, v) for k, v in node.value if k.value == str(part)), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part], node.value[part]
    return None


def _field_path(loc: tuple[str | int, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return repr(value)
