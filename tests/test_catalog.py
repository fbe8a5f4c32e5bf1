"""The activity-type catalog against reference §1d."""

from __future__ import annotations

import pytest

from simulator.catalog import (
    ACTIVITY_TYPES,
    find_activity_type,
    select_activity_types,
)
from simulator.errors import UnknownActivityType

# Every concrete id of the §1d table, in table order (the "100000+" row is the custom samples).
REFERENCE_IDS = (
    1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 19, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 34,
    35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 100, 101, 102, 104, 106, 108, 110,
    111, 112, 113, 114, 115, 123, 131, 132, 133, 145, 147, 300, 400, 401, 402, 403, 405, 406,
    407, 408, 409, 410,
)  # fmt: skip
UNLISTED_IDS = {35, 36, 102, 106}
CUSTOM_IDS = (100001, 100002, 100003)
DATA_TYPES = {"integer", "string", "object", "boolean", "datetime", "text", "float"}
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
