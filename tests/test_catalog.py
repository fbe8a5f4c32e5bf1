"""The activity-type catalog against reference §1d."""

from __future__ import annotations

import pytest

from simulator.errors import ConfigError, UnknownActivityType
from simulator.payloads.catalog import (
    ACTIVITY_TYPES,
    AUDIT_COMPONENTS,
    NOTIFICATION_KINDS,
    find_activity_type,
    find_audit_action,
    find_audit_component,
    find_notification_kind,
    select_activity_types,
    select_audit_components,
    select_notification_kinds,
)

# Every concrete id of the §1d table, in table order (the "100000+" row is the custom samples).
REFERENCE_IDS = (
    1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 19, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 34,
    35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 100, 101, 102, 104, 106, 108, 110,
    111, 112, 113, 114, 115, 123, 131, 132, 133, 145, 147, 300, 400, 401, 402, 403, 405, 406,
    407, 408, 409, 410,
)  # fmt: skip
UNLISTED_IDS = {35, 36, 102, 106}
CUSTOM_IDS = (100001, 100002, 100003)
# The documented vocabulary (§1d notes): stream examples and REST type metadata, nothing else.
DATA_TYPES = {"integer", "string", "object", "boolean", "datetime", "text"}
STANDARD = "com.adobe.platform.marketo.activity.standard."


def names(type_id: int) -> list[str]:
    return [a.name for a in find_activity_type(type_id).attributes]


def test_every_reference_row_is_present_in_table_order() -> None:
    """The catalog holds the 68 ids of §1d in order, then the custom samples."""
    assert len(REFERENCE_IDS) == 68
    assert tuple(t.id for t in ACTIVITY_TYPES) == (*REFERENCE_IDS, *CUSTOM_IDS)


def test_the_lads_list_has_64_standard_types() -> None:
    """Only the four dagger rows are marked as missing from the LADS list."""
    assert {t.id for t in ACTIVITY_TYPES if not t.listed} == UNLISTED_IDS
    assert sum(t.listed and not t.custom for t in ACTIVITY_TYPES) == 64


def test_custom_types_are_exactly_the_ids_from_100000() -> None:
    """`custom` is set for ids 100000+ and nowhere else."""
    assert tuple(t.id for t in ACTIVITY_TYPES if t.custom) == CUSTOM_IDS
    assert find_activity_type(100001).name == "Attend Conference"


def test_ids_and_names_are_unique() -> None:
    """No id and no name appears twice."""
    assert len({t.id for t in ACTIVITY_TYPES}) == len(ACTIVITY_TYPES)
    assert len({t.name.lower() for t in ACTIVITY_TYPES}) == len(ACTIVITY_TYPES)


@pytest.mark.parametrize(
    ("type_id", "io_type"),
    [
        pytest.param(1, f"{STANDARD}visitwebpage", id="visit-webpage"),
        pytest.param(3, f"{STANDARD}clicklink", id="click-link"),
        pytest.param(24, f"{STANDARD}addtolist", id="add-to-list"),
        pytest.param(104, f"{STANDARD}changestatusinprogression", id="progression"),
        pytest.param(106, f"{STANDARD}enrichwithdatacom", id="punctuation-dropped"),
        pytest.param(100001, "com.adobe.platform.marketo.activity.custom", id="custom"),
    ],
)
def test_io_type_examples(type_id: int, io_type: str) -> None:
    """The I/O type is the lowercased name without spaces; custom types share one type."""
    assert find_activity_type(type_id).io_type == io_type


def test_io_type_rule_holds_for_every_listed_standard_type() -> None:
    """Documented rule: prefix + name, all lowercase, spaces removed."""
    for t in ACTIVITY_TYPES:
        if t.listed and not t.custom:
            assert t.io_type == STANDARD + t.name.lower().replace(" ", "")


@pytest.mark.parametrize(
    ("type_id", "attributes"),
    [
        pytest.param(1, ["Client IP Address", "Query Parameters", "Referrer URL", "User Agent",
                         "Webpage ID", "Webpage URL"], id="visit-webpage"),
        pytest.param(2, ["Client IP Address", "Query Parameters", "Referrer URL", "User Agent",
                         "Webpage ID", "Form Fields"], id="fill-out-form-ip-not-id"),
        pytest.param(13, ["Reason", "Attribute Name", "New Value", "Old Value", "Source",
                          "Campaign", "Channel"], id="change-data-value"),
        pytest.param(22, ["Reason", "Change Value", "New Value", "Old Value", "Score Name"],
                     id="change-score"),
        pytest.param(12, ["Created Date", "Source Type"], id="new-lead"),
        pytest.param(37, [], id="delete-lead-none"),
        pytest.param(34, ["Is Primary", "Role"], id="opportunity-aep"),
        pytest.param(112, ["Mailing ID", "LeadID"], id="leadid-verbatim"),
        pytest.param(23, [], id="dash-row"),
    ],
)  # fmt: skip
def test_attribute_names_follow_the_lads_table(type_id: int, attributes: list[str]) -> None:
    """Attributes are the §1d names in §1d order (with the documented spelling decisions)."""
    assert names(type_id) == attributes


def test_asset_id_attributes_are_objects() -> None:
    """Mailing ID, Webpage ID and Link ID have dataType "object" wherever they appear."""
    for t in ACTIVITY_TYPES:
        for a in t.attributes:
            if a.name in {"Mailing ID", "Webpage ID", "Link ID"}:
                assert a.data_type == "object", (t.name, a.name)


def test_every_data_type_is_in_the_allowed_set() -> None:
    """dataType values are the LADS and REST vocabulary only."""
    assert {a.data_type for t in ACTIVITY_TYPES for a in t.attributes} == DATA_TYPES


def test_primary_is_none_exactly_for_dash_rows() -> None:
    """Types whose §1d primary cell is a dash have no primary attribute."""
    assert find_activity_type(19).primary is None
    assert find_activity_type(108).primary is None
    assert find_activity_type(1).primary == "webpage"
    assert find_activity_type(37).primary == "lead"


def test_weights_make_web_and_email_common_and_deletes_rare() -> None:
    """Visit Webpage outweighs Open Email, which outweighs Delete Lead; all are positive."""
    weight = {t.id: t.weight for t in ACTIVITY_TYPES}
    assert weight[1] > weight[10] > weight[37] > 0
    assert all(t.weight > 0 for t in ACTIVITY_TYPES)


@pytest.mark.parametrize(
    ("ref", "type_id"),
    [
        pytest.param(3, 3, id="int"),
        pytest.param("3", 3, id="numeric-string"),
        pytest.param(" 100001 ", 100001, id="custom-id-with-spaces"),
        pytest.param("Click Link", 3, id="name"),
        pytest.param("click link", 3, id="lowercase"),
        pytest.param("Add to List", 24, id="talend-case"),
        pytest.param("Change Status in Progression", 104, id="talend-case-2"),
        pytest.param("Sent Forward to Friend Email", 111, id="talend-sent"),
        pytest.param("Received Forward to Friend Email", 112, id="talend-received"),
        pytest.param("AddToNurture", 113, id="camel-case"),
        pytest.param("EnrichWithDataDotCom", 106, id="experience-league-alias"),
        pytest.param("ChangeStatusInSalesCampaign", 44, id="experience-league-sales-campaign"),
        pytest.param(f"{STANDARD}openemail", 10, id="io-type"),
    ],
)
def test_find_activity_type(ref: str | int, type_id: int) -> None:
    """Types are found by id, numeric string, any spelling of the name, or I/O type."""
    assert find_activity_type(ref).id == type_id


def test_unknown_name_suggests_the_closest_name() -> None:
    """A misspelt name raises UnknownActivityType naming the type it probably meant."""
    with pytest.raises(UnknownActivityType) as caught:
        find_activity_type("Vist Webpage")
    assert str(caught.value) == (
        "unknown activity type 'Vist Webpage'. Did you mean 'Visit Webpage'? "
        "Use an id or a name from the LADS list, e.g. 1 or 'Visit Webpage', or 'all'."
    )


# The Experience League list of streamed activities (help/data-streams.md), as it spells them.
EXPERIENCE_LEAGUE_LIST = [
    "AchieveGoalInReferral",
    "AddToList",
    "AddToNurture",
    "AddToOpportunity",
    "AddToSalesCampaign",
    "CallWebhook",
    "ChangeDataValue",
    "ChangeLeadPartition",
    "ChangeNurtureCadence",
    "ChangeNurtureTrack",
    "ChangeOwner",
    "ChangeProgramData",
    "ChangeProgramMemberData",
    "ChangeRevenueStage",
    "ChangeRevenueStageManually",
    "ChangeScore",
    "ChangeSegment",
    "ChangeStatusInProgression",
    "ChangeStatusInSalesCampaign",
    "ClickEmail",
    "ClickLink",
    "ClickPredictiveContent",
    "ClickRTPCallToAction",
    "ClickSalesEmail",
    "ClickSharedLink",
    "ConvertLead",
    "DeleteLead",
    "DisqualifySweepstakes",
    "EarnEntryInSocialApp",
    "EmailBounced",
    "EmailBouncedSoft",
    "EmailDelivered",
    "EnrichWithDataDotCom",
    "EnterSweepstakes",
    "FillOutFacebookLeadAdsForm",
    "FillOutForm",
    "InterestingMoment",
    "MergeLeads",
    "NewLead",
    "OpenEmail",
    "OpenSalesEmail",
    "PushLeadToMarketo",
    "ReceivedForwardToFriendEmail",
    "ReceiveSalesEmail",
    "ReferToSocialApp",
    "RemoveFromList",
    "RemoveFromOpportunity",
    "RequestCampaign",
    "SalesEmailBounced",
    "SendAlert",
    "SendEmail",
    "SendSalesEmail",
    "SentForwardToFriendEmail",
    "SFDCActivity",
    "ShareContent",
    "SignUpForReferralOffer",
    "SyncLeadToMicrosoft",
    "SyncLeadToSFDC",
    "UnsubscribeEmail",
    "UpdateOpportunity",
    "VisitWebPage",
    "VoteInPoll",
    "WinSweepstakes",
]


def test_every_experience_league_name_with_a_known_id_resolves() -> None:
    """61 of the list's 63 names resolve; the two no source gives an id for are refused."""
    refused = []
    for name in EXPERIENCE_LEAGUE_LIST:
        try:
            find_activity_type(name)
        except UnknownActivityType:
            refused.append(name)
    assert len(EXPERIENCE_LEAGUE_LIST) == 63
    assert refused == ["AddToSalesCampaign", "ChangeProgramData"]


def test_a_listed_name_without_an_id_is_refused_with_the_reason() -> None:
    """AddToSalesCampaign is refused as unresolved, naming the source and the nearest id."""
    with pytest.raises(UnknownActivityType) as caught:
        find_activity_type("AddToSalesCampaign")
    assert str(caught.value).startswith(
        "activity type 'AddToSalesCampaign' is on Experience League's list of streamed "
        "activities, but no public source gives its id: Marketo's Sales Activity Glossary"
    )
    assert str(caught.value).endswith("e.g. 42 'Add to SFDC Campaign'.")


def test_unknown_id_names_nearby_ids() -> None:
    """An id that is not in the table raises and lists the neighbouring ids."""
    with pytest.raises(UnknownActivityType, match=r"id 5; nearby ids: 3 'Click Link', 6 'Send"):
        find_activity_type(5)


def test_unknown_activity_type_is_a_config_error() -> None:
    """The error maps to the user-fixable exit code 2."""
    with pytest.raises(UnknownActivityType) as caught:
        find_activity_type("nothing like it")
    assert caught.value.exit_code == 2


def test_select_all_gives_every_type() -> None:
    """The word "all", in any case, selects the whole catalog."""
    assert select_activity_types("all") == ACTIVITY_TYPES
    assert select_activity_types(" ALL ") == ACTIVITY_TYPES


def test_select_keeps_order_and_drops_duplicates() -> None:
    """Listed refs come back in the given order, each type once."""
    chosen = select_activity_types(["Open Email", 1, "open email", "1", 37])
    assert [t.id for t in chosen] == [10, 1, 37]


def test_select_accepts_a_comma_separated_string() -> None:
    """A string other than "all" is split on commas."""
    assert [t.id for t in select_activity_types("12, Delete Lead")] == [12, 37]


def test_select_raises_on_an_unknown_ref() -> None:
    """One bad ref fails the whole selection."""
    with pytest.raises(UnknownActivityType):
        select_activity_types(["Visit Webpage", "Visit Webpages Often"])


# ---- User Audit components (§3a) and Notification kinds (§3b) ---------------------------------

AUDIT = "com.adobe.platform.marketo.audit.user."
NOTIFICATION = "com.adobe.platform.marketo.notification."
# §3a event list, in its order.
COMPONENT_NAMES = (
    "Default Program", "Email", "Email Batch Program", "Email Template", "Engagement Program",
    "Event Program", "Folder", "Form", "Landing Page", "Landing Page Template", "List",
    "Marketing Folder", "Nurture Program", "Segment", "Segmentation", "Smart Campaign",
    "Smart List", "Snippet", "Login", "Role", "User",
    "Landing Page Form", "Integration", "Marketing Program",
)  # fmt: skip


def test_every_audit_component_of_the_event_list_is_present_in_order() -> None:
    """The 21 componentTypes of §3a, display names with spaces, in the doc's order, then the
    three of the Experience League list that the doc lacks."""
    assert tuple(c.name for c in AUDIT_COMPONENTS) == COMPONENT_NAMES


def test_audit_types_follow_the_documented_rule() -> None:
    """type = audit prefix + the name lowercased with spaces removed, for every component."""
    for c in AUDIT_COMPONENTS:
        assert c.type == AUDIT + c.name.lower().replace(" ", "")


def test_only_the_four_audit_types_seen_in_a_source_are_documented() -> None:
    """email, landingpage, smartcampaign and emailbatchprogram; the rest are inferred."""
    assert {c.type.removeprefix(AUDIT) for c in AUDIT_COMPONENTS if c.documented} == {
        "email",
        "landingpage",
        "smartcampaign",
        "emailbatchprogram",
    }


@pytest.mark.parametrize(
    ("name", "actions"),
    [
        pytest.param("Smart Campaign", ("abort", "activate", "clone", "create", "deactivate",
                     "delete", "edit", "modify campaign schedule", "modify flow step action",
                     "modify smart list setup", "move", "rename"), id="smart-campaign"),
        pytest.param("Snippet", ("approve", "approve with no-draft", "clone", "create", "delete",
                     "edit", "rename", "unapprove"), id="snippet"),
        pytest.param("Segmentation", ("approve", "create", "delete", "draftCreated",
                     "draftDiscarded", "rename", "unapprove"), id="segmentation-past-tense"),
        pytest.param("Folder", ("create", "delete", "edit", "rename"), id="folder-el-rename"),
        pytest.param("Login", ("login success", "login failure"), id="login"),
        pytest.param("Landing Page Form", ("create", "clone", "edit", "delete", "approve",
                     "rename"), id="el-landing-page-form"),
        pytest.param("Integration", ("create", "delete", "edit"), id="el-launchpoint"),
        pytest.param("Marketing Program", ("create", "clone"), id="el-marketing-program"),
    ],
)  # fmt: skip
def test_audit_actions_are_the_documented_event_actions(name: str, actions: tuple[str]) -> None:
    """eventAction values are verbatim from §3a, in its order (Folder adds EL's rename)."""
    assert find_audit_component(name).actions == actions


def test_access_control_components_come_from_the_user_service() -> None:
    """Login, Role and User have source urn:userservice; asset components urn:mlm."""
    sources = {c.name: c.source for c in AUDIT_COMPONENTS}
    assert {name for name, source in sources.items() if source == "urn:userservice"} == {
        "Login",
        "Role",
        "User",
    }
    assert set(sources.values()) == {"urn:mlm", "urn:userservice"}


@pytest.mark.parametrize(
    ("ref", "name"),
    [
        pytest.param("Landing Page", "Landing Page", id="name"),
        pytest.param("landing page", "Landing Page", id="lowercase"),
        pytest.param("LandingPage", "Landing Page", id="no-space"),
        pytest.param(f"{AUDIT}landingpage", "Landing Page", id="type"),
        pytest.param(" smart list ", "Smart List", id="padded"),
    ],
)
def test_find_audit_component(ref: str, name: str) -> None:
    """Components are found by name in any case or spacing, or by their type."""
    assert find_audit_component(ref).name == name


def test_unknown_audit_component_is_a_config_error_with_a_suggestion() -> None:
    """A misspelt component raises ConfigError (exit 2) naming the closest components."""
    with pytest.raises(ConfigError) as caught:
        find_audit_component("Landing Pag")
    assert caught.value.exit_code == 2
    assert str(caught.value).startswith(
        "unknown User Audit component 'Landing Pag'. "
        "Did you mean 'Landing Page' or 'Landing Page Form' or 'Landing Page Template'? "
        "Known: Default Program, "
    )


def test_find_audit_action_ignores_case_and_spacing() -> None:
    """An action is found by any spelling and returned as documented."""
    component = find_audit_component("Email Batch Program")
    assert find_audit_action(component, "Modify Program Token") == "modify program token"
    assert find_audit_action(component, "childupdate") == "childUpdate"


def test_unknown_audit_action_names_the_component_and_its_actions() -> None:
    """An action the component does not send raises with suggestions and the full list."""
    with pytest.raises(ConfigError) as caught:
        find_audit_action(find_audit_component("List"), "aprove")
    assert str(caught.value) == (
        "unknown eventAction 'aprove' for 'List'. Known: clone, create, delete, rename."
    )


def test_select_audit_components_by_action_narrows_each_component() -> None:
    """An action alone selects every component that sends it, each with only that action."""
    chosen = select_audit_components(action="Approve")
    assert {c.actions for c in chosen} == {("approve",)}
    assert [c.name for c in chosen] == [c.name for c in AUDIT_COMPONENTS if "approve" in c.actions]


def test_select_audit_components_defaults_to_all() -> None:
    """No component and no action is the whole table; a component alone is that one."""
    assert select_audit_components() == AUDIT_COMPONENTS
    assert select_audit_components("Email") == (find_audit_component("Email"),)


def test_select_audit_components_rejects_an_action_no_component_sends() -> None:
    """An unknown action with no component raises ConfigError suggesting real actions."""
    with pytest.raises(ConfigError, match=r"unknown eventAction 'aprove'\. Did you mean 'approve'"):
        select_audit_components(action="aprove")


def test_notification_kinds_are_the_experience_league_list() -> None:
    """Six kinds: the three I/O documents, then the three only Experience League names."""
    assert [
        (k.name, k.type.removeprefix(NOTIFICATION), k.documented) for k in NOTIFICATION_KINDS
    ] == [
        ("Campaign Abort", "campaign_abort", True),
        ("Campaign Failure", "campaign_failure", True),
        ("Web Services Daily Quota", "web_services", True),
        ("Nurture Program Exhausted", "nurture", False),
        ("Salesforce Sync Failure", "salesforce_sync_failure", False),
        ("Test Group A/B Test Result", "test_group", False),
    ]


def test_notification_type_suffix_is_the_component_type() -> None:
    """The documented rule (web_services, campaign_abort) names every kind's type."""
    for k in NOTIFICATION_KINDS:
        assert k.type == NOTIFICATION + k.component_type


def test_documented_notification_payloads_match_the_examples() -> None:
    """web_services/dailyQuota and campaign_abort/user_campaign_abort carry the §3b fields."""
    quota, abort = find_notification_kind("web_services"), find_notification_kind("campaign_abort")
    assert (quota.sub_type, quota.action_fields) == (
        "dailyQuota",
        ("dailyQuota", "percent", "serviceNames"),
    )
    assert (abort.sub_type, abort.action_fields) == (
        "user_campaign_abort",
        ("campaignId", "userId"),
    )


@pytest.mark.parametrize(
    ("ref", "name"),
    [
        pytest.param("Campaign Abort", "Campaign Abort", id="name"),
        pytest.param("campaign_abort", "Campaign Abort", id="suffix"),
        pytest.param(f"{NOTIFICATION}web_services", "Web Services Daily Quota", id="type"),
        pytest.param("test_group", "Test Group A/B Test Result", id="undocumented-suffix"),
    ],
)
def test_find_notification_kind(ref: str, name: str) -> None:
    """Kinds are found by name, type, or type suffix."""
    assert find_notification_kind(ref).name == name


def test_unknown_notification_kind_suggests_one_containing_it() -> None:
    """A partial name raises ConfigError naming the kind that contains it."""
    with pytest.raises(
        ConfigError, match=r"^unknown notification kind 'abort'\. Did you mean 'Campaign Abort'\?"
    ):
        find_notification_kind("abort")


def test_select_notification_kinds() -> None:
    """None selects every kind; a ref selects that one."""
    assert select_notification_kinds() == NOTIFICATION_KINDS
    assert select_notification_kinds("nurture") == (NOTIFICATION_KINDS[3],)
