"""Value generators: every value kind the catalog names has one, and each draws what its kind
says from the world, the same for the same event hash."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.payloads.catalog import ACTIVITY_TYPES, AUDIT_COMPONENTS, NOTIFICATION_KINDS
from simulator.payloads.draws import mix
from simulator.payloads.pools import Lead
from simulator.payloads.values import (
    action_fn,
    campaign_fn,
    component_id_fn,
    primary_fn,
    value_fn,
)
from simulator.payloads.world import World

WORLD = World.build(11)
LEAD = WORLD.leads[0]
STAMP = "2026-04-20T18:43:56Z"
HASHES = [mix(n) for n in range(2000)]


def values(kind: str, lead: Lead = LEAD) -> list[Any]:
    """The value of `kind` for each test hash."""
    generate = value_fn(kind, WORLD)
    return [generate(h, lead, STAMP) for h in HASHES]


def test_every_attribute_and_primary_kind_of_the_catalog_has_a_generator() -> None:
    """No activity type names a kind that cannot be generated."""
    for activity_type in ACTIVITY_TYPES:
        for attribute in activity_type.attributes:
            value_fn(attribute.value, WORLD)
        if activity_type.primary is not None:
            primary_fn(activity_type.primary, WORLD)


def test_an_unknown_kind_is_named() -> None:
    """A kind outside the vocabulary fails when the stream is planned, with its name."""
    with pytest.raises(KeyError, match="no generator for attribute value kind 'nope'"):
        value_fn("nope", WORLD)


def test_kinds_of_one_record_come_from_the_same_record() -> None:
    """A Webpage ID and a Webpage URL drawn for one event belong to one webpage."""
    paths = {page.id: page.path for page in WORLD.webpages}
    pairs = zip(values("webpage_id"), values("webpage_path"), strict=True)
    assert all(paths[page_id] == path for page_id, path in pairs)


def test_range_kinds_stay_inside_their_bounds() -> None:
    """Campaign run ids from 1000 to 99999, choice numbers 1 to 3, both ends reached."""
    assert {*values("choice_number")} == {1, 2, 3}
    runs = values("campaign_run_id")
    assert all(1000 <= run <= 99999 for run in runs)


def test_a_changed_field_gets_another_value_of_its_own() -> None:
    """Old and new value differ and both belong to the field the event names."""
    fields = {field.name: field.values for field in WORLD.fields}
    rows = zip(values("field_name"), values("field_old"), values("field_new"), strict=True)
    for name, old, new in rows:
        assert old != new
        assert {old, new} <= set(fields[name])


def test_the_lead_is_its_own_primary_value() -> None:
    """New Lead and Delete Lead name the lead: its id and its display name."""
    assert primary_fn("lead", WORLD)(HASHES[0], LEAD, STAMP) == (LEAD.id, LEAD.name)


def test_lead_kinds_read_the_lead_and_date_kinds_the_date() -> None:
    """Email and Form Fields are the lead's; a date attribute is the activityDate."""
    assert {*values("lead_email")} == {LEAD.email}
    assert {*values("form_fields")} == {LEAD.form_fields}
    assert {*values("activity_date")} == {STAMP}


def test_campaign_caused_types_always_name_a_campaign() -> None:
    """Send Email (6) names a campaign for every event; Visit Webpage (1) never plans one."""
    names = campaign_fn(6, WORLD)
    assert names is not None
    assert all(names(h) in WORLD.campaigns for h in HASHES)
    assert campaign_fn(1, WORLD) is None


def test_change_data_value_names_the_flow_campaign_its_attributes_name() -> None:
    """Only flow-action changes name a campaign, and then the one in Campaign and Reason."""
    names = campaign_fn(13, WORLD)
    assert names is not None
    campaigns = [names(h) for h in HASHES]
    assert None in campaigns
    assert any(campaigns)
    for campaign, flow_name in zip(campaigns, values("flow_campaign_name"), strict=True):
        assert flow_name == (campaign.name if campaign else "")


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
