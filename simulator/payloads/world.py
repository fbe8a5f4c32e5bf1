"""The seeded world every event draws from: leads, campaigns, programs, assets and the rest.

Built once per run by `World.build(seed)` with Faker (the only place Faker runs, because a Faker
call costs about as much as generating a whole event), then read by `events.ActivityStream` with
integer arithmetic. Same seed, same world, in any process.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

NEW_LEAD_BASE = 10_000_000  # New Lead ids are this + seq, above every static-pool id
_MAX_LEADS = 400_000  # pool ids are drawn below 1001 + 20 * leads, so they stay under the base


# Pool records are NamedTuples, not dataclasses: the kind tables below address their fields by
# name, and the hot path reads them by position (a tuple index is the cheapest lookup Python has).
class Lead(NamedTuple):
    id: int
    first_name: str
    last_name: str
    email: str
    name: str
    form_fields: str


class Named(NamedTuple):
    id: int
    name: str


class Campaign(NamedTuple):
    id: int
    name: str
    channel: str


class Program(NamedTuple):
    id: int
    name: str
    channel: str


class Webpage(NamedTuple):
    id: int
    url: str  # host and path without scheme, as REST shows the Visit Webpage primary value
    path: str


class Link(NamedTuple):
    id: int
    url: str


class Agent(NamedTuple):
    text: str
    platform: str
    device: str
    mobile: bool


class Bounce(NamedTuple):
    code: str
    category: str
    details: str


class Field(NamedTuple):
    id: int
    name: str
    values: tuple[str, ...]


class SalesUser(NamedTuple):
    id: int
    name: str
    email: str


class ProgressionStatus(NamedTuple):
    """A step of a program's member progression ladder; `success` marks the goal."""

    id: int
    name: str
    success: bool


class Segment(NamedTuple):
    id: int
    name: str
    segmentation_id: int


class Track(NamedTuple):
    id: int
    name: str
    program_id: int
    program_name: str


class MarketoUser(NamedTuple):
    """A user of the Marketo instance: who audit events and campaign aborts name."""

    id: int  # the numeric user id of UADS schema V1.0 (`"user": 253`)
    email: str  # the login, sent as `userId` ("Email ID of the user in Marketo")
    name: str


def _bounces(rows: tuple[tuple[str, str], ...]) -> tuple[Bounce, ...]:
    # Marketo's bounce category is the first digit of the subcategory code (1-2 hard, 3-9 soft).
    return tuple(Bounce(code, code[0], details) for code, details in rows)


# Codes from §1d notes (AEP mapping doc); the SMTP texts are typical replies, not quoted.
_HARD_BOUNCES = _bounces((
    ("1099", "550 5.7.1 Message blocked by local policy"),
    ("1003", "554 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org"),
    ("1004", "550 5.7.1 Message rejected as spam by content filtering"),
    ("2003", "550 5.1.1 The email account that you tried to reach does not exist"),
    ("2001", "553 5.1.3 The recipient address is not a valid RFC-5321 address"),
))  # fmt: skip
_SOFT_BOUNCES = _bounces((
    ("3999", "451 4.3.0 Message not accepted, please try again later"),
    ("3001", "452 4.2.2 The email account that you tried to reach is over quota"),
    ("3004", "421 4.4.2 Connection timed out"),
    ("4003", "450 4.4.4 DNS lookup failure for the recipient domain"),
    ("4002", "552 5.3.4 Message size exceeds fixed maximum message size"),
    ("4006", "550 5.7.1 Message rejected due to policy violation"),
    ("4999", "450 4.0.0 Transient failure"),
    ("9999", "Bad response received from the remote server"),
))  # fmt: skip
_AGENTS = (
    Agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/124.0.0.0 Safari/537.36", "Windows", "Desktop", False),
    Agent("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
          "Gecko) Version/17.4 Safari/605.1.15", "Mac OS", "Desktop", False),
    Agent("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
          "like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "iOS", "iPhone", True),
    Agent("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/124.0.0.0 Mobile Safari/537.36", "Android", "Pixel 8", True),
    Agent("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "Linux",
          "Desktop", False),
    Agent("Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)",
          "Windows", "Desktop", False),
    Agent("Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com "
          "GoogleImageProxy)", "Unknown", "Unknown", False),
)  # fmt: skip
_PARTITIONS = (Named(1, "Default"), Named(2, "North America"), Named(3, "EMEA"), Named(4, "APAC"))
_REVENUE_MODELS = (Named(21, "Standard Lifecycle"), Named(22, "Partner Lifecycle"))
_REVENUE_STAGES = tuple(
    Named(i, name)
    for i, name in enumerate(("Anonymous", "Known", "Engaged", "MQL", "SAL", "SQL", "Won"), 1)
)
# One progression ladder; the ids and the first step match the bulk-extract example (§1e).
_STATUSES = (
    ProgressionStatus(20, "Not in Program", False),
    ProgressionStatus(21, "On List", False),
    ProgressionStatus(22, "Invited", False),
    ProgressionStatus(23, "Registered", False),
    ProgressionStatus(24, "Attended", True),
)
_SEGMENTS = tuple(
    Segment(1000 * segmentation + i, name, segmentation)
    for segmentation, names in ((1, ("North America", "EMEA", "APAC")), (2, ("SMB", "Enterprise")))
    for i, name in enumerate(("Default", *names), 1)
)
_SCORES = (Named(57, "Lead Score"), Named(121, "Behavior Score"), Named(122, "Demographic Score"))
_MOMENT_TYPES = (Named(1, "Web"), Named(2, "Email"), Named(3, "Milestone"))
_WEBHOOKS = (Named(11, "Post to Slack"), Named(12, "Enrich from Clearbit"), Named(13, "CRM Task"))
_PRODUCTS = (Named(5001, "Starter Plan"), Named(5002, "Pro Plan"), Named(5003, "Enterprise Plan"))
_CHANNELS = ("Webinar", "Email Send", "Tradeshow", "Content", "Online Advertising")
# Marketo's standard roles; the ids are ours.
_ROLES = tuple(
    Named(i, name)
    for i, name in enumerate(
        ("Admin", "Marketing User", "Standard User", "Web Designer", "Analytics User", "API Role"),
        1,
    )
)
_CAMPAIGN_STEPS = ("01 Send Invite", "02 Form Fill", "03 Scoring", "Add to List", "Data Management")
_EMAIL_STEPS = ("Invite", "Reminder", "Follow Up")
_FORMS = ("Contact Us", "Webinar Registration", "Newsletter Signup", "Demo Request", "Download")
TRACKS = ("Awareness", "Consideration", "Decision")
_REFERRERS = (
    "",
    "",
    "https://www.google.com/",
    "https://www.linkedin.com/",
    "https://www.bing.com/",
)

# Lead fields a Change Data Value can name: id, display name, values (or a World pool of them).
# Field ids differ per instance (REST shows First Name as 48, an airbyte sandbox as 53).
_FIELDS: tuple[tuple[int, str, str | tuple[str, ...]], ...] = (
    (48, "First Name", "first_names"),
    (50, "Last Name", "last_names"),
    (52, "Job Title", "job_titles"),
    (54, "Company Name", "companies"),
    (57, "Lead Score", ("0", "10", "25", "40", "55", "70", "85", "100")),
    (60, "Lead Status", ("Open", "Contacted", "Qualified", "Unqualified", "Nurture")),
    (61, "Lead Source", ("Website", "Webinar", "Trade Show", "Paid Search", "Partner")),
    (66, "Country", ("United States", "Canada", "United Kingdom", "Germany", "France", "Japan")),
    (70, "Industry", ("Software", "Financial Services", "Healthcare", "Manufacturing", "Retail")),
    (83, "Unsubscribed", ("false", "true")),
)

# Where a Change Data Value came from (§2): Reason template, Source, caused by a smart campaign.
ORIGINS = (
    ("Web service API", "Web service API", False),
    ("Form fill-out, URL: {page}", "Web form fillout", False),
    ("Changed by Smart Campaign {campaign} action Change Data Value", "Marketo Flow Action", True),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class World:
    """A small seeded universe that every event draws from.

    Leads (id, first/last name, email), campaigns, programs, static lists, mailings, forms,
    webpages, links, IPs, user agents, lead fields, scores, partitions, revenue models and stages,
    progression statuses, segments, nurture tracks, sales users, opportunities, webhooks and the
    pools of the sample custom types, plus the Adobe org and the Marketo users and roles that the
    User Audit and Notification streams name: built once by `build` with Faker seeded from `seed`.
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
    mailings: tuple[Named, ...]
    lists: tuple[Named, ...]
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

    @classmethod
    def build(cls, seed: int, *, leads: int = 500) -> World:
        """The world for `seed`: identical for the same seed and lead count in any process."""
        if not 1 <= leads <= _MAX_LEADS:
            raise ValueError(f"a world holds 1 to {_MAX_LEADS} leads, got leads={leads}")
        fake = _faker(seed)
        rng = random.Random(seed)
        people = _People(
            first_names=_unique(fake.first_name, 60),
            last_names=_unique(fake.last_name, 60),
            companies=_unique(fake.company, 20),
            email_domains=_unique(fake.domain_name, 20),
            job_titles=_unique(fake.job, 15),
        )
        site = fake.domain_name()
        programs = _programs(fake, rng)
        slugs = fake.words(60, unique=True)
        # The draws below come in this order, from one generator: reordering them changes
        # every world.
        lead_pool = _leads(rng, people, leads)
        assets = _assets(rng, programs)
        web = _web(rng, site, slugs)
        sales = _sales(rng, people, site)
        drawn = _drawn(rng, fake, people)
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
            agents=_AGENTS,
            hard_bounces=_HARD_BOUNCES,
            soft_bounces=_SOFT_BOUNCES,
            fields=drawn.fields,
            scores=_SCORES,
            partitions=_PARTITIONS,
            revenue_models=_REVENUE_MODELS,
            revenue_stages=_REVENUE_STAGES,
            statuses=_STATUSES,
            segments=_SEGMENTS,
            tracks=drawn.tracks,
            sales_users=sales.sales_users,
            opportunities=sales.opportunities,
            moment_types=_MOMENT_TYPES,
            webhooks=_WEBHOOKS,
            conferences=drawn.conferences,
            products=_PRODUCTS,
            webinars=drawn.webinars,
            ims_org_id=instance.ims_org_id,
            users=instance.users,
            roles=_ROLES,
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
    mailings: tuple[Named, ...]
    lists: tuple[Named, ...]
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


class _Instance(NamedTuple):
    ims_org_id: str
    users: tuple[MarketoUser, ...]


def _faker(seed: int) -> Any:
    # Imported here: Faker takes ~0.1 s to import and only `World.build` needs it.
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(seed)
    return fake


def _unique(make: Callable[[], str], count: int) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for _ in range(count * 4):
        seen[make()] = None
        if len(seen) == count:
            break
    return tuple(seen)


def _ids(rng: random.Random, count: int, low: int, high: int) -> list[int]:
    return sorted(rng.sample(range(low, high), count))


def make_lead(lead_id: int, first: str, last: str, email: str) -> Lead:
    # Form Fields as Marketo's REST API shows them, a PHP-serialised array; that the stream does
    # the same is our assumption, the reference has no example value.
    pairs = (("FirstName", first), ("LastName", last), ("Email", email))
    body = "".join(f's:{len(k)}:"{k}";s:{len(v.encode())}:"{v}";' for k, v in pairs)
    return Lead(lead_id, first, last, email, f"{first} {last}", f"a:{len(pairs)}:{{{body}}}")


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


def _programs(fake: Any, rng: random.Random) -> tuple[Program, ...]:
    channels = [_CHANNELS[i % len(_CHANNELS)] for i in range(12)]
    return tuple(
        Program(pid, f"2026-Q{i % 4 + 1} {channel} - {fake.bs().title()}", channel)
        for i, (pid, channel) in enumerate(zip(_ids(rng, 12, 1000, 9999), channels, strict=True))
    )


def _assets(rng: random.Random, programs: tuple[Program, ...]) -> _Assets:
    steps = [(p, s) for p in programs for s in _CAMPAIGN_STEPS]
    emails = [(p, e) for p in programs for e in _EMAIL_STEPS]
    lists = [f"{p.name}.Registrants" for p in programs[:6]]
    lists += ["Newsletter Subscribers", "Do Not Contact", "Event Follow-up", "Sales Accepted"]
    return _Assets(
        campaigns=tuple(
            Campaign(cid, f"{p.name}.{s}", p.channel)
            for cid, (p, s) in zip(_ids(rng, len(steps), 1000, 9999), steps, strict=True)
        ),
        mailings=tuple(
            Named(mid, f"{p.name}.{e}")
            for mid, (p, e) in zip(_ids(rng, len(emails), 1000, 9999), emails, strict=True)
        ),
        lists=tuple(map(Named, _ids(rng, len(lists), 100, 999), lists)),
        forms=tuple(map(Named, _ids(rng, len(_FORMS), 1000, 1999), [f"FO-{n}" for n in _FORMS])),
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
        referrers=_REFERRERS + tuple(link.url for link in links[:5]),
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


def _drawn(rng: random.Random, fake: Any, people: _People) -> _Drawn:
    nurtures = [(pid, f"Nurture - {fake.bs().title()}") for pid in _ids(rng, 2, 10000, 19999)]
    tracks = [(pid, name, track) for pid, name in nurtures for track in TRACKS]
    cities = _unique(fake.city, 4)
    return _Drawn(
        fields=tuple(
            Field(fid, name, getattr(people, values) if isinstance(values, str) else values)
            for fid, name, values in _FIELDS
        ),
        tracks=tuple(
            Track(tid, track, pid, name)
            for tid, (pid, name, track) in zip(_ids(rng, 6, 100, 999), tracks, strict=True)
        ),
        conferences=tuple(Named(7000 + i, f"{c} Summit 2026") for i, c in enumerate(cities)),
        webinars=tuple(Named(8000 + i, fake.catch_phrase()) for i in range(4)),
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
