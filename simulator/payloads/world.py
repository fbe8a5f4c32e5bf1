"""The seeded world every event draws from: leads, campaigns, programs, assets and the rest.

Built once per run by `World.build(seed)` from the name lists of `locales` (the shipped en_US
data of `names` by default, so a seed gives the same world whatever Faker version is installed;
Faker's own lists for another locale), then read by the streams
(`events`, `iostreams`) through the draw groups of `values`, with integer arithmetic. Same seed,
same world, in any process. The pools' record types, and the pools every world shares, are in
`pools`.
What the streams derive from a world (compiled encoders, pre-encoded tables) is kept in its
`cache`, built on first use and shared by every stream of the world.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from simulator.payloads.locales import SHIPPED, name_lists
from simulator.payloads.pools import (
    AGENTS,
    CAMPAIGN_STEPS,
    CHANNELS,
    EMAIL_STEPS,
    FIELDS,
    FORMS,
    HARD_BOUNCES,
    MOMENT_TYPES,
    PARTITIONS,
    PRODUCTS,
    REFERRERS,
    REVENUE_MODELS,
    REVENUE_STAGES,
    ROLES,
    SCORES,
    SEGMENTS,
    SHARED_LISTS,
    SOFT_BOUNCES,
    STATUSES,
    TRACKS,
    WEBHOOKS,
    Agent,
    Asset,
    Bounce,
    Campaign,
    Field,
    Lead,
    Link,
    MarketoUser,
    Named,
    Program,
    ProgressionStatus,
    SalesUser,
    Segment,
    Track,
    Webpage,
    make_lead,
)

# How many names of each list `build` samples: a locale must offer at least these.
_NAMES_NEEDED = {
    "first_names": 60,
    "last_names": 60,
    "companies": 20,
    "domains": 21,
    "jobs": 15,
    "phrases": 14,
    "words": 60,
    "cities": 4,
    "catch_phrases": 4,
}

NEW_LEAD_BASE = 10_000_000  # New Lead ids are this + seq, above every static-pool id
_MAX_LEADS = 400_000  # pool ids are drawn below 1001 + 20 * leads, so they stay under the base


@dataclass(frozen=True, slots=True, kw_only=True)
class World:
    """A small seeded universe that every event draws from.

    Leads (id, first/last name, email), campaigns, programs, static lists, mailings, forms,
    webpages, links, IPs, user agents, lead fields, scores, partitions, revenue models and stages,
    progression statuses, segments, nurture tracks, sales users, opportunities, webhooks and the
    pools of the sample custom types, plus the Adobe org and the Marketo users and roles that the
    User Audit and Notification streams name: built once by `build`, drawn from `seed`.
    """

    seed: int
    leads: tuple[Lead, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    companies: tuple[str, ...]
    email_domains: tuple[str, ...]
    job_titles: tuple[str, ...]
    site: str
    programs: tuple[Program, ...]
    campaigns: tuple[Campaign, ...]
    mailings: tuple[Asset, ...]
    lists: tuple[Asset, ...]
    forms: tuple[Named, ...]
    webpages: tuple[Webpage, ...]
    links: tuple[Link, ...]
    referrers: tuple[str, ...]
    ips: tuple[str, ...]
    agents: tuple[Agent, ...]
    hard_bounces: tuple[Bounce, ...]
    soft_bounces: tuple[Bounce, ...]
    fields: tuple[Field, ...]
    scores: tuple[Named, ...]
    partitions: tuple[Named, ...]
    revenue_models: tuple[Named, ...]
    revenue_stages: tuple[Named, ...]
    statuses: tuple[ProgressionStatus, ...]
    segments: tuple[Segment, ...]
    tracks: tuple[Track, ...]
    sales_users: tuple[SalesUser, ...]
    opportunities: tuple[Named, ...]
    moment_types: tuple[Named, ...]
    webhooks: tuple[Named, ...]
    conferences: tuple[Named, ...]
    products: tuple[Named, ...]
    webinars: tuple[Named, ...]
    ims_org_id: str
    users: tuple[MarketoUser, ...]
    roles: tuple[Named, ...]
    # What streams derive from the world and share (`templates`: compiled encoders, draw groups,
    # pre-encoded tables), built on first use. Not part of the world's value: never compared.
    cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, seed: int, *, leads: int = 500, locale: str = SHIPPED) -> World:
        """The world for `seed`: identical for the same seed, lead count and locale in any
        process (for a locale other than en_US, within one Faker version)."""
        if not 1 <= leads <= _MAX_LEADS:
            raise ValueError(f"a world holds 1 to {_MAX_LEADS} leads, got leads={leads}")
        pool = name_lists(locale, _NAMES_NEEDED)
        # Names come from their own generator, so drawing more of them changes no id.
        text = random.Random(f"world-names:{seed}")

        def take(field: str) -> tuple[str, ...]:
            return _sample(text, getattr(pool, field), _NAMES_NEEDED[field])

        domains = take("domains")
        people = _People(
            first_names=take("first_names"),
            last_names=take("last_names"),
            companies=take("companies"),
            email_domains=domains[:20],
            job_titles=take("jobs"),
        )
        site = domains[20]
        phrases = take("phrases")  # 12 programs, 2 nurture programs
        slugs = list(take("words"))
        labels = _Labels(
            nurtures=phrases[12:], cities=take("cities"), webinars=take("catch_phrases")
        )
        rng = random.Random(seed)
        programs = _programs(phrases[:12], rng)
        # The draws below come in this order, from one generator: reordering them changes
        # every world.
        lead_pool = _leads(rng, people, leads)
        assets = _assets(rng, programs)
        web = _web(rng, site, slugs)
        sales = _sales(rng, people, site)
        drawn = _drawn(rng, labels, people)
        instance = _instance(seed, people, site)
        return cls(
            seed=seed,
            leads=lead_pool,
            first_names=people.first_names,
            last_names=people.last_names,
            companies=people.companies,
            email_domains=people.email_domains,
            job_titles=people.job_titles,
            site=site,
            programs=programs,
            campaigns=assets.campaigns,
            mailings=assets.mailings,
            lists=assets.lists,
            forms=assets.forms,
            webpages=web.webpages,
            links=web.links,
            referrers=web.referrers,
            ips=web.ips,
            agents=AGENTS,
            hard_bounces=HARD_BOUNCES,
            soft_bounces=SOFT_BOUNCES,
            fields=drawn.fields,
            scores=SCORES,
            partitions=PARTITIONS,
            revenue_models=REVENUE_MODELS,
            revenue_stages=REVENUE_STAGES,
            statuses=STATUSES,
            segments=SEGMENTS,
            tracks=drawn.tracks,
            sales_users=sales.sales_users,
            opportunities=sales.opportunities,
            moment_types=MOMENT_TYPES,
            webhooks=WEBHOOKS,
            conferences=drawn.conferences,
            products=PRODUCTS,
            webinars=drawn.webinars,
            ims_org_id=instance.ims_org_id,
            users=instance.users,
            roles=ROLES,
        )


# What each builder below draws, as typed records: `World.build` names every field it passes.
class _People(NamedTuple):
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    companies: tuple[str, ...]
    email_domains: tuple[str, ...]
    job_titles: tuple[str, ...]


class _Assets(NamedTuple):
    campaigns: tuple[Campaign, ...]
    mailings: tuple[Asset, ...]
    lists: tuple[Asset, ...]
    forms: tuple[Named, ...]


class _Web(NamedTuple):
    webpages: tuple[Webpage, ...]
    links: tuple[Link, ...]
    referrers: tuple[str, ...]
    ips: tuple[str, ...]


class _Sales(NamedTuple):
    sales_users: tuple[SalesUser, ...]
    opportunities: tuple[Named, ...]


class _Drawn(NamedTuple):
    """The seeded pools that are not people, assets, web or sales."""

    fields: tuple[Field, ...]
    tracks: tuple[Track, ...]
    conferences: tuple[Named, ...]
    webinars: tuple[Named, ...]


class _Labels(NamedTuple):
    """Names drawn for records that are not people: nurture programs, cities, webinars."""

    nurtures: tuple[str, ...]
    cities: tuple[str, ...]
    webinars: tuple[str, ...]


class _Instance(NamedTuple):
    ims_org_id: str
    users: tuple[MarketoUser, ...]


def _sample(rng: random.Random, pool: Sequence[str], count: int) -> tuple[str, ...]:
    """`count` different names of `pool`, in drawn order."""
    return tuple(rng.sample(pool, count))


def _ids(rng: random.Random, count: int, low: int, high: int) -> list[int]:
    return sorted(rng.sample(range(low, high), count))


def _leads(rng: random.Random, people: _People, count: int) -> tuple[Lead, ...]:
    emails: set[str] = set()
    leads = []
    for lead_id in _ids(rng, count, 1001, 1001 + count * 20):
        first, last = rng.choice(people.first_names), rng.choice(people.last_names)
        local, domain = f"{first}.{last}".lower(), rng.choice(people.email_domains)
        email = f"{local}@{domain}"
        if email in emails:  # two leads with one name get distinct addresses
            email = f"{local}{lead_id}@{domain}"
        emails.add(email)
        leads.append(make_lead(lead_id, first, last, email))
    return tuple(leads)


def _programs(phrases: Sequence[str], rng: random.Random) -> tuple[Program, ...]:
    channels = [CHANNELS[i % len(CHANNELS)] for i in range(len(phrases))]
    ids = _ids(rng, len(phrases), 1000, 9999)
    return tuple(
        Program(pid, f"2026-Q{i % 4 + 1} {channel} - {phrase.title()}", channel)
        for i, (pid, channel, phrase) in enumerate(zip(ids, channels, phrases, strict=True))
    )


def _assets(rng: random.Random, programs: tuple[Program, ...]) -> _Assets:
    """Each program's campaigns and emails, named after it; static lists of the first six
    programs, and four shared lists (program 0) that any program's campaign may use."""
    steps = [(p, s) for p in programs for s in CAMPAIGN_STEPS]
    emails = [(p, e) for p in programs for e in EMAIL_STEPS]
    lists = [(f"{p.name}.Registrants", p.id) for p in programs[:6]]
    lists += [(name, 0) for name in SHARED_LISTS]
    campaign_ids = _ids(rng, len(steps), 1000, 9999)
    sender = {(p.id, s): cid for cid, (p, s) in zip(campaign_ids, steps, strict=True)}
    return _Assets(
        campaigns=tuple(
            Campaign(cid, f"{p.name}.{s}", p.channel, p.id)
            for cid, (p, s) in zip(campaign_ids, steps, strict=True)
        ),
        mailings=tuple(
            Asset(mid, f"{p.name}.{e}", p.id, sender[p.id, EMAIL_STEPS[e]])
            for mid, (p, e) in zip(_ids(rng, len(emails), 1000, 9999), emails, strict=True)
        ),
        lists=tuple(
            Asset(lid, name, pid, 0)
            for lid, (name, pid) in zip(_ids(rng, len(lists), 100, 999), lists, strict=True)
        ),
        forms=tuple(map(Named, _ids(rng, len(FORMS), 1000, 1999), [f"FO-{n}" for n in FORMS])),
    )


def _web(rng: random.Random, site: str, slugs: list[str]) -> _Web:
    pairs = zip(slugs[:20], slugs[20:40], strict=True)
    pages = [f"/lp/{a.title()}{b.title()}.html" for a, b in pairs]
    pages += [f"/{s}" for s in slugs[40:]]
    hosts = [f"pages.{site}" if page.startswith("/lp/") else f"www.{site}" for page in pages]
    webpages = tuple(
        Webpage(i, f"{host}{page}", page)
        for i, host, page in zip(_ids(rng, len(pages), 1000, 9999), hosts, pages, strict=True)
    )
    links = tuple(map(Link, _ids(rng, 30, 1000, 9999), [f"https://{w.url}" for w in webpages[:30]]))
    return _Web(
        webpages=webpages,
        links=links,
        referrers=REFERRERS + tuple(link.url for link in links[:5]),
        ips=tuple(_public_ip(rng) for _ in range(100)),
    )


def _public_ip(rng: random.Random) -> str:
    first = rng.choice([n for n in range(11, 224) if n not in (100, 127, 169, 172, 192, 198)])
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _sales(rng: random.Random, people: _People, site: str) -> _Sales:
    firsts, lasts = people.first_names, people.last_names
    names = [(rng.choice(firsts), rng.choice(lasts)) for _ in range(6)]
    return _Sales(
        sales_users=tuple(
            SalesUser(uid, f"{first} {last}", f"{first[0]}{last}@{site}".lower())
            for uid, (first, last) in zip(_ids(rng, 6, 100, 999), names, strict=True)
        ),
        opportunities=tuple(
            Named(oid, f"{company} - {rng.randrange(5, 500)} Licenses")
            for oid, company in zip(_ids(rng, 15, 1000, 9999), people.companies, strict=False)
        ),
    )


def _drawn(rng: random.Random, labels: _Labels, people: _People) -> _Drawn:
    nurture_ids = _ids(rng, len(labels.nurtures), 10000, 19999)
    nurtures = [
        (pid, f"Nurture - {p.title()}") for pid, p in zip(nurture_ids, labels.nurtures, strict=True)
    ]
    tracks = [(pid, name, track) for pid, name in nurtures for track in TRACKS]
    return _Drawn(
        fields=tuple(
            Field(fid, name, getattr(people, values) if isinstance(values, str) else values)
            for fid, name, values in FIELDS
        ),
        tracks=tuple(
            Track(tid, track, pid, name)
            for tid, (pid, name, track) in zip(_ids(rng, 6, 100, 999), tracks, strict=True)
        ),
        conferences=tuple(Named(7000 + i, f"{c} Summit 2026") for i, c in enumerate(labels.cities)),
        webinars=tuple(Named(8000 + i, title) for i, title in enumerate(labels.webinars)),
    )


def _instance(seed: int, people: _People, site: str) -> _Instance:
    """The Adobe org and Marketo users: drawn from their own generator, after every other pool,
    so adding them changed nothing that the older pools hold for a seed."""
    rng = random.Random(f"marketo-instance:{seed}")
    emails: set[str] = set()
    users = []
    for user_id in _ids(rng, 12, 100, 1000):
        first, last = rng.choice(people.first_names), rng.choice(people.last_names)
        email = f"{first}.{last}@{site}".lower()
        if email in emails:
            email = f"{first}.{last}{user_id}@{site}".lower()
        emails.add(email)
        users.append(MarketoUser(user_id, email, f"{first} {last}"))
    # An IMS org id is 24 upper-case hex digits and "@AdobeOrg".
    return _Instance(ims_org_id=f"{rng.getrandbits(96):024X}@AdobeOrg", users=tuple(users))
