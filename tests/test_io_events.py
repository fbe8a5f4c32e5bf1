"""The Adobe I/O Events streams: Lead Activity as flat CloudEvents, User Audit and Notification
nested in `event.body`, checked against reference §1c, §3, §4.7 and the CloudEvents SDK.

What the installed SDK (cloudevents 2.2, `cloudevents.core`) accepts, and how these tests use it:
- Extension attribute names must match ^[a-z0-9]+$. `eventid` and `recipientclientid` pass; the
  deprecated `event_id` and `recipient_client_id` (§4.7) do not, so an envelope with the default
  dual fields is rejected. The tests parse envelopes built with deprecated_fields=False and pin
  the rejection of the default ones: a consumer on this SDK must drop that pair first.
- `time` must be timezone-aware. The UADS docs' "2024-07-11 13:20:42.755" has no zone, so it is
  rejected; UADS is parsed with time_format="iso-ms", and the rejection is pinned.
- UADS V2.0 and Notification bodies have no `id` (§3a), which CloudEvents requires: the 2.x
  reader quietly fills in a random UUID, the 1.x API (`cloudevents.v1`) refuses the event.
"""

from __future__ import annotations

import itertools
import json
import uuid
from datetime import datetime
from typing import Any

import orjson
import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http_event
from cloudevents.core.exceptions import CloudEventValidationError
from cloudevents.v1.exceptions import MissingRequiredFields
from cloudevents.v1.http import from_json as v1_from_json
from hypothesis import given
from hypothesis import strategies as st

from simulator.errors import ConfigError
from simulator.payloads import iostreams
from simulator.payloads.catalog import (
    ACTIVITY_TYPES,
    AUDIT_COMPONENTS,
    NOTIFICATION_KINDS,
    AuditComponent,
    NotificationKind,
    find_activity_type,
    find_audit_component,
    find_notification_kind,
)
from simulator.payloads.events import ActivityStream, sample_activities
from simulator.payloads.formats import CLOUDEVENTS_CONTENT_TYPE, IoEvent, io_body
from simulator.payloads.iostreams import (
    CloudActivityStream,
    NotificationStream,
    UserAuditStream,
    iter_sample_events,
    sample_events,
)
from simulator.payloads.world import World

WORLD = World.build(11)
T0 = 1776710636.0  # 2026-04-20T18:43:56Z
MUNCHKIN = "123-ABC-456"
CLIENT = "c5a34355b7f5491f8277b8dd63f0bfa3"
DEPRECATED = ("event_id", "recipient_client_id")


def lads(*refs: str | int, seed: int = 1, name: str = "sub", **options: Any) -> CloudActivityStream:
    types = [find_activity_type(ref) for ref in refs] if refs else list(ACTIVITY_TYPES)
    activities = ActivityStream(WORLD, types, seed=seed, stream=name)
    return CloudActivityStream(
        activities, munchkin_id=MUNCHKIN, recipient_client_id=CLIENT, **options
    )


def audit(
    *components: AuditComponent, seed: int = 1, name: str = "sub", **options: Any
) -> UserAuditStream:
    return UserAuditStream(
        WORLD,
        components or AUDIT_COMPONENTS,
        seed=seed,
        stream=name,
        munchkin_id=MUNCHKIN,
        recipient_client_id=CLIENT,
        **options,
    )


def notifications(
    *kinds: NotificationKind, seed: int = 1, name: str = "sub", **options: Any
) -> NotificationStream:
    return NotificationStream(
        WORLD,
        kinds or NOTIFICATION_KINDS,
        seed=seed,
        stream=name,
        munchkin_id=MUNCHKIN,
        recipient_client_id=CLIENT,
        **options,
    )


def run(stream: Any, count: int, start: int = 0) -> list[IoEvent]:
    events: list[IoEvent] = stream.io_events((seq, T0 + seq) for seq in range(start, start + count))
    return events


def body(event: IoEvent) -> dict[str, Any]:
    """The CloudEvent inside a nested (UADS/Notification) envelope."""
    cloudevent: dict[str, Any] = event.envelope["event"]["body"]
    return cloudevent


def parse(cloudevent: dict[str, Any]) -> Any:
    """What a consumer on the CloudEvents SDK gets from this JSON, delivered in structured mode."""
    message = HTTPMessage(
        headers={"content-type": CLOUDEVENTS_CONTENT_TYPE}, body=json.dumps(cloudevent).encode()
    )
    return from_http_event(message)


def is_uuid4(text: str) -> bool:
    return uuid.UUID(text).version == 4 and str(uuid.UUID(text)) == text


# ---- Lead Activity as CloudEvents (§1c) -------------------------------------------------------

LADS_KEYS = ["eventid", "specversion", "type", "source", "id", "time", "datacontenttype", "data"]


def test_lads_envelope_is_flat_with_both_field_pairs_by_default() -> None:
    """CloudEvent attributes at the top, then recipientclientid, event_id, recipient_client_id."""
    event = run(lads("Click Link"), 1)[0]
    assert list(event.envelope) == [*LADS_KEYS, "recipientclientid", *DEPRECATED]
    assert event.envelope["event_id"] == event.envelope["eventid"] == event.event_id
    assert event.envelope["recipient_client_id"] == event.envelope["recipientclientid"] == CLIENT


def test_lads_envelope_drops_the_deprecated_pair_when_asked() -> None:
    """deprecated_fields=False leaves exactly the §1c keys."""
    event = run(lads("Click Link", deprecated_fields=False), 1)[0]
    assert list(event.envelope) == [*LADS_KEYS, "recipientclientid"]


def test_lads_cloudevent_attributes_are_the_documented_ones() -> None:
    """specversion 1.0, source urn:marketo_activity_stream, JSON data, time = activityDate."""
    envelope = run(lads("Open Email"), 1)[0].envelope
    assert envelope["specversion"] == "1.0"
    assert envelope["source"] == "urn:marketo_activity_stream"
    assert envelope["datacontenttype"] == "application/json"
    assert envelope["type"] == "com.adobe.platform.marketo.activity.standard.openemail"
    assert envelope["time"] == envelope["data"]["activityDate"] == "2026-04-20T18:43:56Z"


def test_lads_is_the_legacy_activity_seq_for_seq() -> None:
    """id is the marketoGUID, data is the activity plus munchkinId with leadId as a string."""
    activities = ActivityStream(WORLD, ACTIVITY_TYPES, seed=1, stream="sub")
    cloud = CloudActivityStream(activities, munchkin_id=MUNCHKIN, recipient_client_id=CLIENT)
    for seq in (0, 7, 10**6):
        legacy = activities.activity(seq, T0)
        cloudevent = cloud.cloudevent(seq, T0)
        assert cloudevent["id"] == legacy.pop("marketoGUID")
        assert cloudevent["data"] == {
            "munchkinId": MUNCHKIN,
            **legacy,
            "leadId": str(legacy["leadId"]),
        }
        assert list(cloudevent["data"]) == ["munchkinId", *legacy]


def test_lads_lead_id_is_a_string_of_digits() -> None:
    """§1c: leadId is "String (Number)" on I/O, unlike the legacy number."""
    for event in run(lads(), 50):
        lead_id = event.envelope["data"]["leadId"]
        assert type(lead_id) is str
        assert lead_id.isdigit()


def test_custom_activities_share_the_custom_type() -> None:
    """Customer-defined types are all com.adobe.platform.marketo.activity.custom, no suffix."""
    events = run(lads("Attend Conference", "Purchase Product", "Register for Webinar"), 30)
    assert {e.type for e in events} == {"com.adobe.platform.marketo.activity.custom"}
    assert {e.envelope["data"]["activityTypeId"] for e in events} == {100001, 100002, 100003}


@pytest.mark.parametrize("activity_type", ACTIVITY_TYPES, ids=lambda t: f"{t.id}-{t.name}")
def test_every_lads_type_parses_with_the_sdk(activity_type: Any) -> None:
    """Without the deprecated pair, each type's envelope is a valid CloudEvent, field for field."""
    for event in run(lads(activity_type.id, deprecated_fields=False), 2):
        parsed = parse(event.envelope)
        assert parsed.get_type() == event.type == activity_type.io_type
        assert parsed.get_id() == event.envelope["id"]
        assert parsed.get_source() == "urn:marketo_activity_stream"
        assert parsed.get_time() == datetime.fromisoformat(event.envelope["time"])
        assert parsed.get_extension("eventid") == event.event_id
        assert parsed.get_extension("recipientclientid") == CLIENT
        assert parsed.get_data() == event.envelope["data"]


def test_the_sdk_rejects_the_deprecated_pair_as_extension_names() -> None:
    """event_id and recipient_client_id are not valid CloudEvents extension names."""
    with pytest.raises(CloudEventValidationError) as caught:
        parse(run(lads("Click Link"), 1)[0].envelope)
    assert set(caught.value.errors) == set(DEPRECATED)


# ---- User Audit (§3a) -------------------------------------------------------------------------

UADS_BODY_KEYS = ["specversion", "type", "source", "time", "datacontenttype", "dataschema", "data"]
UADS_DATA_KEYS = ["componentId", "componentType", "eventAction", "munchkinId", "imsOrgId"]


def test_uads_envelope_nests_the_cloudevent_in_event_body() -> None:
    """{eventid, event: {body}, recipientclientid} plus the deprecated pair, at the top."""
    event = run(audit(), 1)[0]
    assert list(event.envelope) == ["eventid", "event", "recipientclientid", *DEPRECATED]
    assert list(event.envelope["event"]) == ["body"]
    assert event.envelope["event_id"] == event.envelope["eventid"] == event.event_id


def test_uads_envelope_drops_the_deprecated_pair_when_asked() -> None:
    """deprecated_fields=False leaves the three keys of the §3a examples."""
    event = run(audit(deprecated_fields=False), 1)[0]
    assert list(event.envelope) == ["eventid", "event", "recipientclientid"]


def test_uads_v2_body_has_the_example_shape() -> None:
    """Keys in §3a order, dataschema V2.0, no CloudEvents id, userId an email of the world."""
    cloudevent = body(run(audit(find_audit_component("Email")), 1)[0])
    assert list(cloudevent) == UADS_BODY_KEYS
    assert list(cloudevent["data"]) == [*UADS_DATA_KEYS, "userId"]
    assert cloudevent["dataschema"] == "V2.0"
    assert cloudevent["source"] == "urn:mlm"
    assert cloudevent["data"]["munchkinId"] == MUNCHKIN
    assert cloudevent["data"]["imsOrgId"] == WORLD.ims_org_id
    assert cloudevent["data"]["userId"] in {user.email for user in WORLD.users}


def test_uads_time_defaults_to_the_documented_form() -> None:
    """The UADS examples' space-separated millisecond time, with no zone (§5)."""
    stream = audit()
    assert stream.cloudevent(0, T0 + 0.25)["time"] == "2026-04-20 18:43:56.250"
    assert audit(time_format="iso-ms").cloudevent(0, T0 + 0.25)["time"] == (
        "2026-04-20T18:43:56.250Z"
    )


@pytest.mark.parametrize("component", AUDIT_COMPONENTS, ids=lambda c: c.name)
def test_every_component_sends_each_of_its_actions(component: AuditComponent) -> None:
    """Over 300 events, a component produces every documented eventAction and nothing else."""
    cloudevents = [body(e) for e in run(audit(component), 300)]
    assert {c["data"]["eventAction"] for c in cloudevents} == set(component.actions)
    assert {(c["type"], c["source"]) for c in cloudevents} == {(component.type, component.source)}
    assert {c["data"]["componentType"] for c in cloudevents} == {component.name}


def test_a_mixed_stream_produces_every_component() -> None:
    """All components appear in a stream of the whole catalog."""
    types = {e.type for e in run(audit(), 500)}
    assert types == {c.type for c in AUDIT_COMPONENTS}


@pytest.mark.parametrize(
    ("name", "pool"),
    [
        pytest.param("Email", {m.id for m in WORLD.mailings}, id="email-is-a-mailing"),
        pytest.param("Smart Campaign", {c.id for c in WORLD.campaigns}, id="campaign"),
        pytest.param("Nurture Program", {t.program_id for t in WORLD.tracks}, id="nurture"),
        pytest.param("Role", {r.id for r in WORLD.roles}, id="role"),
        pytest.param("User", {u.id for u in WORLD.users}, id="user"),
        pytest.param(
            "Landing Page",
            {w.id for w in WORLD.webpages if w.path.startswith("/lp/")},
            id="landing-pages-only",
        ),
    ],
)
def test_component_ids_name_assets_of_the_world(name: str, pool: set[int]) -> None:
    """componentId points at a record of the same world the Lead Activity stream uses."""
    ids = {body(e)["data"]["componentId"] for e in run(audit(find_audit_component(name)), 100)}
    assert ids <= pool
    assert len(ids) > 1


def test_login_names_the_user_who_logs_in() -> None:
    """A Login event's componentId is the acting user's numeric id."""
    by_email = {user.email: user.id for user in WORLD.users}
    for event in run(audit(find_audit_component("Login")), 30):
        data = body(event)["data"]
        assert data["componentId"] == by_email[data["userId"]]


def test_uads_v1_schema_has_the_experience_league_shape() -> None:
    """V1.0: event is the CloudEvent (no body), with an id, the old source and a numeric user."""
    stream = audit(find_audit_component("Email"), schema="V1.0")
    event = run(stream, 1)[0]
    cloudevent = event.envelope["event"]
    assert list(cloudevent) == ["specversion", "id", *UADS_BODY_KEYS[1:]]
    assert cloudevent["dataschema"] == "V1.0"
    assert cloudevent["source"] == "https://www.marketo.com"
    assert is_uuid4(cloudevent["id"])
    assert cloudevent["id"] != event.event_id
    assert list(cloudevent["data"]) == [*UADS_DATA_KEYS, "user", "userId"]
    users = {user.id: user.email for user in WORLD.users}
    assert users[cloudevent["data"]["user"]] == cloudevent["data"]["userId"]


def test_v1_and_v2_describe_the_same_audit_event() -> None:
    """The schema changes the shape, not the event: same component, action, user and time
    (each in its own example's style unless one is asked for)."""
    v1 = audit(schema="V1.0", time_format="iso-ms").cloudevent(5, T0)
    v2 = audit(time_format="iso-ms").cloudevent(5, T0)
    assert v1["type"] == v2["type"]
    assert v1["time"] == v2["time"]
    assert {k: v for k, v in v1["data"].items() if k != "user"} == v2["data"]


def test_unknown_schema_is_a_config_error() -> None:
    """Only V1.0 and V2.0 exist."""
    with pytest.raises(ConfigError, match=r"unknown User Audit schema 'V3\.0'"):
        audit(schema="V3.0")


def test_unknown_time_format_is_a_config_error() -> None:
    """time_format must name a documented style."""
    with pytest.raises(ConfigError, match="unknown time format 'local'"):
        audit(time_format="local")


def test_an_audit_stream_needs_a_component() -> None:
    """An empty component list is refused (the default argument is the whole catalog)."""
    with pytest.raises(ValueError, match="at least one component"):
        UserAuditStream(
            WORLD, [], seed=1, stream="s", munchkin_id=MUNCHKIN, recipient_client_id=CLIENT
        )


@pytest.mark.parametrize("component", AUDIT_COMPONENTS, ids=lambda c: c.name)
def test_every_component_parses_with_the_sdk_in_rfc3339_time(component: AuditComponent) -> None:
    """With time_format="iso-ms", each component's body is a CloudEvent the SDK reads."""
    stream = audit(component, time_format="iso-ms", deprecated_fields=False)
    for event in run(stream, 2):
        cloudevent = body(event)
        parsed = parse(cloudevent)
        assert parsed.get_type() == component.type
        assert parsed.get_dataschema() == "V2.0"
        assert parsed.get_time() == datetime.fromisoformat(cloudevent["time"])
        assert parsed.get_data() == cloudevent["data"]


def test_the_sdk_rejects_the_documented_uads_time() -> None:
    """The UADS docs' time has no zone: the SDK refuses it for `time` alone."""
    with pytest.raises(CloudEventValidationError) as caught:
        parse(body(run(audit(), 1)[0]))
    assert set(caught.value.errors) == {"time"}


def test_the_sdk_invents_the_id_that_uads_bodies_lack() -> None:
    """The 2.x reader fills in a random UUID where the body has no id; 1.x refuses it."""
    cloudevent = body(run(audit(time_format="iso-ms"), 1)[0])
    assert "id" not in cloudevent
    assert uuid.UUID(parse(cloudevent).get_id()).version == 4
    with pytest.raises(MissingRequiredFields, match="id"):
        v1_from_json(json.dumps(cloudevent))


def test_the_v1_sdk_reads_the_v1_schema() -> None:
    """The V1.0 shape has an id, so the 1.x API reads it as it comes (no time parsing there)."""
    cloudevent = run(audit(schema="V1.0"), 1)[0].envelope["event"]
    parsed = v1_from_json(json.dumps(cloudevent))
    assert parsed["id"] == cloudevent["id"]
    assert parsed["time"] == "2026-04-20T18:43:56Z"


@pytest.mark.parametrize(
    ("offset", "time"),
    [
        pytest.param(0.28, "2026-04-20T18:43:56.28Z", id="page-example-digits"),
        pytest.param(0.755, "2026-04-20T18:43:56.755Z", id="three-digits"),
        pytest.param(0.5, "2026-04-20T18:43:56.5Z", id="one-digit"),
        pytest.param(0.0, "2026-04-20T18:43:56Z", id="whole-second"),
    ],
)
def test_uads_v1_time_is_written_like_the_page_example(offset: float, time: str) -> None:
    """V1.0 time is "2020-05-28T19:20:47.28Z"-style: UTC, milliseconds without trailing zeros."""
    assert audit(schema="V1.0").cloudevent(0, T0 + offset)["time"] == time


@given(ms=st.integers(min_value=0, max_value=10**12))
def test_the_trimmed_v1_time_reads_back_to_the_millisecond(ms: int) -> None:
    """However many trailing zeros are dropped, an ISO parser reads the same instant back."""
    stream = audit(schema="V1.0")
    text = stream.cloudevent(0, ms / 1000)["time"]
    assert round(datetime.fromisoformat(text).timestamp() * 1000) == ms


# ---- Notification (§3b) -----------------------------------------------------------------------

NOTIFICATION_BODY_KEYS = ["specversion", "source", "time", "type", "dataschema"]
NOTIFICATION_DATA_KEYS = ["munchkinId", "imsOrgId", "componentType", "subType", "eventAction"]


def test_notification_body_has_the_example_shape() -> None:
    """Keys in §3b order, source urn:mlm, dataschema V1.0, time like "2024-12-18T07:32:30Z"."""
    event = run(notifications(), 1)[0]
    assert list(event.envelope) == ["eventid", "event", "recipientclientid", *DEPRECATED]
    cloudevent = body(event)
    assert list(cloudevent) == [*NOTIFICATION_BODY_KEYS, "datacontenttype", "data"]
    assert list(cloudevent["data"]) == NOTIFICATION_DATA_KEYS
    assert (cloudevent["source"], cloudevent["dataschema"]) == ("urn:mlm", "V1.0")
    assert cloudevent["time"] == "2026-04-20T18:43:56Z"


def test_the_experience_league_notification_shape_is_the_page_example() -> None:
    """shape "experience-league": no body, source https://www.marketo.com, "-5:00" time, and
    the page's key order; the envelope stays today's I/O one."""
    stream = notifications(find_notification_kind("Campaign Abort"), shape="experience-league")
    (event,) = stream.io_events([(0, T0 + 0.489)])
    assert list(event.envelope) == ["eventid", "event", "recipientclientid", *DEPRECATED]
    cloudevent = event.envelope["event"]
    assert list(cloudevent) == [
        "specversion", "type", "source", "time", "datacontenttype", "dataschema", "data"
    ]  # fmt: skip
    assert cloudevent["source"] == "https://www.marketo.com"
    assert cloudevent["time"] == "2026-04-20T13:43:56.489-5:00"
    assert list(cloudevent["data"]) == [
        "componentType", "subType", "eventAction", "imsOrgId", "munchkinId"
    ]  # fmt: skip
    assert cloudevent["data"]["subType"] == "user_campaign_abort"


def test_the_two_notification_shapes_describe_the_same_event() -> None:
    """The shape changes the layout, not the event: same kind, eventAction and org."""
    current = body(run(notifications(), 1, start=7)[0])
    page = run(notifications(shape="experience-league"), 1, start=7)[0].envelope["event"]
    assert page["data"] == {key: current["data"][key] for key in page["data"]}
    assert page["type"] == current["type"]


def test_unknown_notification_shape_is_a_config_error() -> None:
    """Only the current and the Experience League shapes exist."""
    with pytest.raises(ConfigError, match=r"unknown Notification shape 'v2'"):
        notifications(shape="v2")


def test_every_notification_kind_is_produced() -> None:
    """A stream of the whole catalog sends every kind within 200 events."""
    assert {e.type for e in run(notifications(), 200)} == {k.type for k in NOTIFICATION_KINDS}


@pytest.mark.parametrize("kind", NOTIFICATION_KINDS, ids=lambda k: k.name)
def test_each_kind_carries_its_component_subtype_and_action_fields(kind: NotificationKind) -> None:
    """componentType, subType and eventAction keys are the catalog row's."""
    for event in run(notifications(kind), 5):
        data = body(event)["data"]
        assert (data["componentType"], data["subType"]) == (kind.component_type, kind.sub_type)
        assert tuple(data["eventAction"]) == kind.action_fields


@pytest.mark.parametrize("kind", NOTIFICATION_KINDS, ids=lambda k: k.name)
def test_every_notification_kind_parses_with_the_sdk(kind: NotificationKind) -> None:
    """Each kind's body, in its documented time form, is a CloudEvent the SDK reads."""
    for event in run(notifications(kind, deprecated_fields=False), 2):
        parsed = parse(body(event))
        assert parsed.get_type() == kind.type
        assert parsed.get_data() == body(event)["data"]


def test_campaign_abort_names_a_campaign_and_a_user_of_the_world() -> None:
    """campaignId and userId come from the same campaigns and users as the other streams."""
    for event in run(notifications(find_notification_kind("Campaign Abort")), 20):
        action = body(event)["data"]["eventAction"]
        assert action["campaignId"] in {c.id for c in WORLD.campaigns}
        assert action["userId"] in {u.email for u in WORLD.users}


def test_web_services_quota_payload_types() -> None:
    """dailyQuota and percent are numbers, serviceNames a non-empty array of strings."""
    for event in run(notifications(find_notification_kind("web_services")), 20):
        action = body(event)["data"]["eventAction"]
        assert type(action["dailyQuota"]) is int
        assert 0 < action["percent"] <= 100
        assert 1 <= len(action["serviceNames"]) <= 3
        assert all(type(name) is str for name in action["serviceNames"])


def test_nurture_exhaustion_names_a_nurture_program() -> None:
    """The inferred nurture kind points at a program that has nurture tracks."""
    for event in run(notifications(find_notification_kind("nurture")), 10):
        program = body(event)["data"]["eventAction"]["programId"]
        assert program in {t.program_id for t in WORLD.tracks}


# ---- event ids, determinism, random access ----------------------------------------------------

STREAMS = {"lead-activity": lads, "user-audit": audit, "notification": notifications}


@pytest.mark.parametrize("make", STREAMS.values(), ids=list(STREAMS))
def test_eventids_are_unique_uuid4s_over_10k_seqs(make: Any) -> None:
    """10 000 seqs give 10 000 distinct eventids, each a version-4 UUID string."""
    stream = make()
    ids = [stream.event_id(seq) for seq in range(10_000)]
    assert len(set(ids)) == 10_000
    assert all(is_uuid4(event_id) for event_id in ids[:500])


@pytest.mark.parametrize("make", STREAMS.values(), ids=list(STREAMS))
def test_eventid_is_stable_per_seq_whatever_the_time_or_order(make: Any) -> None:
    """Retries, replays and late slices see the same eventid for a seq."""
    stream = make()
    late = stream.io_events([(10**9, T0 + 99), (3, T0)])
    assert [e.event_id for e in late] == [stream.event_id(10**9), stream.event_id(3)]
    assert run(make(), 1, start=3)[0].event_id == late[1].event_id


def test_eventids_of_different_streams_differ() -> None:
    """Stream name, seed and stream kind each change the eventid of a seq."""
    ids = {
        lads().event_id(0),
        lads(name="other").event_id(0),
        lads(seed=2).event_id(0),
        audit().event_id(0),
        notifications().event_id(0),
    }
    assert len(ids) == 5


@pytest.mark.parametrize("make", STREAMS.values(), ids=list(STREAMS))
def test_same_seed_gives_identical_bodies(make: Any) -> None:
    """Two streams built alike serialise to the same bytes, single and batch."""
    first, second = run(make(), 20), run(make(), 20)
    assert io_body(first, batch=True) == io_body(second, batch=True)
    assert io_body(first[:1], batch=False) == io_body(second[:1], batch=False)
    assert io_body(run(make(seed=2), 20), batch=True) != io_body(first, batch=True)


@pytest.mark.parametrize("make", [audit, notifications], ids=["user-audit", "notification"])
def test_random_access_matches_sequential_generation(make: Any) -> None:
    """cloudevent(n, t) is the same whatever was generated before, in any order."""
    items = [(seq, T0 + seq / 7) for seq in range(200)]
    forward = [make().cloudevent(seq, at) for seq, at in items]
    fresh = make()
    assert [fresh.cloudevent(seq, at) for seq, at in reversed(items)][::-1] == forward


def test_seq_outside_the_stream_range_is_refused() -> None:
    """Event ids and events exist for seq in range(2**32) only, as for ActivityStream."""
    with pytest.raises(ValueError, match="seq must be"):
        audit().cloudevent(-1, T0)
    with pytest.raises(ValueError, match="seq must be"):
        notifications().event_id(2**32)


def test_a_batch_body_is_the_array_of_envelopes() -> None:
    """io_body(batch=True) of a stream's events parses back to their envelopes, in order."""
    events = run(audit(), 3)
    assert orjson.loads(io_body(events, batch=True)) == [e.envelope for e in events]


# ---- samples for the CLI ----------------------------------------------------------------------


def test_lead_activity_samples_match_the_legacy_samples() -> None:
    """Sample n is the same activity on both profiles: marketoGUID is the CloudEvent id."""
    legacy = sample_events("lead-activity", ref="Visit Webpage", count=3, profile="marketo-legacy")
    io = sample_events("lead-activity", ref="Visit Webpage", count=3)
    assert legacy == sample_activities("Visit Webpage", count=3)
    assert [e["id"] for e in io] == [a["marketoGUID"] for a in legacy]
    assert [e["data"]["leadId"] for e in io] == [str(a["leadId"]) for a in legacy]


def test_user_audit_samples_of_one_component_and_action() -> None:
    """ref and action narrow the samples to that component and eventAction."""
    samples = sample_events("user-audit", ref="Landing Page", action="approve", count=4)
    assert {
        (s["event"]["body"]["data"]["componentType"], s["event"]["body"]["data"]["eventAction"])
        for s in samples
    } == {("Landing Page", "approve")}


def test_user_audit_samples_of_one_action_span_components() -> None:
    """An action without a component mixes every component that sends it."""
    samples = sample_events("user-audit", action="approve", count=60)
    data = [s["event"]["body"]["data"] for s in samples]
    assert {d["eventAction"] for d in data} == {"approve"}
    assert len({d["componentType"] for d in data}) > 5


def test_notification_samples_of_one_kind() -> None:
    """A kind ref gives only that kind, one second apart."""
    samples = sample_events("notification", ref="Campaign Abort", count=2)
    assert [s["event"]["body"]["type"] for s in samples] == [
        "com.adobe.platform.marketo.notification.campaign_abort"
    ] * 2
    assert [s["event"]["body"]["time"] for s in samples] == [
        "2026-04-20T18:43:56Z",
        "2026-04-20T18:43:57Z",
    ]


@pytest.mark.parametrize(
    ("stream", "profile"),
    [
        ("lead-activity", "marketo-legacy"),
        ("lead-activity", "adobe-io"),
        ("user-audit", "adobe-io"),
        ("notification", "adobe-io"),
    ],
)
def test_sample_events_made_a_chunk_at_a_time_are_the_same_events(
    stream: str, profile: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Made 7 at a time or all at once, 20 samples are the same events in the same order."""
    whole = sample_events(stream, count=20, seed=3, profile=profile)
    monkeypatch.setattr(iostreams, "SAMPLE_CHUNK", 7)
    assert list(iter_sample_events(stream, count=20, seed=3, profile=profile)) == whole


def test_sample_events_are_made_as_they_are_read() -> None:
    """The first three of ten million samples come without making the rest (a list of them all
    would not fit in memory): they are the first three samples."""
    first = itertools.islice(iter_sample_events("notification", count=10_000_000), 3)
    assert list(first) == sample_events("notification", count=3)


def test_iter_sample_events_refuses_bad_arguments_at_the_call() -> None:
    """A bad stream is refused when the iterator is asked for, not when it is first read."""
    with pytest.raises(ConfigError, match="unknown stream 'metrics'"):
        iter_sample_events("metrics")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param({"stream": "metrics"}, "unknown stream 'metrics'", id="stream"),
        pytest.param(
            {"stream": "notification", "profile": "x"}, "unknown profile 'x'", id="profile"
        ),
        pytest.param(
            {"stream": "user-audit", "profile": "marketo-legacy"},
            "the user-audit stream exists only on Adobe I/O",
            id="legacy-audit",
        ),
        pytest.param(
            {"stream": "notification", "action": "approve"},
            "an eventAction selects User Audit events",
            id="action-elsewhere",
        ),
        pytest.param(
            {"stream": "user-audit", "ref": "Email", "action": "activate"},
            "unknown eventAction 'activate' for 'Email'",
            id="action-of-another-component",
        ),
    ],
)
def test_sample_events_refuses_bad_combinations(arguments: dict[str, Any], message: str) -> None:
    """Each bad stream, profile or action is a ConfigError saying what is wrong."""
    stream = arguments.pop("stream")
    with pytest.raises(ConfigError, match=message):
        sample_events(stream, **arguments)
