"""Constrained value types for the run file: durations, ranges, patterns, secrets, activity types.

Each is an `Annotated` type that the spec models in `scenario` use as field annotations. They
carry their own one-line messages and JSON Schema keywords, because pydantic's built-in ones
are less specific ("must be between 100 and 500 (got 50)", not "Input should be greater than
or equal to 100"). Values are checked, never coerced, except that a whole float fits an integer
key (`1e6`). Every number is bounded, by the limits in `simulator.core.bounds`, and an endpoint
URL is checked for a host, its port, control characters and credentials (`check_url`).

A validator that knows better than pydantic *where* its failure belongs (a list item, a sibling
key) raises `Invalid(message, at=...)`; `yamlsource` adds `at` to pydantic's location.

Secrets never appear in the file: it names environment variables, and `EnvSecret` fields resolve
them into `Secret` values that never print their content.
"""

from __future__ import annotations

import hmac
import math
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic.alias_generators import to_camel
from pydantic_core import core_schema

from simulator.core.bounds import (
    COUNT_MAX,
    DAY,
    DURATION_MAX,
    LATENCY_MAX,
    PORT_MAX,
    RATE_MAX,
    RETRIES_MAX,
    SEED_MAX,
)
from simulator.errors import UnknownActivityType
from simulator.payloads.catalog import ActivityType, find_activity_type, select_activity_types


class Invalid(ValueError):
    """A failure that belongs below the checked value: `at` is the key or index it points to."""

    def __init__(self, message: str, *, at: str | int | tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.at = at if isinstance(at, tuple) else (at,)


def describe(value: Any) -> str:
    """How a value read from the file is named in a message: `nothing`, `a list`, `'500'`."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return repr(value)


def _number(value: float) -> str:
    if isinstance(value, int) and abs(value) < 10**20:
        return str(value)
    return f"{value:g}"


# ---------------------------------------------------------------------------------------------
# Durations: a YAML number is seconds; text is one or more `<number><unit>`, largest unit first.

_UNIT_SECONDS = {"d": DAY, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_DURATION_HINT = "a number of seconds, or text like 500ms, 2s, 3m, 1h30m, 7d"


def parse_duration(value: str | int | float) -> float:
    """Seconds in `value` (90, 2.5, "500ms", "1h30m"); ValueError says what is wrong with it."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"must be a duration: {_DURATION_HINT} (got {describe(value)})")
    if isinstance(value, int) and abs(value) > DURATION_MAX:  # float() of 10**400 overflows
        value = math.copysign(math.inf, value)
    seconds = _parse_duration_text(value.strip()) if isinstance(value, str) else float(value)
    if math.isnan(seconds):
        raise ValueError(f"must be a finite duration (got {value!r})")
    if seconds < 0:
        raise ValueError(f"must not be negative (got {_shown(value)})")
    if seconds > DURATION_MAX:
        raise ValueError(f"must be at most {DURATION_MAX / DAY:g}d (got {_shown(value)})")
    return seconds


def _shown(value: str | float) -> str:
    return repr(value) if isinstance(value, str) else _number(value)


def _parse_duration_text(text: str) -> float:
    if text.startswith("-"):
        raise ValueError(f"must not be negative (got {text!r})")
    if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+", text):  # "1e3": YAML 1.1 reads text
        return float(text)
    parts = _DURATION_PART.findall(text)
    if "".join(number + unit for number, unit in parts) != text or not parts:
        if re.fullmatch(r"\d+(\.\d+)?", text):
            raise ValueError(f"{text!r} has no unit: write {text}s, or a bare number for seconds")
        raise ValueError(f"{text!r} is not a duration: use {_DURATION_HINT}")
    units = [unit for _, unit in parts]
    if units != sorted(set(units), key=list(_UNIT_SECONDS).index):
        raise ValueError(f"{text!r}: give each unit once, largest first (like 1h30m)")
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def seconds(value: float) -> str:
    """A duration as the file would write it: `2s`, `0.5s`."""
    return f"{value:g}s"


def _positive_duration(value: float) -> float:
    if value <= 0:
        raise ValueError(f"must be longer than 0s (got {seconds(value)})")
    return value


_DURATION_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": DURATION_MAX},
        {"type": "string", "pattern": r"^(\d+(\.\d+)?(d|h|m|s|ms))+$"},
    ],
    "description": "seconds, or text like 500ms, 2s, 3m, 1h30m, 7d; at most 366d",
}
Duration = Annotated[float, BeforeValidator(parse_duration), WithJsonSchema(_DURATION_SCHEMA)]
PositiveDuration = Annotated[Duration, AfterValidator(_positive_duration)]


# ---------------------------------------------------------------------------------------------
# Checks that carry their own message and JSON Schema keyword (pydantic's are less specific).


@dataclass(frozen=True, slots=True)
class Range:
    """Inclusive bounds (`high` None: no upper bound, which no field of a run file uses: its
    bounds are `simulator.core.bounds`), with a message that gives both. On an integer field, a
    whole number written as a float (`1e6`, `500.0`) is taken as the integer."""

    low: float
    high: float | None = None

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        checked = core_schema.no_info_after_validator_function(self._check, handler(source))
        if source is int:
            return core_schema.no_info_before_validator_function(_whole, checked)
        return checked

    def __get_pydantic_json_schema__(self, schema: Any, handler: GetJsonSchemaHandler) -> Any:
        upper = {} if self.high is None else {"maximum": self.high}
        return {**handler(schema), "minimum": self.low, **upper}

    def _check(self, value: float) -> float:
        if self.high is None and value < self.low:
            raise ValueError(f"must be at least {_number(self.low)} (got {_number(value)})")
        if self.high is not None and not self.low <= value <= self.high:
            wanted = f"between {_number(self.low)} and {_number(self.high)}"
            raise ValueError(f"must be {wanted} (got {_number(value)})")
        return value


def _whole(value: Any) -> Any:
    """`1e6` (a float to YAML) as the integer 1000000; anything else unchanged."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass(frozen=True, slots=True)
class Pattern:
    """Text that must match `regex` in full; `hint` says what is expected."""

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


Items = Annotated[tuple[_T, ...], BeforeValidator(_list_to_tuple)]
Latency = Annotated[Duration, Range(0, LATENCY_MAX)]
"""The dev endpoint's answer delay, bounded like its Behaviour's."""
Status = Annotated[int, Range(200, 599)]
"""A final HTTP status: what the dev endpoint answers (1xx are not answers)."""
Rate = Annotated[float, Range(0, 1)]
EventRate = Annotated[float, Range(0, RATE_MAX)]
DrainRate = Annotated[float, Range(1, RATE_MAX)]
EventCount = Annotated[int, Range(1, COUNT_MAX)]
Retries = Annotated[int, Range(0, RETRIES_MAX)]
Seed = Annotated[int, Range(0, SEED_MAX)]


def check_url(value: str) -> str:
    """`embedded`, or an http(s) URL a push can go to: a host, a port in 1-65535 if any, no
    control characters, and no credentials (secrets go in environment variables)."""
    if value == "embedded":
        return value
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise ValueError(f"must not contain control characters (got {value!r})")
    if not re.fullmatch(r"https?://[^\s/?#]+([/?#]\S*)?", value):
        raise ValueError(f"must be embedded or an http(s) URL (got {value!r})")
    parts = urlsplit(value)
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            "must not carry credentials (user:password@): export the secret and name the "
            "variable with auth.tokenEnv, or clientIdEnv and clientSecretEnv"
        )
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= PORT_MAX:
        raise ValueError(f"port must be 1-{PORT_MAX} (got {value!r})")
    if not parts.hostname:
        raise ValueError(f"needs a host (got {value!r})")
    return value


def _check_url_text(value: Any) -> Any:
    return check_url(value) if isinstance(value, str) else value


Endpoint = Annotated[
    str,
    AfterValidator(_check_url_text),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^(embedded|https?://[^\s/?#@]+([/?#]\S*)?)$",
            "description": "embedded, or an http(s) URL without user:password@",
        }
    ),
]
_ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
HeaderName = Annotated[str, Pattern(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", "must be an HTTP header name")]
Scheme = Annotated[
    str, Pattern(r"[!#$%&'*+.^_`|~0-9A-Za-z-]*", 'must be one word like Bearer, or "" for none')
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


Timestamp = Annotated[
    datetime, BeforeValidator(_timestamp), WithJsonSchema({"type": "string", "format": "date-time"})
]


# ---------------------------------------------------------------------------------------------
# Secrets: the file names an environment variable; validation reads it.


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
            raise ValueError(f"must name an environment variable (got {describe(value)})")
        environ = (info.context or {}).get("environ", os.environ)
        if not environ.get(value):  # empty counts as unset: an empty secret is never meant
            raise Unset(value)
        return Secret(environ[value], env=value)


class Unset(ValueError):
    """The environment variable a secret field names is not set (`yamlsource` reports it)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"environment variable {name} is not set: export {name}=... and rerun")
        self.name = name


EnvSecret = Annotated[Secret, _FromEnv]


# ---------------------------------------------------------------------------------------------
# Activity types: "all", or a list of catalog names or ids.


def _activity_types(value: Any) -> tuple[ActivityType, ...]:
    if value == "all":
        return select_activity_types("all")
    if not isinstance(value, list | tuple) or not value:
        message = "must be all or a non-empty list of activity type names or ids"
        raise ValueError(f"{message} (got {describe(value)})")
    resolved: list[ActivityType] = []
    for index, ref in enumerate(value):
        found = ref if isinstance(ref, ActivityType) else _activity_type(ref, index)
        if found in resolved:
            raise Invalid(f"{found.name!r} is listed twice", at=index)
        resolved.append(found)
    return tuple(resolved)


def _activity_type(ref: Any, index: int) -> ActivityType:
    if isinstance(ref, bool) or not isinstance(ref, str | int):
        raise Invalid(f"must be an activity type name or id (got {describe(ref)})", at=index)
    try:
        return find_activity_type(ref)
    except UnknownActivityType as exc:
        raise Invalid(str(exc), at=index) from None


ActivityTypes = Annotated[
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


class Spec(BaseModel):
    """The base of every model of the run file: strict, frozen, camelCase keys in files."""

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
