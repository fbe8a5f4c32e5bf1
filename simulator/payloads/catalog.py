"""The Data Streams catalogs: Lead Activity types, User Audit components, Notification kinds,
as records built from the rows of `catalog_tables`, and the lookups that resolve what a run file,
a command line or a check names (an id, a name in any spelling, an I/O `type`).

Everything here only indexes the tables; a change to what Marketo sends is a change to a row.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from simulator.errors import ConfigError, UnknownActivityType
from simulator.payloads.catalog_tables import (
    ALIASES,
    ATTRIBUTES,
    AUDIT,
    DOCUMENTED_AUDIT_TYPES,
    NOTIFICATIONS,
    TYPES,
    UNLISTED,
    UNRESOLVED,
)
from simulator.payloads.catalog_tables import (
    NOTIFICATION_ACTION_TYPES as NOTIFICATION_ACTION_TYPES,  # the catalog's, for its readers
)

IO_TYPE_PREFIX = "com.adobe.platform.marketo.activity."
CUSTOM_TYPE_MIN_ID = 100_000


@dataclass(frozen=True, slots=True, kw_only=True)
class AttributeSpec:
    """One attribute of an activity type: wire name, wire `dataType`, and how to fill its value."""

    name: str
    data_type: str
    value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivityType:
    """One row of the activity-type table."""

    id: int
    name: str
    attributes: tuple[AttributeSpec, ...]
    primary: str | None
    listed: bool = True
    custom: bool = False
    weight: float = 1.0

    @property
    def io_type(self) -> str:
        """The Adobe I/O `type`: the name lowercased with spaces (and punctuation) removed."""
        if self.custom:
            return f"{IO_TYPE_PREFIX}custom"
        return f"{IO_TYPE_PREFIX}standard.{_squash(self.name)}"


def _squash(text: str) -> str:
    """Lowercase letters and digits only: the key that makes spellings compare equal."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _attribute(key: str) -> AttributeSpec:
    data_type, value = ATTRIBUTES[key]
    return AttributeSpec(name=key.partition("@")[0], data_type=data_type, value=value)


def _activity_type(row: tuple[int, str, str, str | None, float]) -> ActivityType:
    type_id, name, attributes, primary, weight = row
    keys = [key.strip() for key in attributes.split(",") if key.strip()]
    return ActivityType(
        id=type_id,
        name=name,
        attributes=tuple(_attribute(key) for key in keys),
        primary=primary,
        listed=type_id not in UNLISTED,
        custom=type_id >= CUSTOM_TYPE_MIN_ID,
        weight=float(weight),
    )


ACTIVITY_TYPES: tuple[ActivityType, ...] = tuple(_activity_type(row) for row in TYPES)

_BY_ID: dict[int, ActivityType] = {t.id: t for t in ACTIVITY_TYPES}
_BY_KEY: dict[str, ActivityType] = {
    **{_squash(t.name): t for t in ACTIVITY_TYPES},
    **{_squash(alias): _BY_ID[type_id] for alias, type_id in ALIASES.items()},
}
_STANDARD_PREFIX = f"{IO_TYPE_PREFIX}standard."
_UNRESOLVED: dict[str, str] = {_squash(name): why for name, why in UNRESOLVED.items()}


def find_activity_type(ref: str | int) -> ActivityType:
    """The type named by `ref`: an id (int or digits), a name in any spelling, or an I/O type."""
    if isinstance(ref, int) and not isinstance(ref, bool):
        return _by_id(ref)
    text = str(ref).strip()
    if text.isdigit():
        return _by_id(int(text))
    key = _squash(text.removeprefix(_STANDARD_PREFIX))
    if key in _BY_KEY:
        return _BY_KEY[key]
    if key in _UNRESOLVED:
        raise UnknownActivityType(
            f"activity type {text!r} is on Experience League's list of streamed activities, "
            f"but no public source gives its id: {_UNRESOLVED[key]}. Name a type by id or by "
            "a name from the LADS list, e.g. 42 'Add to SFDC Campaign'."
        )
    raise UnknownActivityType(_unknown_name_message(text))


def _by_id(type_id: int) -> ActivityType:
    if type_id in _BY_ID:
        return _BY_ID[type_id]
    nearest = sorted(_BY_ID, key=lambda known: (abs(known - type_id), known))[:3]
    hint = ", ".join(f"{known} {_BY_ID[known].name!r}" for known in sorted(nearest))
    raise UnknownActivityType(f"unknown activity type id {type_id}; nearby ids: {hint}")


def _unknown_name_message(text: str) -> str:
    names = {_squash(t.name): t.name for t in ACTIVITY_TYPES}
    close = difflib.get_close_matches(_squash(text), list(names), n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(repr(names[key]) for key in close)}?" if close else ""
    return (
        f"unknown activity type {text!r}.{hint} "
        "Use an id or a name from the LADS list, e.g. 1 or 'Visit Webpage', or 'all'."
    )


def select_activity_types(refs: str | Sequence[str | int]) -> tuple[ActivityType, ...]:
    """Every type for "all"; otherwise the named types in the given order, each once.

    A string other than "all" may name several types separated by commas ("1, Open Email").
    """
    if isinstance(refs, str):
        if refs.strip().lower() == "all":
            return ACTIVITY_TYPES
        refs = [part for part in refs.split(",") if part.strip()]
    chosen = (find_activity_type(ref) for ref in refs)
    return tuple({t.id: t for t in chosen}.values())


# ---- User Audit and Notification streams (reference §3) ---------------------------------------

AUDIT_TYPE_PREFIX = "com.adobe.platform.marketo.audit.user."
NOTIFICATION_TYPE_PREFIX = "com.adobe.platform.marketo.notification."


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditComponent:
    """One User Audit componentType: its CloudEvent type and the eventActions it sends."""

    name: str
    type: str
    actions: tuple[str, ...]
    documented: bool = True
    source: str = "urn:mlm"
    asset: str = ""  # the kind of World record componentId names (values.py)


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationKind:
    """One Notification stream event kind: CloudEvent type, componentType, subType, payload."""

    name: str
    type: str
    documented: bool = True
    component_type: str
    sub_type: str
    action_fields: tuple[str, ...]  # the keys of `data.eventAction`, in order


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(","))


AUDIT_COMPONENTS: tuple[AuditComponent, ...] = tuple(
    AuditComponent(
        name=name,
        type=AUDIT_TYPE_PREFIX + _squash(name),
        actions=_split(actions),
        documented=_squash(name) in DOCUMENTED_AUDIT_TYPES,
        source=source,
        asset=asset,
    )
    for name, source, asset, actions in AUDIT
)

NOTIFICATION_KINDS: tuple[NotificationKind, ...] = tuple(
    NotificationKind(
        name=name,
        type=NOTIFICATION_TYPE_PREFIX + suffix,
        documented=documented,
        component_type=component_type,
        sub_type=sub_type,
        action_fields=_split(fields),
    )
    for name, suffix, documented, component_type, sub_type, fields in NOTIFICATIONS
)
# Every eventAction key of every kind has its JSON type (`NOTIFICATION_ACTION_TYPES`).
assert {f for k in NOTIFICATION_KINDS for f in k.action_fields} <= NOTIFICATION_ACTION_TYPES.keys()

_AUDIT_KEYS: dict[str, AuditComponent] = {_squash(c.name): c for c in AUDIT_COMPONENTS}
_NOTIFICATION_KEYS: dict[str, NotificationKind] = {
    _squash(key): k
    for k in NOTIFICATION_KINDS
    for key in (k.name, k.type.removeprefix(NOTIFICATION_TYPE_PREFIX))
}


def find_audit_component(ref: str) -> AuditComponent:
    """The component named by `ref`: its componentType in any case or spacing, or its type."""
    key = _squash(ref.strip().removeprefix(AUDIT_TYPE_PREFIX))
    if key in _AUDIT_KEYS:
        return _AUDIT_KEYS[key]
    raise ConfigError(_unknown("User Audit component", ref, [c.name for c in AUDIT_COMPONENTS]))


def find_notification_kind(ref: str) -> NotificationKind:
    """The kind named by `ref`: its name, its type, or the type's suffix ("campaign_abort")."""
    key = _squash(ref.strip().removeprefix(NOTIFICATION_TYPE_PREFIX))
    if key in _NOTIFICATION_KEYS:
        return _NOTIFICATION_KEYS[key]
    raise ConfigError(_unknown("notification kind", ref, [k.name for k in NOTIFICATION_KINDS]))


def find_audit_action(component: AuditComponent, ref: str) -> str:
    """The eventAction of `component` that `ref` names, ignoring case, spaces and dashes."""
    for action in component.actions:
        if _squash(action) == _squash(ref):
            return action
    where = f" for {component.name!r}"
    raise ConfigError(_unknown("eventAction", ref, component.actions, where=where))


def _unknown(what: str, ref: str, names: Sequence[str], *, where: str = "") -> str:
    by_key = {_squash(name): name for name in names}
    key = _squash(ref)
    close = difflib.get_close_matches(key, list(by_key), n=3, cutoff=0.6)
    close = close or [known for known in by_key if key and key in known][:3]
    hint = f" Did you mean {' or '.join(repr(by_key[key]) for key in close)}?" if close else ""
    return f"unknown {what} {ref!r}{where}.{hint} Known: {', '.join(names)}."


def select_audit_components(
    ref: str | None = None, action: str | None = None
) -> tuple[AuditComponent, ...]:
    """The components of a User Audit stream: all of them, or the one `ref` names.

    With `action`, only components that send that eventAction, each narrowed to it.
    """
    components = AUDIT_COMPONENTS if ref is None else (find_audit_component(ref),)
    if action is None:
        return components
    if ref is not None:
        return (replace(components[0], actions=(find_audit_action(components[0], action),)),)
    key = _squash(action)
    chosen = tuple(
        replace(c, actions=(a,)) for c in components for a in c.actions if _squash(a) == key
    )
    if not chosen:
        known = sorted({a for c in AUDIT_COMPONENTS for a in c.actions}, key=str.lower)
        raise ConfigError(_unknown("eventAction", action, known))
    return chosen


def select_notification_kinds(ref: str | None = None) -> tuple[NotificationKind, ...]:
    """Every notification kind, or the one `ref` names."""
    return NOTIFICATION_KINDS if ref is None else (find_notification_kind(ref),)
