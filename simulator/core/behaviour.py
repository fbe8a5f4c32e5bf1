"""How the dev consumer misbehaves on command: the `Behaviour`, its outage `Window`s, and the
lists of outage modes and challenge styles, each defined here once.

A test or a scenario needs a consumer that fails in known ways: fixed or random failure
statuses, latency, hangs, resets and outage windows in receiver time. `Behaviour` is the one
description of that: its fields, their types, their defaults and their checks (a bad value is a
`ConfigError` when it is made). Every form that describes a behaviour names its fields as
`Behaviour` does and becomes one through a single conversion, `changed`:
- the run file's `receiver:` section and `endpoint:` steps (`simulator.runfile.endpointspec`);
- the flags of `marketo-sim receive` (`simulator.endpoint.flags`, generated from the fields);
- the JSON of `PUT /_sim/behaviour` (`behaviour_from_json`, typed by the fields).

Also here: opening and closing a refuse window at run time (`refusing`), the JSON form and the
one-line description. Acting on a Behaviour over HTTP (dropping a connection, hanging, answering
a status) is the Receiver's job.

Pure: no asyncio, no aiohttp, no clock.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin, get_type_hints

from simulator.core.bounds import DURATION_MAX, LATENCY_MAX
from simulator.errors import ConfigError

__all__ = [
    "BEHAVIOUR_FIELDS",
    "CHALLENGE_STYLES",
    "DEFAULT_BEHAVIOUR",
    "OUTAGE_MODES",
    "SCALARS",
    "Behaviour",
    "ChallengeStyle",
    "OutageMode",
    "Window",
    "behaviour_from_json",
    "behaviour_to_json",
    "changed",
    "check_challenge_style",
    "check_status",
    "describe_behaviour",
    "refusing",
    "window_from",
]

OutageMode = Literal["refuse", "status", "hang", "reset"]
OUTAGE_MODES: tuple[OutageMode, ...] = get_args(OutageMode)

# How the consumer answers the Adobe I/O challenge GET: echoed as text, as JSON, or ignored.
ChallengeStyle = Literal["text", "json", "refuse"]
CHALLENGE_STYLES: tuple[ChallengeStyle, ...] = get_args(ChallengeStyle)


def check_challenge_style(text: str) -> ChallengeStyle:
    """`text` as a challenge style; ConfigError naming the styles if it is none of them."""
    for style in CHALLENGE_STYLES:
        if text == style:
            return style
    expected = ", ".join(CHALLENGE_STYLES)
    raise ConfigError(f"challenge_style {text!r}: expected one of {expected}")


def check_status(name: str, value: int) -> None:
    """ConfigError unless `value` is a final HTTP status (200-599)."""
    if not 200 <= value <= 599:
        raise ConfigError(f"{name}: {value} is not a final HTTP status (200-599)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Window:
    """A span of receiver time [start, end) in seconds since start (end may be math.inf) during
    which the consumer misbehaves as `mode` says, whatever the rest of the Behaviour says:
    "refuse" drops the connection unread, "status" answers `status`, "hang" never answers,
    "reset" reads the request and drops the connection."""

    start: float
    end: float
    mode: OutageMode = "refuse"
    status: int = 503

    def __post_init__(self) -> None:
        if not (0 <= self.start < self.end and self.start <= DURATION_MAX):
            raise ConfigError(f"outage {self.start}-{self.end}: need 0 <= start < end")
        if self.end != math.inf and self.end > DURATION_MAX:
            raise ConfigError(f"outage {self.start}-{self.end}: end is after {DURATION_MAX:g}s")
        if self.mode not in OUTAGE_MODES:
            expected = ", ".join(OUTAGE_MODES)
            raise ConfigError(f"outage mode {self.mode!r}: expected one of {expected}")
        check_status("outage status", self.status)

    def covers(self, now: float) -> bool:
        """Whether receiver time `now` falls inside the window (start inclusive, end exclusive)."""
        return self.start <= now < self.end


@dataclass(frozen=True, slots=True, kw_only=True)
class Behaviour:
    """How the consumer answers deliveries; `Receiver.behaviour` can be replaced at run time."""

    status: int = 200
    failure_rate: float = 0.0
    failure_status: int = 503
    latency: float = 0.0
    hang: bool = False
    reset: bool = False
    outages: tuple[Window, ...] = ()

    def __post_init__(self) -> None:
        check_status("status", self.status)
        check_status("failure_status", self.failure_status)
        if not 0.0 <= self.failure_rate <= 1.0:
            raise ConfigError(f"failure_rate: {self.failure_rate} is not between 0 and 1")
        if not 0.0 <= self.latency <= LATENCY_MAX:  # also refuses nan
            raise ConfigError(f"latency: {self.latency:g} is not between 0 and {LATENCY_MAX:g}s")


DEFAULT_BEHAVIOUR = Behaviour()


# --- the fields, read from the records themselves ------------------------------------------------


def _field_types(record: type) -> dict[str, type]:
    """Each field of a dataclass with the plain type its values must have (a Literal's: str)."""
    hints = get_type_hints(record)
    types = {}
    for field in dataclasses.fields(record):
        hint = hints[field.name]
        types[field.name] = type(get_args(hint)[0]) if get_origin(hint) is Literal else hint
    return types


BEHAVIOUR_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Behaviour))
# Every field of a Behaviour but its outage windows, with its type: status=int, hang=bool...
SCALARS: dict[str, type] = {
    name: kind for name, kind in _field_types(Behaviour).items() if name != "outages"
}
_WINDOW_FIELDS = _field_types(Window)


# --- the one conversion --------------------------------------------------------------------------


def _typed(name: str, value: object, kind: type) -> Any:
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        return value
    raise ConfigError(f"{name}: expected {kind.__name__}, got {value!r}")


def _fields(obj: object, allowed: dict[str, type], where: str) -> dict[str, Any]:
    # "JSON object": only the JSON of PUT /_sim/behaviour can hand over something else.
    if not isinstance(obj, Mapping):
        raise ConfigError(f"{where}: expected a JSON object")
    unknown = sorted(set(obj) - set(allowed))
    if unknown:
        raise ConfigError(f"{where}: unknown field {unknown[0]!r}")
    return {name: _typed(f"{where}.{name}", value, allowed[name]) for name, value in obj.items()}


def window_from(fields: Mapping[str, object], *, where: str = "outage") -> Window:
    """A Window from a mapping of its fields (`start`, `end`, `mode`, `status`), checked like
    `changed` checks a behaviour's."""
    return Window(**_fields(fields, _WINDOW_FIELDS, where))


def _windows(outages: object, where: str) -> tuple[Window, ...]:
    if not isinstance(outages, list | tuple):
        raise ConfigError(f"{where}: expected a list")
    return tuple(
        item if isinstance(item, Window) else window_from(item, where=f"{where}[{index}]")
        for index, item in enumerate(outages)
    )


def changed(
    base: Behaviour, changes: Mapping[str, object], *, where: str = "behaviour"
) -> Behaviour:
    """`base` with the fields named in `changes` replaced: the one way every form of a
    behaviour (run file, step, flags, JSON) becomes a Behaviour.

    The names are Behaviour's field names; `outages` is a list of Windows or of mappings of a
    Window's fields. ConfigError, naming `where` and the field, on a name that is unknown, a
    value of the wrong type, or one out of range.
    """
    scalars = dict(changes)
    if "outages" not in scalars:
        return dataclasses.replace(base, **_fields(scalars, SCALARS, where))
    outages = _windows(scalars.pop("outages"), f"{where}.outages")
    return dataclasses.replace(base, outages=outages, **_fields(scalars, SCALARS, where))


def refusing(behaviour: Behaviour, now: float, *, on: bool) -> Behaviour:
    """Open a refuse window from `now` on, or close the open-ended ones at `now` (a window that
    would then be empty is dropped)."""
    if on:
        window = Window(start=now, end=math.inf, mode="refuse")
        return dataclasses.replace(behaviour, outages=(*behaviour.outages, window))
    closed = []
    for window in behaviour.outages:
        if window.end == math.inf and window.start <= now:
            if window.start < now:
                closed.append(dataclasses.replace(window, end=now))
        else:
            closed.append(window)
    return dataclasses.replace(behaviour, outages=tuple(closed))


# --- Behaviour <-> JSON (for PUT /_sim/behaviour) ------------------------------------------------


def behaviour_from_json(changes: object, base: Behaviour) -> Behaviour:
    """`base` with the fields named in a JSON object replaced; raises ConfigError on anything
    unknown, mistyped or out of range."""
    if not isinstance(changes, dict):
        raise ConfigError("behaviour: expected a JSON object")
    return changed(base, changes)


def behaviour_to_json(behaviour: Behaviour) -> dict[str, Any]:
    return dataclasses.asdict(behaviour)


def describe_behaviour(behaviour: Behaviour) -> str:
    """The fields that differ from the default, e.g. `latency=19.5 outage=60-1260s:refuse`."""
    parts = [
        f"{f.name}={getattr(behaviour, f.name)}"
        for f in dataclasses.fields(behaviour)
        if f.name != "outages" and getattr(behaviour, f.name) != f.default
    ]
    parts += [
        f"outage={w.start:g}-{w.end:g}s:{w.status if w.mode == 'status' else w.mode}"
        for w in behaviour.outages
    ]
    return " ".join(parts) or "always 200"
