"""The Lead Activity generator."""

from __future__ import annotations

import re
from typing import Any

import pytest

from simulator.errors import UnknownActivityType
from simulator.payloads.catalog import ACTIVITY_TYPES, ActivityType, find_activity_type
from simulator.payloads.events import ActivityStream, sample_activities
from simulator.payloads.formats import format_timestamp
from simulator.payloads.world import World

WORLD = World.build(11)
T0 = 1776710636.0  # 2026-04-20T18:43:56Z
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
PYTHON_TYPE = {
    "integer": int,
    "object": int,
    "string": str,
    "text": str,
    "datetime": str,
    "boolean": bool,
}


def stream(*refs: str | int, seed: int = 1, name: str = "sub", world: World = WORLD) -> Any:
    types = [find_activity_type(ref) for ref in refs] if refs else list(ACTIVITY_TYPES)
    return ActivityStream(world, types, seed=seed, stream=name)


def run(s: ActivityStream, count: int, start: int = 0) -> list[dict[str, Any]]:
    return s.activities((seq, T0 + seq) for seq in range(start, start + count))


def attributes(activity: dict[str, Any]) -> dict[str, Any]:
    return {a["name"]: a["value"] for a in activity["attributes"]}


def expected_keys(t: ActivityType, activity: dict[str, Any]) -> list[str]:
    keys = ["marketoGUID", "leadId", "activityDate", "activityTypeId", "activityType"]
    keys.append("activityLogItemId")
    if t.primary is not None:
        keys += ["primaryAttributeValueId", "primaryAttributeValue"]
    if "campaignId" in activity:
        keys += ["campaignId", "campaignName"]
    return [*keys, "attributes"]


# ---- shape of every activity type -------------------------------------------------------------


@pytest.mark.parametrize("activity_type", ACTIVITY_TYPES, ids=lambda t: f"{t.id}-{t.name}")
def test_every_type_generates_a_well_formed_activity(activity_type: ActivityType) -> None:
    """Keys in order, JSON types as documented, attributes exactly the catalog's, typed."""
    for activity in run(stream(activity_type.id), 3):
        assert list(activity) == expected_keys(activity_type, activity)
        assert GUID.match(activity["marketoGUID"])
        assert type(activity["leadId"]) is int
        assert ISO.match(activity["activityDate"])
        assert activity["activityTypeId"] == activity_type.id
        assert activity["activityType"] == activity_type.name
        assert type(activity["activityLogItemId"]) is int
        if activity_type.primary is not None:
            assert type(activity["primaryAttributeValueId"]) is int
            assert type(activity["primaryAttributeValue"]) is str
        spec = [(a.name, a.data_type) for a in activity_type.attributes]
        assert [(a["name"], a["dataType"]) for a in activity["attributes"]] == spec
        for a in activity["attributes"]:
            assert type(a["value"]) is PYTHON_TYPE[a["dataType"]], a
            assert list(a) == ["name", "dataType", "value"]


def test_datetime_attributes_are_iso_strings() -> None:
    """Datetime attribute values use the activityDate format."""
    activity = run(stream("Attend Conference"), 1)[0]
    assert attributes(activity)["Badge Scanned At"] == activity["activityDate"]


def test_activity_date_is_at_in_whole_utc_seconds() -> None:
    """activityDate comes from `at`, fraction dropped."""
    s = stream("Visit Webpage")
    assert s.activity(0, T0 + 0.999)["activityDate"] == "2026-04-20T18:43:56Z"
    assert s.activity(0, T0 + 61)["activityDate"] == "2026-04-20T18:44:57Z"


def test_guid_ends_with_the_seq_in_hex() -> None:
    """The last 12 hex digits of marketoGUID are the sequence number."""
    s = stream("Visit Webpage")
    assert s.activity(54321, T0)["marketoGUID"].endswith("-00000000d431")


def test_log_item_ids_grow_with_seq_and_stay_json_safe() -> None:
    """activityLogItemId increases by one per seq and stays below 2**53."""
    ids = [a["activityLogItemId"] for a in run(stream(), 50)]
    assert ids == list(range(ids[0], ids[0] + 50))
    assert stream().activity(2**32 - 1, T0)["activityLogItemId"] < 2**53


def test_seq_outside_the_stream_range_is_refused() -> None:
    """Negative or too-large sequence numbers raise ValueError."""
    with pytest.raises(ValueError, match="seq must be"):
        stream().activity(-1, T0)
    with pytest.raises(ValueError, match="seq must be"):
        stream().activity(2**32, T0)


def test_a_stream_needs_a_type() -> None:
    """An empty type list is refused."""
    with pytest.raises(ValueError, match="at least one type, and no negative weight"):
        ActivityStream(WORLD, [], seed=1, stream="empty")


# ---- determinism and random access ------------------------------------------------------------


def test_same_inputs_give_identical_activities() -> None:
    """Two streams built from the same seeds and name produce equal output."""
    assert run(stream(), 300) == run(stream(), 300)


@pytest.mark.parametrize(
    "other",
    [
        pytest.param({"seed": 2}, id="stream-seed"),
        pytest.param({"name": "other"}, id="stream-name"),
        pytest.param({"world": World.build(12)}, id="world-seed"),
    ],
)
def test_any_changed_seed_or_name_changes_the_activities(other: dict[str, Any]) -> None:
    """Stream seed, stream name and world seed each change the output."""
    assert run(stream(**other), 50) != run(stream(), 50)


def test_random_access_matches_sequential_generation() -> None:
    """activity(n, t) equals the n-th item of activities(), whatever the call order."""
    items = [(seq, T0 + seq / 7) for seq in range(400)]
    forward = stream().activities(items)
    fresh = stream()
    backward = [fresh.activity(seq, at) for seq, at in reversed(items)]
    assert backward[::-1] == forward


def test_a_late_slice_does_not_depend_on_earlier_calls() -> None:
    """Materialising seqs 10**9.. directly gives what any other call history gives."""
    warmed = stream()
    run(warmed, 100)
    assert run(warmed, 20, start=10**9) == run(stream(), 20, start=10**9)


def test_guids_are_unique_over_100k_seqs() -> None:
    """No two of 100 000 sequence numbers share a marketoGUID."""
    s = stream("Sync Lead to SFDC")
    guids = {s.activity(seq, T0)["marketoGUID"] for seq in range(100_000)}
    assert len(guids) == 100_000


def test_guids_of_two_streams_are_disjoint() -> None:
    """Two subscriptions never produce the same marketoGUID or log item id."""
    a, b = stream("Sync Lead to SFDC", name="a"), stream("Sync Lead to SFDC", name="b")
    seqs = range(0, 2**32, 2**32 // 20_000)
    first = [a.activity(seq, T0) for seq in seqs]
    second = [b.activity(seq, T0) for seq in seqs]
    assert not {x["marketoGUID"] for x in first} & {x["marketoGUID"] for x in second}
    assert not {x["activityLogItemId"] for x in first} & {x["activityLogItemId"] for x in second}


def test_type_choice_follows_weights() -> None:
    """Visit Webpage (weight 30) outnumbers Delete Lead (weight 0.1) about 300 to 1."""
    types = [a["activityTypeId"] for a in run(stream("Visit Webpage", "Delete Lead"), 3000)]
    assert types.count(1) > 2950
    assert types.count(37) >= 1


# ---- lead changes -----------------------------------------------------------------------------


def test_new_lead_creates_a_lead_outside_the_pool() -> None:
    """New Lead ids are fresh, unique, and the primary attribute names the new lead."""
    pool = {lead.id for lead in WORLD.leads}
    activities = run(stream("New Lead"), 200)
    ids = [a["leadId"] for a in activities]
    assert len(set(ids)) == 200
    assert not pool & set(ids)
    for a in activities:
        assert a["primaryAttributeValueId"] == a["leadId"]
        assert re.match(r"^\S+ \S+$", a["primaryAttributeValue"])


def test_new_lead_attributes() -> None:
    """Created Date is the activity date; Source Type says how the lead arrived."""
    for a in run(stream("New Lead"), 20):
        values = attributes(a)
        assert values["Created Date"] == a["activityDate"]
        assert values["Source Type"] in {
            "Web form fillout",
            "Web service API",
            "List import",
            "Salesforce.com",
        }


def test_change_data_value_changes_the_value() -> None:
    """Old Value and New Value always differ, and the primary attribute is the field."""
    fields = {field.id: field for field in WORLD.fields}
    for a in run(stream("Change Data Value"), 300):
        values = attributes(a)
        assert values["Old Value"] != values["New Value"]
        field = fields[a["primaryAttributeValueId"]]
        assert a["primaryAttributeValue"] == values["Attribute Name"] == field.name
        assert {values["Old Value"], values["New Value"]} <= set(field.values)


def test_change_data_value_names_a_campaign_only_for_flow_actions() -> None:
    """campaignId appears exactly when Source is "Marketo Flow Action", matching Campaign."""
    sources = set()
    for a in run(stream("Change Data Value"), 200):
        values = attributes(a)
        sources.add(values["Source"])
        flow = values["Source"] == "Marketo Flow Action"
        assert ("campaignId" in a) is flow
        assert values["Campaign"] == (a["campaignName"] if flow else "")
    assert sources == {"Web service API", "Web form fillout", "Marketo Flow Action"}


def test_change_data_value_reason_matches_source() -> None:
    """Reason and Source come in the pairs Marketo writes (§2)."""
    for a in run(stream("Change Data Value"), 100):
        values = attributes(a)
        reason, source = values["Reason"], values["Source"]
        if source == "Web service API":
            assert reason == "Web service API"
        elif source == "Web form fillout":
            assert reason.startswith("Form fill-out, URL: https://")
        else:
            assert (
                reason == f"Changed by Smart Campaign {a['campaignName']} action Change Data Value"
            )


def test_delete_lead_has_no_attributes_and_names_the_lead() -> None:
    """Delete Lead: empty attributes, primary id is the lead id, value is "First Last"."""
    pool = {lead.id: lead.name for lead in WORLD.leads}
    for a in run(stream("Delete Lead"), 20):
        assert a["attributes"] == []
        assert a["primaryAttributeValueId"] == a["leadId"]
        assert a["primaryAttributeValue"] == pool[a["leadId"]]


def test_delete_lead_deletes_a_lead_created_earlier() -> None:
    """With New Lead in the stream, each Delete Lead targets an earlier New Lead's lead, once."""
    activities = run(stream("New Lead", "Delete Lead"), 600)
    created: dict[int, str] = {}
    deleted: list[int] = []
    for a in activities:
        if a["activityTypeId"] == 12:
            created[a["leadId"]] = a["primaryAttributeValue"]
        elif a["leadId"] in created:
            assert a["primaryAttributeValue"] == created[a["leadId"]]
            deleted.append(a["leadId"])
    deletes = [a for a in activities if a["activityTypeId"] == 37]
    assert len(deletes) >= 1
    assert len(deleted) == len(deletes)
    assert len(set(deleted)) == len(deleted)


def test_other_activities_are_about_pool_leads() -> None:
    """Everything but New Lead and Delete Lead-after-New-Lead draws its lead from the pool."""
    pool = {lead.id for lead in WORLD.leads}
    assert {a["leadId"] for a in run(stream("Visit Webpage", "Open Email"), 200)} <= pool


# ---- consistency inside one activity ----------------------------------------------------------


def test_visit_webpage_primary_matches_its_attributes() -> None:
    """Webpage ID equals the primary id, and the primary value ends with the Webpage URL."""
    for a in run(stream("Visit Webpage"), 50):
        values = attributes(a)
        assert values["Webpage ID"] == a["primaryAttributeValueId"]
        assert a["primaryAttributeValue"].endswith(values["Webpage URL"])


def test_campaign_attribute_matches_campaign_name() -> None:
    """Add To List names the same campaign in its attribute and in campaignName."""
    for a in run(stream("Add To List"), 20):
        assert attributes(a)["Campaign"] == a["campaignName"]
        assert attributes(a)["List ID"] == a["primaryAttributeValueId"]


CAMPAIGN_PROGRAM = {c.id: c.program_id for c in WORLD.campaigns}


@pytest.mark.parametrize("ref", ["Send Email", "Email Delivered", "Email Bounced", "Send Alert"])
def test_an_email_activity_names_the_campaign_that_sends_that_email(ref: str) -> None:
    """The campaign of an email activity is its email's sender, in the email's own program."""
    mailings = {m.id: m for m in WORLD.mailings}
    for a in run(stream(ref), 60):
        mailing = mailings[attributes(a)["Mailing ID"]]
        assert a["campaignId"] == mailing.campaign_id
        assert CAMPAIGN_PROGRAM[a["campaignId"]] == mailing.program_id


def test_a_list_activity_names_a_campaign_of_the_lists_program() -> None:
    """Add To List / Remove from List: a program's list is used by that program's campaigns;
    a shared list (program 0) by any campaign, and every list is drawn."""
    lists = {item.id: item for item in WORLD.lists}
    seen = set()
    for a in run(stream("Add To List", "Remove from List"), 400):
        used = lists[attributes(a)["List ID"]]
        seen.add(used.id)
        if used.program_id:
            assert CAMPAIGN_PROGRAM[a["campaignId"]] == used.program_id
    assert seen == set(lists)


def test_a_progression_names_a_campaign_of_that_program() -> None:
    """Change Status in Progression: the campaign belongs to the program whose status changed."""
    for a in run(stream("Change Status in Progression"), 60):
        assert CAMPAIGN_PROGRAM[a["campaignId"]] == a["primaryAttributeValueId"]
        assert attributes(a)["Program ID"] == a["primaryAttributeValueId"]


def test_change_score_new_is_old_plus_change() -> None:
    """Change Score: New Value = Old Value + Change Value, Score Name is the primary."""
    for a in run(stream("Change Score"), 50):
        values = attributes(a)
        assert values["New Value"] == values["Old Value"] + int(values["Change Value"])
        assert values["Score Name"] == a["primaryAttributeValue"]


def test_progression_moves_forward_to_another_status() -> None:
    """Change Status In Progression goes to a later status of the same ladder."""
    for a in run(stream("Change Status In Progression"), 50):
        values = attributes(a)
        assert values["New Status ID"] > values["Old Status ID"]
        assert values["Program ID"] == a["primaryAttributeValueId"]


def test_nurture_track_change_stays_in_one_program() -> None:
    """Change Nurture Track moves between two different tracks of the same program."""
    tracks = {track.id: track for track in WORLD.tracks}
    for a in run(stream("Change Nurture Track"), 50):
        values = attributes(a)
        new, old = tracks[values["New Track ID"]], tracks[values["Previous Track ID"]]
        assert new != old
        assert new.program_id == old.program_id == values["Program ID"]


def test_bounce_category_is_the_first_digit_of_the_subcategory() -> None:
    """Email Bounced codes are the hard codes of §1d, Email Bounced Soft the soft ones."""
    hard = {attributes(a)["Subcategory"] for a in run(stream("Email Bounced"), 100)}
    soft = {attributes(a)["Subcategory"] for a in run(stream("Email Bounced Soft"), 200)}
    assert hard == {"1099", "1003", "1004", "2003", "2001"}
    assert soft == {"3999", "3001", "3004", "4003", "4002", "4006", "4999", "9999"}
    for a in run(stream("Email Bounced"), 10):
        assert attributes(a)["Category"] == attributes(a)["Subcategory"][0]


def test_custom_types_carry_their_own_attributes() -> None:
    """A custom activity has its id, its attributes and values of its declared types."""
    activity = run(stream("Purchase Product"), 1)[0]
    assert activity["activityTypeId"] == 100002
    values = attributes(activity)
    assert list(values) == ["Order ID", "Amount", "Currency", "Gift Note"]
    assert re.fullmatch(r"\d+\.\d\d", values["Amount"])  # a "string" dataType: text
    assert values["Currency"] in {"USD", "EUR", "GBP"}


# ---- samples for the CLI ----------------------------------------------------------------------


def test_sample_activities_of_one_type() -> None:
    """`count` activities of the named type, one second apart from the §1b activityDate."""
    samples = sample_activities("Visit Webpage", count=3)
    assert [a["activityType"] for a in samples] == ["Visit Webpage"] * 3
    assert [a["activityDate"] for a in samples] == [
        "2026-04-20T18:43:56Z",
        "2026-04-20T18:43:57Z",
        "2026-04-20T18:43:58Z",
    ]


def test_sample_activities_are_deterministic_per_seed() -> None:
    """The same seed prints the same samples; another seed prints others."""
    assert sample_activities(1, count=2, seed=4) == sample_activities("1", count=2, seed=4)
    assert sample_activities(1, count=2, seed=4) != sample_activities(1, count=2, seed=5)


def test_sample_activities_mixed_when_no_type() -> None:
    """No type gives a weighted mix of types starting at `at`."""
    samples = sample_activities(None, count=40, at=0)
    assert len({a["activityTypeId"] for a in samples}) > 3
    assert samples[0]["activityDate"] == format_timestamp(0)


def test_sample_activities_rejects_unknown_types() -> None:
    """An unknown type name raises the catalog's error."""
    with pytest.raises(UnknownActivityType):
        sample_activities("Visit Webpages", count=1)
