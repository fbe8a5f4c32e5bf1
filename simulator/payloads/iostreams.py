"""The Adobe I/O Events streams (§1c, §3): Lead Activity as flat CloudEvents over the same
`ActivityStream` as the legacy push, and the User Audit and Notification streams, nested in
`{eventid, event: {body}, recipientclientid}`. Random access and seeded, like `events`: seq n is
the same event in any process and any call order. Every `eventid` is an own id
(`draws.own_id`): a v4-shaped prefix naming the stream, then the seq in 12 hex digits.

User Audit (`schema` V1.0) and Notification (`shape` "experience-league") also come in the older
shapes of the Experience League page, with the `time` styles of its examples; the I/O docs'
current shapes are the default. A run's `adobeIo.imsOrgId` is their `data.imsOrgId`.

Lead Activity CloudEvents take the legacy fast path: the activity texts of `templates`, inside
envelope text cut from `formats.flat_envelope` (`CloudActivityStream.encode_body`); the
`IoEvent`s are that text parsed. User Audit and Notification events are built as dicts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson

from simulator.errors import ConfigError
from simulator.payloads.catalog import (
    AuditComponent,
    NotificationKind,
    find_activity_type,
    select_activity_types,
    select_audit_components,
    select_notification_kinds,
)
from simulator.payloads.draws import (
    BLOCK,
    GOLDEN,
    MASK,
    checked_seq,
    draw,
    mix,
    own_event_id,
    pick,
    salt_of,
    stream_identity,
    stream_key,
    uuid4_prefix,
)
from simulator.payloads.events import SAMPLE_AT, ActivityStream
from simulator.payloads.formats import (
    EncodedEvents,
    IoEvent,
    cut,
    flat_envelope,
    io_body_text,
    nested_envelope,
    slot,
    time_formatter,
)
from simulator.payloads.templates import HEX, data_opening, head
from simulator.payloads.values import action_fn, component_id_fn
from simulator.payloads.world import World

LADS_SOURCE = "urn:marketo_activity_stream"
NOTIFICATION_SOURCE = "urn:mlm"
SCHEMAS = ("V1.0", "V2.0")
# Notification shapes: today's I/O doc (§3b), or the Experience League page's older example.
NOTIFICATION_SHAPES = ("current", "experience-league")
STREAMS = ("lead-activity", "user-audit", "notification")
PROFILES = ("adobe-io", "marketo-legacy")
_JSON = "application/json"
_V1_SOURCE = "https://www.marketo.com"  # `source` of the Experience League examples (§3a, §3b)


def lads_cloudevent(*, type: str, id: str, time: str, data: Any) -> dict[str, Any]:
    """A Lead Activity CloudEvent (§1c): its attributes in the order of the examples."""
    return {
        "specversion": "1.0",
        "type": type,
        "source": LADS_SOURCE,
        "id": id,
        "time": time,
        "datacontenttype": _JSON,
        "data": data,
    }


_ENVELOPE_ONLY = ("eventid", "recipientclientid", "event_id", "recipient_client_id")


# ---- the `time` of the older shapes of the Experience League page (§3a, §3b, §5) ---------------
# Its two examples write time in styles no current doc uses, so they live here, not in
# formats.TIME_STYLES: User Audit V1.0 "2020-05-28T19:20:47.28Z" (milliseconds without their
# trailing zeros) and Notification "2021-05-27T10:22:37.489-5:00" (an unpadded UTC offset).
_PAGE_OFFSET_HOURS = -5  # the page's offset: US Central daylight time, in May


def _trimmed_ms_time(at: float) -> str:
    """RFC 3339 in UTC with the milliseconds' trailing zeros dropped (no fraction at .000)."""
    second, ms = divmod(round(at * 1000), 1000)
    stamp = datetime.fromtimestamp(second, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f".{ms:03d}".rstrip("0").rstrip(".")
    return f"{stamp}{fraction}Z"


def _offset_ms_time(at: float) -> str:
    """Local time at the page's offset, milliseconds, and the offset written as "-5:00"."""
    zone = timezone(timedelta(hours=_PAGE_OFFSET_HOURS))
    second, ms = divmod(round(at * 1000), 1000)
    stamp = datetime.fromtimestamp(second, tz=zone).strftime("%Y-%m-%dT%H:%M:%S")
    sign = "-" if _PAGE_OFFSET_HOURS < 0 else "+"
    return f"{stamp}.{ms:03d}{sign}{abs(_PAGE_OFFSET_HOURS)}:00"


_PAGE_TIME_STYLES: dict[str, Callable[[float], str]] = {
    "iso-trimmed-ms": _trimmed_ms_time,
    "offset-ms": _offset_ms_time,
}


def _time_of(style: str) -> Callable[[float], str]:
    """The formatter of `style`: one of formats.TIME_STYLES, or of the page's two."""
    return _PAGE_TIME_STYLES.get(style) or time_formatter(style)


class CloudActivityStream:
    """Lead Activity as Adobe I/O delivers it (§1c): flat CloudEvents over an ActivityStream.

    Seq n is the same activity on both profiles: the CloudEvent `id` is its marketoGUID
    ("marketoGUID -> id", migration guide), `munchkinId` moves into `data`, `leadId` becomes a
    string, and `time` is the activityDate. `eventid` is new, one per (stream, seq).
    """

    def __init__(
        self,
        activities: ActivityStream,
        *,
        munchkin_id: str,
        recipient_client_id: str,
        deprecated_fields: bool = True,
    ) -> None:
        self._activities = activities
        self._event_prefix = uuid4_prefix("lead-activity", activities.identity, "eventid")
        self._form = _CloudForm(
            self._event_prefix, munchkin_id, recipient_client_id, deprecated_fields
        )

    def cloudevent(self, seq: int, at: float) -> dict[str, Any]:
        """The CloudEvent of activity `seq`, dated `at`: the envelope minus eventid and client."""
        envelope = self.io_events([(seq, at)])[0].envelope
        return {key: item for key, item in envelope.items() if key not in _ENVELOPE_ONLY}

    def event_id(self, seq: int) -> str:
        """The `eventid` of seq: the same on every call and every delivery attempt."""
        return own_event_id(self._event_prefix, checked_seq(seq))

    def io_events(self, items: Iterable[tuple[int, float]]) -> list[IoEvent]:
        """The I/O event of each (seq, at), in the order given: the envelope texts parsed."""
        texts = self._activities.texts(items, self._form)
        envelopes: list[dict[str, Any]] = orjson.loads(f"[{','.join(texts)}]")
        return [IoEvent(e["eventid"], e["type"], e) for e in envelopes]

    def encode(
        self, items: Iterable[tuple[int, float]], *, batch: bool
    ) -> tuple[EncodedEvents, bytes]:
        """The events of `items` and the body of their delivery, `formats.io_body` byte for byte,
        made from text: the events are parsed only when read."""
        texts = self._activities.texts(items, self._form)
        return EncodedEvents(texts), io_body_text(texts, batch=batch)


class _CloudForm:
    """The flat envelope around each activity (events.Form): `formats.flat_envelope` of a
    CloudEvent whose variable values are slots, cut there, then filled per block and second."""

    cloud = True

    def __init__(
        self, event_prefix: str, munchkin_id: str, recipient_client_id: str, deprecated: bool
    ) -> None:
        cloudevent = lads_cloudevent(
            type=slot("type"), id=slot("id"), time=slot("time"), data=slot("data")
        )
        envelope = flat_envelope(
            cloudevent,
            event_id=slot("eventid"),
            recipient_client_id=recipient_client_id,
            deprecated_fields=deprecated,
        ).envelope
        parts = cut(envelope)
        t, names = parts[0::2], parts[1::2]
        expected = ["eventid", "type", "id", "time", "data", *(["eventid"] if deprecated else [])]
        assert names == expected, f"the flat envelope changed its order: {names}"
        self._texts = t
        self._event_prefix = event_prefix
        self._data = data_opening(munchkin_id)
        self._deprecated = deprecated
        # A: the eventid's last digits up to the `type` value; B: the id's up to the `time`
        # value; C: what follows `data` (with the deprecated eventid's digits when sent).
        closing = [f'{x}"{t[6]}' for x in HEX] if deprecated else [""] * BLOCK
        self.ends: tuple[Sequence[str], Sequence[str], Sequence[str]] = (
            [f'{x}"{t[1]}' for x in HEX],
            [f'{x}"{t[3]}' for x in HEX],
            closing,
        )

    def block(self, guid_block: str, block: int) -> tuple[str, str, str]:
        t, event_block = self._texts, f"{self._event_prefix}{block:010x}"
        closing = f'{t[5]}"{event_block}' if self._deprecated else t[5]
        return f'{t[0]}"{event_block}', f'{t[2]}"{guid_block}', closing

    def second(self, stamp: str) -> tuple[str, str]:
        """opening: the `time` value up to the leadId value, a string here; head after it."""
        return f"{stamp}{self._texts[4]}{self._data}", f'"{head(stamp)}'


class _NestedStream:
    """What User Audit and Notification share: keys, the `event.body` envelope, event ids."""

    _kind = ""

    def __init__(
        self,
        world: World,
        *,
        seed: int,
        stream: str,
        munchkin_id: str,
        recipient_client_id: str,
        deprecated_fields: bool,
        time_format: str,
        ims_org_id: str | None,
    ) -> None:
        identity = stream_identity(world.seed, seed, stream)
        self._key = stream_key(self._kind, identity, "draws")
        self._event_prefix = uuid4_prefix(self._kind, identity, "eventid")
        self._id_prefix = uuid4_prefix(self._kind, identity, "id")
        self._time = _time_of(time_format)
        self._munchkin_id = munchkin_id
        # The run's `adobeIo.imsOrgId` when given: a consumer checks it against its own org.
        # The world's seeded org stands in only where no run names one (`events`, the probe).
        self._ims_org_id = world.ims_org_id if ims_org_id is None else ims_org_id
        self._recipient = recipient_client_id
        self._deprecated = deprecated_fields
        self._body = True

    def cloudevent(self, seq: int, at: float) -> dict[str, Any]:
        raise NotImplementedError

    def event_id(self, seq: int) -> str:
        """The `eventid` of seq: the same on every call and every delivery attempt."""
        return own_event_id(self._event_prefix, checked_seq(seq))

    def io_events(self, items: Iterable[tuple[int, float]]) -> list[IoEvent]:
        """The I/O event of each (seq, at), in the order given."""
        return [
            nested_envelope(
                self.cloudevent(seq, at),
                event_id=own_event_id(self._event_prefix, seq),
                recipient_client_id=self._recipient,
                deprecated_fields=self._deprecated,
                body=self._body,
            )
            for seq, at in items
        ]

    def _hash(self, seq: int) -> int:
        return mix((self._key + checked_seq(seq) * GOLDEN) & MASK)


_S_COMPONENT, _S_ACTION, _S_USER, _S_KIND = map(salt_of, ("component", "action", "user", "kind"))


class UserAuditStream(_NestedStream):
    """The User Audit Data Stream (§3a): who did what to which asset, as nested CloudEvents.

    `schema` "V2.0" is the current shape; "V1.0" is the Experience League example's: `event` is
    the CloudEvent itself (no `body`), with an `id`, the old `source`, and the numeric `user`.
    `time_format` defaults to each schema's examples: V2.0 "2024-07-11 13:20:42.755" (§5: a
    documented quirk, which CloudEvents SDKs reject as not timezone-aware), V1.0
    "2020-05-28T19:20:47.28Z"; "iso-ms" is the RFC 3339 form.
    """

    _kind = "user-audit"

    def __init__(
        self,
        world: World,
        components: Sequence[AuditComponent],
        *,
        seed: int,
        stream: str,
        munchkin_id: str,
        recipient_client_id: str,
        schema: str = "V2.0",
        deprecated_fields: bool = True,
        time_format: str | None = None,
        ims_org_id: str | None = None,
    ) -> None:
        if schema not in SCHEMAS:
            raise ConfigError(f"unknown User Audit schema {schema!r}; use one of: V1.0, V2.0")
        if time_format is None:  # each schema's own example's style
            time_format = "iso-trimmed-ms" if schema == "V1.0" else "space-ms"
        super().__init__(
            world,
            seed=seed,
            stream=stream,
            munchkin_id=munchkin_id,
            recipient_client_id=recipient_client_id,
            deprecated_fields=deprecated_fields,
            time_format=time_format,
            ims_org_id=ims_org_id,
        )
        unique = tuple({c.name: c for c in components}.values())
        if not unique or not all(c.actions for c in unique):
            raise ValueError("a User Audit stream needs at least one component, each with actions")
        self._schema = schema
        self._v1 = schema == "V1.0"
        self._body = not self._v1
        self._users = world.users
        self._plans = tuple((c, component_id_fn(c.asset, world)) for c in unique)

    def cloudevent(self, seq: int, at: float) -> dict[str, Any]:
        """The CloudEvent of audit event `seq` at `at`: what the envelope holds in `event`."""
        h = self._hash(seq)
        component, component_id = self._plans[draw(h, _S_COMPONENT, len(self._plans))]
        user = pick(self._users, h, _S_USER)
        data = {
            "componentId": component_id(h, user),
            "componentType": component.name,
            "eventAction": pick(component.actions, h, _S_ACTION),
            "munchkinId": self._munchkin_id,
            "imsOrgId": self._ims_org_id,
        }
        if self._v1:
            data["user"] = user.id  # before userId, as in the V1.0 example
        data["userId"] = user.email
        opening = {"id": own_event_id(self._id_prefix, seq)} if self._v1 else {}
        return {
            "specversion": "1.0",
            **opening,
            "type": component.type,
            "source": _V1_SOURCE if self._v1 else component.source,
            "time": self._time(at),
            "datacontenttype": _JSON,
            "dataschema": self._schema,
            "data": data,
        }


class NotificationStream(_NestedStream):
    """The Notification Data Stream (§3b): Marketo notification-center events, nested.

    `shape` "current" is the I/O doc's: `event.body`, `source` "urn:mlm", `time` like
    "2024-12-18T07:32:30Z". "experience-league" is the older example of the Experience League
    page: `event` is the CloudEvent itself, `source` "https://www.marketo.com", `time` like
    "2021-05-27T10:22:37.489-5:00", and attributes and data keys in that example's order.
    `time_format` overrides the shape's time style.
    """

    _kind = "notification"

    def __init__(
        self,
        world: World,
        kinds: Sequence[NotificationKind],
        *,
        seed: int,
        stream: str,
        munchkin_id: str,
        recipient_client_id: str,
        deprecated_fields: bool = True,
        time_format: str | None = None,
        ims_org_id: str | None = None,
        shape: str = "current",
    ) -> None:
        if shape not in NOTIFICATION_SHAPES:
            raise ConfigError(
                f"unknown Notification shape {shape!r}; "
                f"use one of: {', '.join(NOTIFICATION_SHAPES)}"
            )
        if time_format is None:
            time_format = "offset-ms" if shape == "experience-league" else "iso"
        super().__init__(
            world,
            seed=seed,
            stream=stream,
            munchkin_id=munchkin_id,
            recipient_client_id=recipient_client_id,
            deprecated_fields=deprecated_fields,
            time_format=time_format,
            ims_org_id=ims_org_id,
        )
        unique = tuple({k.name: k for k in kinds}.values())
        if not unique:
            raise ValueError("a Notification stream needs at least one kind")
        self._plans = tuple(
            (k, tuple((key, action_fn(k, key, world)) for key in k.action_fields)) for k in unique
        )
        self._page = shape == "experience-league"
        self._body = not self._page

    def cloudevent(self, seq: int, at: float) -> dict[str, Any]:
        """The CloudEvent of notification `seq` at `at`, keys in the order of the §3b example."""
        h = self._hash(seq)
        kind, fields = self._plans[draw(h, _S_KIND, len(self._plans))]
        action = {key: value(h) for key, value in fields}
        if self._page:
            return _page_notification(
                kind, action, self._time(at), self._ims_org_id, self._munchkin_id
            )
        return {
            "specversion": "1.0",
            "source": NOTIFICATION_SOURCE,
            "time": self._time(at),
            "type": kind.type,
            "dataschema": "V1.0",
            "datacontenttype": _JSON,
            "data": {
                "munchkinId": self._munchkin_id,
                "imsOrgId": self._ims_org_id,
                "componentType": kind.component_type,
                "subType": kind.sub_type,
                "eventAction": action,
            },
        }


def _page_notification(
    kind: NotificationKind, action: dict[str, Any], time: str, ims_org_id: str, munchkin_id: str
) -> dict[str, Any]:
    """A notification CloudEvent as the Experience League page's example writes it (§3b)."""
    return {
        "specversion": "1.0",
        "type": kind.type,
        "source": _V1_SOURCE,
        "time": time,
        "datacontenttype": _JSON,
        "dataschema": "V1.0",
        "data": {
            "componentType": kind.component_type,
            "subType": kind.sub_type,
            "eventAction": action,
            "imsOrgId": ims_org_id,
            "munchkinId": munchkin_id,
        },
    }


_SAMPLE_MUNCHKIN = "123-ABC-456"  # the docs' example Munchkin ID


def sample_events(
    stream: str,
    *,
    ref: str | None = None,
    action: str | None = None,
    count: int = 1,
    seed: int = 0,
    profile: str = "adobe-io",
) -> list[dict[str, Any]]:
    """`count` sample events of one stream, one second apart from the §1b activityDate.

    `ref` names an activity type, an audit component or a notification kind (None or "all": a
    mix);
    `action` an audit eventAction. The "adobe-io" profile gives I/O envelopes; "marketo-legacy"
    (Lead Activity only) gives legacy activity objects, the same activities seq for seq.
    """
    return list(
        iter_sample_events(stream, ref=ref, action=action, count=count, seed=seed, profile=profile)
    )


SAMPLE_CHUNK = 1000
"""Events made at a time by `iter_sample_events`: its memory is this many, whatever the count."""


def iter_sample_events(
    stream: str,
    *,
    ref: str | None = None,
    action: str | None = None,
    count: int = 1,
    seed: int = 0,
    profile: str = "adobe-io",
) -> Iterator[dict[str, Any]]:
    """`sample_events`, event for event, made `SAMPLE_CHUNK` at a time as they are read: `events
    --count 10000000 | head` keeps little in memory and stops when its reader does. Bad
    arguments are refused at the call, before the first event is asked for."""
    make = _sample_maker(stream, ref=ref, action=action, seed=seed, profile=profile)
    return _chunked(make, count)


def _chunked(
    make: Callable[[Iterable[tuple[int, float]]], list[dict[str, Any]]], count: int
) -> Iterator[dict[str, Any]]:
    for first in range(0, count, SAMPLE_CHUNK):
        seqs = range(first, min(count, first + SAMPLE_CHUNK))
        yield from make((seq, SAMPLE_AT + seq) for seq in seqs)


def _sample_maker(
    stream: str, *, ref: str | None, action: str | None, seed: int, profile: str
) -> Callable[[Iterable[tuple[int, float]]], list[dict[str, Any]]]:
    """The function that makes the sample events of given (seq, at) pairs."""
    _check_sample(stream, action, profile)
    if ref is not None and ref.strip().lower() == "all":  # as in run files: every type, mixed
        ref = None
    world = World.build(seed)
    if profile == "marketo-legacy":
        types = select_activity_types("all") if ref is None else (find_activity_type(ref),)
        return ActivityStream(world, types, seed=seed, stream="sample").activities
    client = hashlib.blake2b(f"client\x1f{seed}".encode(), digest_size=16).hexdigest()
    source: CloudActivityStream | _NestedStream
    if stream == "lead-activity":
        types = select_activity_types("all") if ref is None else (find_activity_type(ref),)
        activities = ActivityStream(world, types, seed=seed, stream="sample")
        source = CloudActivityStream(
            activities, munchkin_id=_SAMPLE_MUNCHKIN, recipient_client_id=client
        )
    elif stream == "user-audit":
        components = select_audit_components(ref, action)
        source = UserAuditStream(
            world,
            components,
            seed=seed,
            stream="sample",
            munchkin_id=_SAMPLE_MUNCHKIN,
            recipient_client_id=client,
        )
    else:
        kinds = select_notification_kinds(ref)
        source = NotificationStream(
            world,
            kinds,
            seed=seed,
            stream="sample",
            munchkin_id=_SAMPLE_MUNCHKIN,
            recipient_client_id=client,
        )
    return lambda items: [event.envelope for event in source.io_events(items)]


def _check_sample(stream: str, action: str | None, profile: str) -> None:
    if stream not in STREAMS:
        raise ConfigError(f"unknown stream {stream!r}; use one of: {', '.join(STREAMS)}")
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile {profile!r}; use one of: {', '.join(PROFILES)}")
    if profile == "marketo-legacy" and stream != "lead-activity":
        raise ConfigError(f"the {stream} stream exists only on Adobe I/O (profile adobe-io)")
    if action is not None and stream != "user-audit":
        raise ConfigError("an eventAction selects User Audit events; use --stream user-audit")
