"""Value generators: every value kind the catalog names has one, as a projection of the records
of its draw group (or of the lead or the date), and each reads what its kind says from the world.
User Audit and Notification values are functions of the event hash."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.payloads.catalog import ACTIVITY_TYPES, AUDIT_COMPONENTS, NOTIFICATION_KINDS
from simulator.payloads.draws import mix
from simulator.payloads.pools import Lead
from simulator.payloads.values import (
    DATE,
    LEAD,
    Group,
    Groups,
    action_fn,
    campaign,
    component_id_fn,
    primary,
    value,
)
from simulator.payloads.world import NEW_LEAD_BASE, World

WORLD = World.build(11)
GROUPS = Groups(WORLD)
LEAD_RECORD = WORLD.leads[0]
HASHES = [mix(n) for n in range(2000)]


def group_of(kind: str) -> Group:
    source = value(kind, GROUPS).source
    assert isinstance(source, Group)
    return source


def values(kind: str) -> list[Any]:
    """The value of `kind` for every record its group holds, in record order."""
    drawn = value(kind, GROUPS)
    return [drawn.project(record) for record in group_of(kind).records]


def share(kind: str, weights: tuple[float, ...], key: Any) -> dict[Any, float]:
    """The probability of each key of the records of `kind`'s group."""
    records = group_of(kind).records
    totals: dict[Any, float] = {}
    for record, weight in zip(records, weights, strict=True):
        totals[key(record)] = totals.get(key(record), 0.0) + weight / sum(weights)
    return totals


def test_every_attribute_and_primary_kind_of_the_catalog_has_a_generator() -> None:
    """No activity type names a kind that cannot be generated."""
    for activity_type in ACTIVITY_TYPES:
        for attribute in activity_type.attributes:
            value(attribute.value, GROUPS)
        if activity_type.primary is not None:
            primary(activity_type.primary, GROUPS)


def test_an_unknown_kind_is_named() -> None:
    """A kind outside the vocabulary fails when the stream is planned, with its name."""
    with pytest.raises(KeyError, match="no generator for attribute value kind 'nope'"):
        value("nope", GROUPS)


def test_kinds_of_one_record_come_from_the_same_record() -> None:
    """A Webpage ID and a Webpage URL are one draw of one group, so they belong to one page."""
    assert group_of("webpage_id") is group_of("webpage_path")
    paths = {page.id: page.path for page in WORLD.webpages}
    pairs = zip(values("webpage_id"), values("webpage_path"), strict=True)
    assert all(paths[page_id] == path for page_id, path in pairs)


def test_range_kinds_stay_inside_their_bounds() -> None:
    """Campaign run ids from 1000 to 99999, choice numbers 1 to 3, both ends reached."""
    assert {*values("choice_number")} == {1, 2, 3}
    runs = values("campaign_run_id")
    assert (min(runs), max(runs)) == (1000, 99999)


def test_a_changed_field_gets_another_value_of_its_own() -> None:
    """Old and new value differ and both belong to the field the event names."""
    fields = {field.name: field.values for field in WORLD.fields}
    rows = zip(values("field_name"), values("field_old"), values("field_new"), strict=True)
    for name, old, new in rows:
        assert old != new
        assert {old, new} <= set(fields[name])


def test_every_field_is_equally_likely_to_change() -> None:
    """The field draw is weighted so that each field, however many values it has, is 1/10."""
    weights = group_of("field_name").weights
    assert weights is not None
    shares = share("field_name", weights, lambda record: record[0].name)
    assert len(shares) == len(WORLD.fields)
    assert all(abs(p - 1 / len(WORLD.fields)) < 1e-9 for p in shares.values())


def test_every_origin_of_a_change_is_equally_likely() -> None:
    """Web service API, a form fill-out and a flow action each come a third of the time."""
    weights = group_of("change_source").weights
    assert weights is not None
    shares = share("change_source", weights, lambda record: record[1])
    assert set(shares) == {"Web service API", "Web form fillout", "Marketo Flow Action"}
    assert all(abs(p - 1 / 3) < 1e-9 for p in shares.values())


def test_a_score_change_adds_up() -> None:
    """New Value is Old Value plus Change Value, for every record of the score group."""
    rows = zip(values("score_old"), values("score_change"), values("score_new"), strict=True)
    assert all(new == old + int(change) for old, change, new in rows)


def test_a_progression_moves_forward_and_is_acquired_from_the_first_status() -> None:
    """The new status is later on the ladder; Acquired By marks moves out of the first one."""
    ladder = [status.id for status in WORLD.statuses]
    rows = zip(values("status_old_id"), values("status_new_id"), values("acquired_by"), strict=True)
    for old, new, acquired in rows:
        assert ladder.index(new) > ladder.index(old)
        assert acquired is (old == ladder[0])


def test_merged_lead_ids_are_neither_pool_nor_new_lead_ids() -> None:
    """The leads merged away are gone: their ids are not in the pool and below New Lead ids."""
    pool = {lead.id for lead in WORLD.leads}
    merged = value("merge_ids", GROUPS)
    ids = {int(merged.project(record)) for record in group_of("merge_ids").records[::997]}
    assert not ids & pool
    assert all(max(pool) < lead_id < NEW_LEAD_BASE for lead_id in ids)


def test_a_product_of_groups_holds_every_combination_once() -> None:
    """Two groups drawn as one: each pair of records, in member order."""
    product = GROUPS.product(("query", "sync_as"))
    query, sync_as = GROUPS["query"].records, GROUPS["sync_as"].records
    assert product.records == [(q, s) for q in query for s in sync_as]
    assert GROUPS.product(("query", "sync_as")) is product


def test_the_lead_is_its_own_primary_value() -> None:
    """New Lead and Delete Lead name the lead: its id and its display name."""
    named = primary("lead", GROUPS)
    assert named.source == LEAD
    assert named.project(LEAD_RECORD) == (LEAD_RECORD.id, LEAD_RECORD.name)


def test_lead_kinds_read_the_lead_and_date_kinds_the_date() -> None:
    """Email and Form Fields are the lead's; a date attribute is the activityDate."""
    lead: Lead = LEAD_RECORD
    assert value("lead_email", GROUPS).project(lead) == lead.email
    assert value("form_fields", GROUPS).project(lead) == lead.form_fields
    assert value("lead_email", GROUPS).source == value("form_fields", GROUPS).source == LEAD
    assert value("activity_date", GROUPS).source == DATE


def test_campaign_caused_types_always_name_a_campaign() -> None:
    """Send Email (6) names a campaign for every event; Visit Webpage (1) never plans one."""
    names = campaign(6, GROUPS)
    assert names is not None
    assert isinstance(names.source, Group)
    assert all(names.project(r) in WORLD.campaigns for r in names.source.records)
    assert campaign(1, GROUPS) is None


def test_change_data_value_names_the_flow_campaign_its_attributes_name() -> None:
    """Only flow-action changes name a campaign, and then the one in Campaign and Reason."""
    names = campaign(13, GROUPS)
    assert names is not None
    assert names.source is group_of("flow_campaign_name")
    campaigns = [names.project(r) for r in group_of("flow_campaign_name").records]
    assert None in campaigns
    assert any(campaigns)
    for named, flow_name in zip(campaigns, values("flow_campaign_name"), strict=True):
        assert flow_name == (named.name if named else "")


def test_every_audit_asset_has_a_component_id() -> None:
    """Each component's componentId names an asset of the world, or an id of its range."""
    user = WORLD.users[0]
    landing = {page.id for page in WORLD.webpages if page.path.startswith("/lp/")}
    for component in AUDIT_COMPONENTS:
        ids = {component_id_fn(component.asset, WORLD)(h, user) for h in HASHES[:200]}
        if component.asset == "actor":
            assert ids == {user.id}
        elif component.asset == "landing_page":
            assert ids <= landing
        assert all(isinstance(i, int) for i in ids)


def test_every_notification_key_has_a_value() -> None:
    """Each kind's eventAction keys are filled; serviceNames is one to three services."""
    for kind in NOTIFICATION_KINDS:
        for key in kind.action_fields:
            action_fn(kind, key, WORLD)(HASHES[0])
    quota = next(k for k in NOTIFICATION_KINDS if "serviceNames" in k.action_fields)
    services = [action_fn(quota, "serviceNames", WORLD)(h) for h in HASHES[:300]]
    assert {len(names) for names in services} == {1, 2, 3}
    assert all(len(set(names)) == len(names) for names in services)


def test_a_nurture_notification_names_a_nurture_program() -> None:
    """programId of the nurture kind comes from the nurture tracks, not the other programs."""
    nurture = next(k for k in NOTIFICATION_KINDS if k.component_type == "nurture")
    programs = {action_fn(nurture, "programId", WORLD)(h) for h in HASHES[:200]}
    assert programs <= {track.program_id for track in WORLD.tracks}
