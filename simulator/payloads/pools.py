"""What a world is made of: the record type of each pool, and the pools and name lists that are
the same in every world, whatever its seed (bounce codes, user agents, partitions, progression
statuses, segments, the lead fields a Change Data Value names, ...). `world` draws the rest.
"""

from __future__ import annotations

from typing import NamedTuple


# Pool records are NamedTuples, not dataclasses: the value-kind tables of `values` address their
# fields by name, and the hot path reads them by position (a tuple index is the cheapest lookup
# Python has).
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
    program_id: int  # the program the smart campaign lives in


class Asset(NamedTuple):
    """A program's asset (an email, a static list): the campaigns of `program_id` use it."""

    id: int
    name: str
    program_id: int  # 0: an asset outside every program (a shared list)
    campaign_id: int  # the campaign that sends it; 0: any campaign of its program may use it


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
HARD_BOUNCES = _bounces((
    ("1099", "550 5.7.1 Message blocked by local policy"),
    ("1003", "554 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org"),
    ("1004", "550 5.7.1 Message rejected as spam by content filtering"),
    ("2003", "550 5.1.1 The email account that you tried to reach does not exist"),
    ("2001", "553 5.1.3 The recipient address is not a valid RFC-5321 address"),
))  # fmt: skip
SOFT_BOUNCES = _bounces((
    ("3999", "451 4.3.0 Message not accepted, please try again later"),
    ("3001", "452 4.2.2 The email account that you tried to reach is over quota"),
    ("3004", "421 4.4.2 Connection timed out"),
    ("4003", "450 4.4.4 DNS lookup failure for the recipient domain"),
    ("4002", "552 5.3.4 Message size exceeds fixed maximum message size"),
    ("4006", "550 5.7.1 Message rejected due to policy violation"),
    ("4999", "450 4.0.0 Transient failure"),
    ("9999", "Bad response received from the remote server"),
))  # fmt: skip
AGENTS = (
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
PARTITIONS = (Named(1, "Default"), Named(2, "North America"), Named(3, "EMEA"), Named(4, "APAC"))
REVENUE_MODELS = (Named(21, "Standard Lifecycle"), Named(22, "Partner Lifecycle"))
REVENUE_STAGES = tuple(
    Named(i, name)
    for i, name in enumerate(("Anonymous", "Known", "Engaged", "MQL", "SAL", "SQL", "Won"), 1)
)
# One progression ladder; the ids and the first step match the bulk-extract example (§1e).
STATUSES = (
    ProgressionStatus(20, "Not in Program", False),
    ProgressionStatus(21, "On List", False),
    ProgressionStatus(22, "Invited", False),
    ProgressionStatus(23, "Registered", False),
    ProgressionStatus(24, "Attended", True),
)
SEGMENTS = tuple(
    Segment(1000 * segmentation + i, name, segmentation)
    for segmentation, names in ((1, ("North America", "EMEA", "APAC")), (2, ("SMB", "Enterprise")))
    for i, name in enumerate(("Default", *names), 1)
)
SCORES = (Named(57, "Lead Score"), Named(121, "Behavior Score"), Named(122, "Demographic Score"))
MOMENT_TYPES = (Named(1, "Web"), Named(2, "Email"), Named(3, "Milestone"))
WEBHOOKS = (Named(11, "Post to Slack"), Named(12, "Enrich from Clearbit"), Named(13, "CRM Task"))
PRODUCTS = (Named(5001, "Starter Plan"), Named(5002, "Pro Plan"), Named(5003, "Enterprise Plan"))
CHANNELS = ("Webinar", "Email Send", "Tradeshow", "Content", "Online Advertising")
# Marketo's standard roles; the ids are ours.
ROLES = tuple(
    Named(i, name)
    for i, name in enumerate(
        ("Admin", "Marketing User", "Standard User", "Web Designer", "Analytics User", "API Role"),
        1,
    )
)
# The smart campaigns every program has, and each email of a program with the campaign that
# sends it: a Send Email names the campaign of the email's own program (issue 12).
CAMPAIGN_STEPS = (
    "01 Send Invite", "02 Send Reminder", "03 Send Follow Up", "04 Form Fill", "05 Scoring",
    "Add to List", "Data Management",
)  # fmt: skip
EMAIL_STEPS = {"Invite": "01 Send Invite", "Reminder": "02 Send Reminder",
               "Follow Up": "03 Send Follow Up"}  # fmt: skip
FORMS = ("Contact Us", "Webinar Registration", "Newsletter Signup", "Demo Request", "Download")
TRACKS = ("Awareness", "Consideration", "Decision")
SHARED_LISTS = ("Newsletter Subscribers", "Do Not Contact", "Event Follow-up", "Sales Accepted")
REFERRERS = (
    "",
    "",
    "https://www.google.com/",
    "https://www.linkedin.com/",
    "https://www.bing.com/",
)

# Lead fields a Change Data Value can name: id, display name, values (or a World pool of them).
# Field ids differ per instance (REST shows First Name as 48, an airbyte sandbox as 53).
FIELDS: tuple[tuple[int, str, str | tuple[str, ...]], ...] = (
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


def make_lead(lead_id: int, first: str, last: str, email: str) -> Lead:
    """A lead record; its Form Fields value is derived from the name and email."""
    # Form Fields as Marketo's REST API shows them, a PHP-serialised array; that the stream does
    # the same is our assumption, the reference has no example value.
    pairs = (("FirstName", first), ("LastName", last), ("Email", email))
    body = "".join(f's:{len(k)}:"{k}";s:{len(v.encode())}:"{v}";' for k, v in pairs)
    return Lead(lead_id, first, last, email, f"{first} {last}", f"a:{len(pairs)}:{{{body}}}")
