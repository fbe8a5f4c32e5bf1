"""The seeded world: the same pools for the same seed, in any process."""

from __future__ import annotations

import hashlib
import re

import pytest

from simulator.payloads.pools import (
    HARD_BOUNCES,
    SOFT_BOUNCES,
    STATUSES,
    TRACKS,
    make_lead,
)
from simulator.payloads.world import NEW_LEAD_BASE, World

WORLD = World.build(11)


def test_world_is_the_same_for_the_same_seed() -> None:
    """Two builds from one seed are equal, pool for pool."""
    assert World.build(11) == WORLD


def test_world_differs_between_seeds() -> None:
    """Another seed gives other leads."""
    assert World.build(12).leads != WORLD.leads


def test_world_has_the_requested_number_of_distinct_leads() -> None:
    """`leads` sets the pool size; ids and emails are unique."""
    world = World.build(5, leads=50)
    assert len(world.leads) == 50
    assert len({lead.id for lead in world.leads}) == 50
    assert len({lead.email for lead in world.leads}) == 50


def test_lead_names_match_their_parts() -> None:
    """A lead's display name is "First Last"."""
    lead = WORLD.leads[0]
    assert lead.name == f"{lead.first_name} {lead.last_name}"


def test_world_needs_a_lead() -> None:
    """A world without leads is refused."""
    with pytest.raises(ValueError, match="a world holds 1 to 400000 leads, got leads=0"):
        World.build(1, leads=0)


def test_marketo_users_have_distinct_ids_and_email_user_ids() -> None:
    """Twelve users with unique numeric ids and unique email-like userIds on the site's domain."""
    users = WORLD.users
    assert len(users) == 12
    assert len({u.id for u in users}) == len({u.email for u in users}) == 12
    for user in users:
        assert re.fullmatch(rf"[a-z]+\.[a-z]+\d*@{re.escape(WORLD.site)}", user.email), user
        assert 100 <= user.id < 1000


def test_ims_org_id_has_the_adobe_org_form() -> None:
    """24 upper-case hex digits and "@AdobeOrg", fixed by the seed."""
    assert re.fullmatch(r"[0-9A-F]{24}@AdobeOrg", WORLD.ims_org_id)
    assert World.build(12).ims_org_id != WORLD.ims_org_id


# The pools that existed before the User Audit and Notification streams, for seed 11.
OLDER_POOLS = (
    "seed", "leads", "first_names", "last_names", "companies", "email_domains", "job_titles",
    "site", "programs", "campaigns", "mailings", "lists", "forms", "webpages", "links",
    "referrers", "ips", "agents", "hard_bounces", "soft_bounces", "fields", "scores",
    "partitions", "revenue_models", "revenue_stages", "statuses", "segments", "tracks",
    "sales_users", "opportunities", "moment_types", "webhooks", "conferences", "products",
    "webinars",
)  # fmt: skip


def plain(value: object) -> object:
    """Tuples all the way down: a pool record's class name is not data, its values are."""
    if isinstance(value, tuple):
        return tuple(plain(item) for item in value)
    return value


def test_instance_pools_leave_the_older_pools_unchanged() -> None:
    """Users and org come from their own generator: every older pool is as before, bit for bit.

    The digest pins the name lists of `payloads.names` too: update it only when an older pool
    changes on purpose (it did for issue 12: names from data instead of Faker, and each
    campaign, email and list tied to its program).
    """
    text = repr([plain(getattr(WORLD, name)) for name in OLDER_POOLS]).encode()
    digest = hashlib.blake2b(text, digest_size=16).hexdigest()
    assert digest == "b81a3083ec356fcc44a47cf56de13acc"


def test_a_world_holds_at_most_400000_leads() -> None:
    """More leads than the id space below New Lead ids allows is refused."""
    with pytest.raises(ValueError, match="a world holds 1 to 400000 leads, got leads=400001"):
        World.build(1, leads=400_001)


def test_pool_lead_ids_stay_below_the_new_lead_ids() -> None:
    """Pool ids are drawn from 1001 up to 1001 + 20 x leads, far below NEW_LEAD_BASE."""
    ids = [lead.id for lead in World.build(3, leads=100).leads]
    assert min(ids) >= 1001
    assert max(ids) < 1001 + 20 * 100 < NEW_LEAD_BASE
    assert ids == sorted(ids)


def test_a_lead_carries_its_form_fields_as_a_php_array() -> None:
    """Form Fields as Marketo's REST API shows them; string lengths count UTF-8 bytes."""
    lead = make_lead(7, "Ana", "Díaz", "ana@example.com")
    assert lead.name == "Ana Díaz"
    assert lead.form_fields == (
        'a:3:{s:9:"FirstName";s:3:"Ana";s:8:"LastName";s:5:"Díaz";'
        's:5:"Email";s:15:"ana@example.com";}'
    )


def test_landing_pages_live_on_the_pages_host() -> None:
    """/lp/ pages are on pages.<site>, the others on www.<site>; the URL is host and path."""
    for page in WORLD.webpages:
        host = f"pages.{WORLD.site}" if page.path.startswith("/lp/") else f"www.{WORLD.site}"
        assert page.url == f"{host}{page.path}"
    assert sum(page.path.startswith("/lp/") for page in WORLD.webpages) == 20


def test_links_point_at_the_first_webpages() -> None:
    """Each of the 30 links is the https URL of the webpage at its position."""
    assert [link.url for link in WORLD.links] == [
        f"https://{page.url}" for page in WORLD.webpages[:30]
    ]


def test_referrers_are_blank_search_engines_or_own_links() -> None:
    """Two blanks (a direct visit), three search and social sites, then five of the links."""
    assert WORLD.referrers[:5] == (
        "",
        "",
        "https://www.google.com/",
        "https://www.linkedin.com/",
        "https://www.bing.com/",
    )
    assert WORLD.referrers[5:] == tuple(link.url for link in WORLD.links[:5])


def test_ips_are_public_ipv4_addresses() -> None:
    """No private, loopback, link-local, shared or documentation first octet."""
    assert len(WORLD.ips) == 100
    for ip in WORLD.ips:
        octets = [int(part) for part in ip.split(".")]
        assert 11 <= octets[0] < 224
        assert octets[0] not in (100, 127, 169, 172, 192, 198)
        assert 1 <= octets[3] <= 254


def test_name_fields_draw_from_the_people_pools() -> None:
    """A Change Data Value of First Name or Company Name uses the world's own names."""
    fields = {field.name: field.values for field in WORLD.fields}
    assert fields["First Name"] == WORLD.first_names
    assert fields["Company Name"] == WORLD.companies
    assert fields["Unsubscribed"] == ("false", "true")


def test_nurture_tracks_come_in_one_block_per_program() -> None:
    """Two nurture programs, each with the three tracks in order: the block a track change
    stays in."""
    assert [track.name for track in WORLD.tracks] == [*TRACKS, *TRACKS]
    programs = [track.program_id for track in WORLD.tracks]
    assert programs[:3] == [programs[0]] * 3
    assert programs[3:] == [programs[3]] * 3
    assert programs[0] != programs[3]


def test_bounce_categories_are_the_first_digit_of_their_code() -> None:
    """Hard bounces are categories 1 and 2, soft ones 3 to 9."""
    assert HARD_BOUNCES[0] == ("1099", "1", "550 5.7.1 Message blocked by local policy")
    assert {bounce.category for bounce in HARD_BOUNCES} == {"1", "2"}
    assert {bounce.category for bounce in SOFT_BOUNCES} <= set("3456789")
    assert all(bounce.category == bounce.code[0] for bounce in HARD_BOUNCES + SOFT_BOUNCES)


def test_the_progression_ladder_succeeds_only_at_its_top() -> None:
    """Statuses 20 to 24 in order, from Not in Program to Attended, the one success."""
    assert [status.id for status in STATUSES] == [20, 21, 22, 23, 24]
    assert [status.name for status in STATUSES if status.success] == ["Attended"]
    assert STATUSES[-1].success
