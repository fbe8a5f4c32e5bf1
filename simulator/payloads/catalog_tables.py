"""The catalog's tables, row for row from the reference: Lead Activity types and their
attributes, User Audit components and actions, Notification kinds. Data only: `catalog` turns the
rows into records and looks them up.

Source: reference/marketo-data-streams.md §1d (LADS event list, Jan 2025 attribute column), §1e and
§2 for `TYPES`, §3a for `AUDIT`, §3b for `NOTIFICATIONS`. Each is its table, row for row.

Experience League says over 144 activity types can be subscribed to; `TYPES` has the 64 standard
types of the LADS list, the four † rows Talend gives ids for, and three custom samples. A standard
type is added only where a public source names it with its id and attributes, and none beyond
these was found (searched for issue 12: Adobe's and Marketo's docs, the REST `activities/types.json`
samples, public repositories' fixtures; the Sales Connect glossary names "Received Sales Call",
"Add to Sales Campaign" and "Remove from Sales Campaign" with attributes but no ids). Names of
Experience League's list resolve through `ALIASES` where they map to a known id, and are refused
with the reason (`UNRESOLVED`) where no source gives one.

Rules used to fill cells the reference leaves open:
- Attribute `dataType` is "object" for Marketo *asset* IDs (mailing, webpage, link, form, list,
  program, segment), as the LADS doc says, and "integer" for other IDs (run, step, stage, ...).
- An attribute name followed by "@context" ("Old Value@score") is the same wire name with a
  different meaning in that type; the wire only ever shows the part before "@".
- Attribute spellings follow the LADS table verbatim unless a primary source contradicts it:
  types 2 and 9 list "Client ID Address [sic]", but REST type metadata for type 2 and every
  verbatim payload say "Client IP Address", so we send that. Type 112's "LeadID" (no space) has
  no contradicting source, so it stays as documented.
"""

from __future__ import annotations

# Wire name -> (dataType, value kind). Value kinds are the vocabulary `payloads.values` draws
# values from; kinds that share a prefix ("webpage_id", "webpage_path") come from one record, so
# a Webpage ID and its URL always belong together.
ATTRIBUTES: dict[str, tuple[str, str]] = {
    "Client IP Address": ("string", "ip"),
    "Query Parameters": ("string", "query"),
    "Referrer URL": ("string", "referrer"),
    "User Agent": ("string", "user_agent"),
    "Webpage ID": ("object", "webpage_id"),
    "Webpage URL": ("string", "webpage_path"),
    "Form Fields": ("text", "form_fields"),
    "Webform ID": ("object", "form_id"),
    "Link ID": ("object", "link_id"),
    "Link": ("string", "link_url"),
    "Campaign Run ID": ("integer", "campaign_run_id"),
    "Step ID": ("integer", "step_id"),
    "Mailing ID": ("object", "mailing_id"),
    "Choice Number": ("integer", "choice_number"),
    "Subcategory": ("string", "hard_bounce_code"),
    "Category": ("string", "hard_bounce_category"),
    "Details": ("string", "hard_bounce_details"),
    "Subcategory@soft": ("string", "soft_bounce_code"),
    "Category@soft": ("string", "soft_bounce_category"),
    "Details@soft": ("string", "soft_bounce_details"),
    "Email": ("string", "lead_email"),
    "Platform": ("string", "platform"),
    "Device": ("string", "device"),
    "Is Mobile Device": ("boolean", "is_mobile"),
    "Created Date": ("datetime", "activity_date"),
    "Source Type": ("string", "lead_source_type"),
    "Reason": ("string", "change_reason"),
    "Attribute Name": ("string", "field_name"),
    "New Value": ("string", "field_new"),
    "Old Value": ("string", "field_old"),
    "Source": ("string", "change_source"),
    "Campaign@flow": ("string", "flow_campaign_name"),
    "Channel@flow": ("string", "flow_channel"),
    "Reason@score": ("string", "score_reason"),
    "Change Value": ("string", "score_change"),
    "New Value@score": ("integer", "score_new"),
    "Old Value@score": ("integer", "score_old"),
    "Score Name": ("string", "score_name"),
    "List ID": ("object", "list_id"),
    "Campaign": ("string", "list_campaign_name"),  # Add To List / Remove from List only
    "Channel": ("string", "list_campaign_channel"),
    "Merge IDs": ("string", "merge_ids"),
    "Merge Fields": ("string", "merge_fields"),
    "Is Primary": ("boolean", "opportunity_primary"),
    "Role": ("string", "opportunity_role"),
    "Send To Owner": ("string", "alert_owner"),
    "Send To List": ("string", "alert_list"),
    "Sent by": ("string", "sales_user_email"),
    "Received by": ("string", "sales_user_email"),
    "Artifact ID": ("integer", "artifact_id"),
    "Template ID": ("integer", "template_id"),
    "Source@moment": ("string", "moment_source"),
    "Date": ("datetime", "activity_date"),
    "Type@moment": ("string", "moment_type"),
    "Campaign ID": ("integer", "campaign_id"),
    "Source@request": ("string", "request_source"),
    "New Partition ID": ("integer", "partition_new"),
    "Old Partition ID": ("integer", "partition_old"),
    "Reason@partition": ("string", "partition_reason"),
    "Reason@stage": ("string", "stage_reason"),
    "Old Stage ID": ("integer", "stage_old"),
    "Model ID": ("integer", "model_id"),
    "New Stage ID": ("integer", "stage_new"),
    "Acquired By": ("boolean", "acquired_by"),
    "Old Status": ("string", "status_old_name"),
    "New Status ID": ("integer", "status_new_id"),
    "Success": ("boolean", "status_success"),
    "New Status": ("string", "status_new_name"),
    "Program ID": ("object", "program_id"),
    "Old Status ID": ("integer", "status_old_id"),
    "New Segment ID": ("object", "segment_id"),
    "Segmentation ID": ("object", "segmentation_id"),
    "Error Type": ("integer", "webhook_error"),
    "Lead ID": ("integer", "friend_lead_id"),
    "LeadID": ("integer", "friend_lead_id"),
    "Program ID@nurture": ("object", "nurture_program_id"),
    "Track ID": ("integer", "track_id"),
    "Track Name": ("string", "track_name"),
    "Previous Track ID": ("integer", "track_previous_id"),
    "New Track ID": ("integer", "track_id"),
    "Previous Track Name": ("string", "track_previous_name"),
    "New Nurture Cadence": ("string", "nurture_cadence"),
    "Lead Ad Form ID": ("integer", "lead_ad_form_id"),
    "Asset ID": ("integer", "content_asset_id"),
    "Type@predictive": ("string", "predictive_type"),
    "Reason@push": ("string", "push_reason"),
    "Source@push": ("string", "push_source"),
    "Assign To": ("string", "sales_user_name"),
    "Sync As": ("string", "sync_as"),
    "Share Message": ("string", "share_message"),
    "Social Network": ("string", "social_network"),
    "Social App Type ID": ("integer", "social_app_type"),
    "Vote Choice": ("string", "vote_choice"),
    "Sharer ID": ("integer", "sharer_id"),
    "Drawing Date": ("datetime", "activity_date"),
    "Disqualified Reason": ("string", "disqualified_reason"),
    "Referred Type": ("string", "referred_type"),
    # Sample custom activity types (customer-defined, so the names are ours).
    "Conference Name": ("string", "conference_name"),
    "Badge Scanned At": ("datetime", "activity_date"),
    "Sessions Attended": ("integer", "session_count"),
    "Is Speaker": ("boolean", "is_speaker"),
    "Order ID": ("integer", "order_id"),
    # No source lists "float": a money amount goes as text with two decimals ("49.90"), the
    # documented "string" (§1d notes: integer, string, object, boolean; REST: text, datetime).
    "Amount": ("string", "order_amount"),
    "Currency": ("string", "currency"),
    "Gift Note": ("text", "gift_note"),
    "Webinar Title": ("string", "webinar_title"),
    "Registration Date": ("datetime", "activity_date"),
    "Questions": ("text", "webinar_questions"),
}

_WEB = "Client IP Address, Query Parameters, Referrer URL, User Agent, Webpage ID"
_BOUNCE = "Subcategory, Category, Email, Mailing ID, Details"
_SOFT_BOUNCE = "Subcategory@soft, Category@soft, Email, Mailing ID, Details@soft"
_SOCIAL = "Social Network, Social App Type ID, Webpage ID"

# §1d, one row per type: id, name (LADS spelling), attributes (LADS order, "" for a dash),
# primary value kind (None for a dash), weight (relative frequency in generated traffic).
# Rows without a LADS attribute list stay empty unless §1d names AEP-mapped attributes (34).
# Where §1d says the primary attribute only "refers to" something, the kind is that thing; New
# Lead's primary is the lead itself, like the REST example it cites and like Delete Lead's.
# The formatter is off for the table so that each row stays one line, like §1d.
# fmt: off
TYPES: tuple[tuple[int, str, str, str | None, float], ...] = (
    (1, "Visit Webpage", f"{_WEB}, Webpage URL", "webpage", 30),
    (2, "Fill Out Form", f"{_WEB}, Form Fields", "form", 3),
    (3, "Click Link", "Link ID, Client IP Address, Query Parameters, Referrer URL, User Agent, "
        "Webpage ID", "link", 6),
    (6, "Send Email", "Campaign Run ID, Step ID, Mailing ID", "mailing", 20),
    (7, "Email Delivered", "Choice Number, Campaign Run ID, Mailing ID", "mailing", 18),
    (8, "Email Bounced", _BOUNCE, "mailing", 0.5),
    (9, "Unsubscribe Email", "Campaign Run ID, Client IP Address, Mailing ID, Query Parameters, "
        "Referrer URL, User Agent, Webpage ID, Webform ID, Form Fields", "mailing", 0.3),
    (10, "Open Email", "Campaign Run ID, Platform, Device, Mailing ID, User Agent, "
        "Is Mobile Device", "mailing", 12),
    (11, "Click Email", "Campaign Run ID, Mailing ID, Link", "mailing", 4),
    (12, "New Lead", "Created Date, Source Type", "lead", 3),
    (13, "Change Data Value", "Reason, Attribute Name, New Value, Old Value, Source, "
        "Campaign@flow, Channel@flow", "field", 10),
    (19, "Sync Lead to SFDC", "", None, 1),
    (21, "Convert Lead", "", "sales_user", 0.2),
    (22, "Change Score", "Reason@score, Change Value, New Value@score, Old Value@score, "
        "Score Name", "score", 8),
    (23, "Change Owner", "", None, 0.3),
    (24, "Add To List", "List ID, Campaign", "list", 3),
    (25, "Remove from List", "List ID, Campaign, Channel", "list", 1),
    (26, "SFDC Activity", "", None, 0.5),
    (27, "Email Bounced Soft", f"Campaign Run ID, {_SOFT_BOUNCE}", "mailing", 1),
    (28, "Sync Lead Updates to SFDC", "", None, 2),
    (29, "Delete Lead from SFDC", "", None, 0.1),
    (30, "SFDC Activity Updated", "", None, 0.3),
    (31, "SFDC Merge Leads", "", None, 0.1),
    (32, "Merge Leads", "Merge IDs, Merge Fields", None, 0.2),
    (34, "Add to Opportunity", "Is Primary, Role", "opportunity", 0.3),  # attributes: AEP
    (35, "Remove from Opportunity", "", "opportunity", 0.1),
    (36, "Update Opportunity", "", "opportunity", 0.3),
    (37, "Delete Lead", "", "lead", 0.1),
    (38, "Send Alert", "Send To Owner, Send To List, Mailing ID", None, 0.3),
    (39, "Send Sales Email", "Sent by, Artifact ID", None, 0.3),
    (40, "Open Sales Email", "Sent by, Artifact ID, Template ID", None, 0.3),
    (41, "Click Sales Email", "Sent by, Artifact ID, Template ID, Link", None, 0.2),
    (42, "Add to SFDC Campaign", "", None, 0.3),
    (43, "Remove from SFDC Campaign", "", None, 0.1),
    (44, "Change Status in SFDC Campaign", "", None, 0.3),
    (45, "Receive Sales Email", "Artifact ID, Received by", None, 0.2),
    (46, "Interesting Moment", "Source@moment, Date, Type@moment", "moment", 2),
    (47, "Request Campaign", "Campaign ID, Source@request", None, 0.5),
    (48, "Sales Email Bounced", "", None, 0.1),
    (100, "Change Lead Partition", "New Partition ID, Old Partition ID, Reason@partition",
        None, 0.1),
    (101, "Change Revenue Stage", "Reason@stage, Old Stage ID, Model ID, New Stage ID",
        "revenue_model", 1),
    (102, "Change Revenue Stage Manually", "", None, 0.1),
    (104, "Change Status In Progression", "Acquired By, Old Status, New Status ID, Success, "
        "New Status, Program ID, Old Status ID", "program", 2),
    (106, "Enrich with Data.com", "", None, 0.05),
    (108, "Change Segment", "New Segment ID, Segmentation ID", None, 1),
    (110, "Call Webhook", "Error Type", "webhook", 0.5),
    (111, "Send Forward to Friend Email", "Mailing ID, Lead ID", None, 0.05),
    (112, "Receive Forward to Friend Email", "Mailing ID, LeadID", None, 0.05),
    (113, "Add To Nurture", "Program ID@nurture, Track ID, Track Name", "nurture_program", 0.5),
    (114, "Change Nurture Track", "Previous Track ID, New Track ID, Track Name, "
        "Program ID@nurture, Previous Track Name", "nurture_program", 0.3),
    (115, "Change Nurture Cadence", "New Nurture Cadence, Program ID@nurture",
        "nurture_program", 0.2),
    (123, "Change Program Member Data", "", None, 1),
    (131, "Fill Out Facebook Lead Ads Form", "Lead Ad Form ID", None, 0.3),
    (132, "Click RTP Call to Action", "Asset ID", None, 0.2),
    (133, "Click Predictive Content", "Asset ID, Type@predictive", None, 0.2),
    (145, "Push Lead to Marketo", "Reason@push, Source@push", None, 0.2),
    (147, "Fill Out Linked Lead Gen Form", "", None, 0.2),
    (300, "Sync Lead to Microsoft", "Assign To, Sync As", None, 0.1),
    (400, "Share Content", "Share Message, Social Network, Social App Type ID, Webpage ID",
        None, 0.05),
    (401, "Vote in Poll", "Vote Choice, Social Network, Webpage ID", None, 0.05),
    (402, "Sign Up for Referral Offer", _SOCIAL, None, 0.05),
    (403, "Achieve Goal In Referral", _SOCIAL, None, 0.05),
    (405, "Click Shared Link", "Social Network, Social App Type ID, Sharer ID, Webpage ID",
        None, 0.05),
    (406, "Win Sweepstakes", "Drawing Date, Social Network, Webpage ID", None, 0.05),
    (407, "Enter Sweepstakes", "Social Network, Webpage ID", None, 0.05),
    (408, "Disqualify Sweepstakes", "Disqualified Reason, Social Network, Webpage ID", None, 0.05),
    (409, "Earn Entry In Social App", _SOCIAL, None, 0.05),
    (410, "Refer to Social App", f"{_SOCIAL}, Referred Type", None, 0.05),
    # Customer-defined samples; 100001 "Attend Conference" is the REST doc's own example.
    (100001, "Attend Conference", "Conference Name, Badge Scanned At, Sessions Attended, "
        "Is Speaker", "conference", 0.5),
    (100002, "Purchase Product", "Order ID, Amount, Currency, Gift Note", "product", 0.5),
    (100003, "Register for Webinar", "Webinar Title, Registration Date, Questions",
        "webinar", 0.5),
)
# fmt: on

# † rows of §1d: Talend/Experience League types that are not in the LADS event list.
UNLISTED = frozenset({35, 36, 102, 106})

# Other spellings of the same types (§1d notes: Talend names, Experience League CamelCase).
# Case and punctuation differences need no entry: lookups ignore both.
ALIASES: dict[str, int] = {
    "Sent Forward to Friend Email": 111,
    "Received Forward to Friend Email": 112,
    "EnrichWithDataDotCom": 106,
    # Inferred: the Experience League list (help/data-streams.md) names no SFDC-campaign type,
    # and has this name where the LADS list has 44 "Change Status in SFDC Campaign"; 44 is the
    # only status-in-campaign type any source gives an id, and no source names another
    # "Change Status in Sales Campaign" activity.
    "ChangeStatusInSalesCampaign": 44,
}

# Names on the Experience League list that no public source gives an id for: refused, with the
# reason, rather than guessed (searched: the LADS list, Talend's list, Marketo's REST and
# Sales Connect docs, public repositories' activity type lists).
UNRESOLVED: dict[str, str] = {
    "AddToSalesCampaign": (
        "Marketo's Sales Activity Glossary documents a Sales Connect activity 'Add to Sales "
        "Campaign' (Sales Campaign ID, Sales Campaign Name, ...) without an id, a different "
        "activity from 42 'Add to SFDC Campaign'"
    ),
    "ChangeProgramData": (
        "it is named only in lists, without an id or attributes; it is not 123 'Change "
        "Program Member Data', which the same list names separately"
    ),
}


# §3a: the `type` suffixes seen in a source; every other component is named by the same rule
# (lowercased, spaces removed) and marked documented=False.
DOCUMENTED_AUDIT_TYPES = frozenset({"email", "landingpage", "smartcampaign", "emailbatchprogram"})

# §3a event list (UADS doc HEAD), one row per componentType: name as sent, `source`, the World
# asset the componentId points at (values.py maps it), eventAction values in the doc's order.
# `source` is "urn:mlm" for assets; "urn:userservice" for the access-control rows is inferred from
# the name (the doc lists the three values, not which component uses which). Folder's "rename"
# is the Experience League addition §3a mentions.
# fmt: off
AUDIT: tuple[tuple[str, str, str, str], ...] = (
    ("Default Program", "urn:mlm", "program", "clone, create, delete, edit channel, export, "
        "modify program setup, modify program token, rename"),
    ("Email", "urn:mlm", "mailing", "approve, clone, create, delete, edit, move, rename, "
        "unapprove"),
    ("Email Batch Program", "urn:mlm", "program", "approve, childUpdate, clone, create, delete, "
        "edit, edit channel, modify program schedule, modify program setup, "
        "modify program token, rename, unapprove"),
    ("Email Template", "urn:mlm", "email_template", "approve, clone, create, delete, draftCreate, "
        "draftDiscard, edit, rename, unapprove"),
    ("Engagement Program", "urn:mlm", "nurture_program", "clone, create, delete, edit channel, "
        "modify program setup, modify program stream, modify program token, rename"),
    ("Event Program", "urn:mlm", "program", "clone, create, delete, edit channel, "
        "modify program schedule, modify program setup, modify program token, rename"),
    ("Folder", "urn:mlm", "folder", "create, delete, edit, rename"),
    ("Form", "urn:mlm", "form", "approve, clone, create, delete, draftCreate, edit, move, rename"),
    ("Landing Page", "urn:mlm", "landing_page", "approve, clone, create, delete, draftDiscard, "
        "edit, move, rename, unapprove"),
    ("Landing Page Template", "urn:mlm", "landing_page_template", "approve, clone, create, "
        "delete, draftCreate, draftDiscard, edit, rename, unapprove"),
    ("List", "urn:mlm", "list", "clone, create, delete, rename"),
    ("Marketing Folder", "urn:mlm", "folder", "create, delete, edit"),
    ("Nurture Program", "urn:mlm", "nurture_program", "clone, create, delete, edit channel, "
        "modify program setup, modify program stream, modify program token, rename"),
    ("Segment", "urn:mlm", "segment", "create, delete, edit, rename"),
    ("Segmentation", "urn:mlm", "segmentation", "approve, create, delete, draftCreated, "
        "draftDiscarded, rename, unapprove"),
    ("Smart Campaign", "urn:mlm", "campaign", "abort, activate, clone, create, deactivate, "
        "delete, edit, modify campaign schedule, modify flow step action, "
        "modify smart list setup, move, rename"),
    ("Smart List", "urn:mlm", "smart_list", "clone, create, delete, edit, export, "
        "modify smartlist setup, rename"),
    ("Snippet", "urn:mlm", "snippet", "approve, approve with no-draft, clone, create, delete, "
        "edit, rename, unapprove"),
    ("Login", "urn:userservice", "actor", "login success, login failure"),
    ("Role", "urn:userservice", "role", "create, delete, edit"),
    ("User", "urn:userservice", "user", "create, delete, edit"),
    # The Experience League list's rows that the UADS doc lacks, actions in that list's order.
    # It names them by UI path ("Form -> Landing Page Form"); its "Admin UI -> User" row is the
    # doc's "User", so the componentType is taken to be the path's last part. Sources: urn:mlm,
    # as for the other assets (an integration is an admin setting, not an access-control event).
    ("Landing Page Form", "urn:mlm", "form", "create, clone, edit, delete, approve, rename"),
    ("Integration", "urn:mlm", "integration", "create, delete, edit"),
    ("Marketing Program", "urn:mlm", "program", "create, clone"),
)

# §3b: Notification kinds. Row: name, `type` suffix, documented, componentType, subType, and the
# keys of the `eventAction` object (values.py fills them). The three documented types come from
# the I/O doc; campaign_failure's componentType and subType are not shown (its only example
# carries campaign_abort's data, a copy-paste), so they follow the type suffix; its eventAction
# keys are that example's. The last three kinds are the Experience League list: their type is
# `...notification.<componentType>` like the documented ones, their subType the parenthesised
# text in camelCase like "dailyQuota", and their eventAction keys are our choice.
NOTIFICATIONS: tuple[tuple[str, str, bool, str, str, str], ...] = (
    ("Campaign Abort", "campaign_abort", True, "campaign_abort", "user_campaign_abort",
        "campaignId, userId"),
    ("Campaign Failure", "campaign_failure", True, "campaign_failure", "campaign_failure",
        "campaignId, userId"),
    ("Web Services Daily Quota", "web_services", True, "web_services", "dailyQuota",
        "dailyQuota, percent, serviceNames"),
    ("Nurture Program Exhausted", "nurture", False, "nurture", "programExhausted",
        "programId"),
    ("Salesforce Sync Failure", "salesforce_sync_failure", False, "salesforce_sync_failure",
        "syncFailure", "leadId, errorMessage"),
    ("Test Group A/B Test Result", "test_group", False, "test_group", "abTestResult",
        "programId, mailingId"),
)
# fmt: on

# The JSON type of each `eventAction` key, whatever the kind: ids are numbers as in the documented
# examples, a user is its email, serviceNames a list of REST service names (values.py draws them;
# the published schemas type them from here).
NOTIFICATION_ACTION_TYPES: dict[str, str] = {
    "campaignId": "integer",
    "userId": "string",
    "programId": "integer",
    "mailingId": "integer",
    "leadId": "integer",
    "dailyQuota": "integer",
    "percent": "integer",
    "errorMessage": "string",
    "serviceNames": "array",
}
