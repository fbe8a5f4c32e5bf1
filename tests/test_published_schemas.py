"""The published contracts in schemas/: current with the catalog, valid, and true of every event
the generators emit (every activity type, audit action and notification kind, both profiles,
single and batch, the older shapes, the anomalies), and an AsyncAPI document that AsyncAPI's own
parser accepts."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator, Draft202012Validator
from jsonschema.exceptions import ValidationError

from simulator.cli import main
from simulator.payloads import anomalies, unknowns
from simulator.payloads.asyncapi import ASYNCAPI_FILE, asyncapi_document
from simulator.payloads.catalog import (
    ACTIVITY_TYPES,
    AUDIT_COMPONENTS,
    NOTIFICATION_KINDS,
    select_audit_components,
)
from simulator.payloads.draws import SEQ_LIMIT
from simulator.payloads.events import SAMPLE_AT, ActivityStream, encode_legacy_batch
from simulator.payloads.formats import CONTENT_TYPE, TIME_STYLES, IoEvent, io_body
from simulator.payloads.iostreams import (
    NOTIFICATION_SHAPES,
    SCHEMAS,
    CloudActivityStream,
    NotificationStream,
    UserAuditStream,
)
from simulator.payloads.jsonschemas import SCHEMA_FILES, dump, json_schemas
from simulator.payloads.signing import KeyRing
from simulator.payloads.world import World
from simulator.shell.auth import StaticToken
from simulator.shell.engine import USER_AGENT
from simulator.shell.iolane import IoSettings, io_headers

ROOT = Path(__file__).resolve().parent.parent
PUBLISHED = ROOT / "schemas"
NODE_PROJECT = ROOT / "tests" / "asyncapi"
REGENERATE = "marketo-sim schema --events schemas  (or: make schema)"
MUNCHKIN = "123-ABC-456"
CLIENT = "consumer-client-id"
SAMPLES = 3  # events per activity type, audit action and notification kind
LEGACY = "legacy-activity.schema.json"
LEGACY_BATCH = "legacy-batch.schema.json"
IO_LEAD = "io-lead-activity.schema.json"
AUDIT_FILES = {"V2.0": "io-user-audit-v2.schema.json", "V1.0": "io-user-audit-v1.schema.json"}
NOTIFICATION_FILES = {
    "current": "io-notification.schema.json",
    "experience-league": "io-notification-experience-league.schema.json",
}


@functools.cache
def _validator(name: str, batch: bool = False) -> Draft202012Validator:
    """The validator of a shipped file's root, or of its `$defs/Batch` (whose items refer back
    to the root), checking formats too (date-time through rfc3339-validator)."""
    schema = json.loads((PUBLISHED / name).read_bytes())
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return validator.evolve(schema=schema["$defs"]["Batch"]) if batch else validator


def _valid(name: str, instance: Any, *, batch: bool = False, case: str = "") -> None:
    """Validates, failing with the best error's path and message instead of the whole tree."""
    try:
        _validator(name, batch).validate(instance)
    except ValidationError as exc:
        pytest.fail(f"{name}{case and f' ({case})'}: {exc.json_path}: {exc.message[:300]}")


@functools.cache
def _world(seed: int = 7) -> World:
    return World.build(seed)


def _items(count: int, start: int = 0) -> list[tuple[int, float]]:
    return [(seq, SAMPLE_AT + seq * 0.37) for seq in range(start, start + count)]


def _activities(types: Iterable[Any], seed: int = 7) -> ActivityStream:
    return ActivityStream(_world(seed), tuple(types), seed=seed, stream="schemas")


def _cloud(types: Iterable[Any], *, deprecated: bool = True) -> CloudActivityStream:
    return CloudActivityStream(
        _activities(types),
        munchkin_id=MUNCHKIN,
        recipient_client_id=CLIENT,
        deprecated_fields=deprecated,
    )


def _audit(schema: str, components: Any, time_format: str | None = None) -> UserAuditStream:
    return UserAuditStream(
        _world(),
        components,
        seed=7,
        stream="schemas",
        munchkin_id=MUNCHKIN,
        recipient_client_id=CLIENT,
        schema=schema,
        time_format=time_format,
    )


def _notifications(shape: str, kinds: Any, time_format: str | None = None) -> NotificationStream:
    return NotificationStream(
        _world(),
        kinds,
        seed=7,
        stream="schemas",
        munchkin_id=MUNCHKIN,
        recipient_client_id=CLIENT,
        shape=shape,
        time_format=time_format,
    )


def _bodies(events: list[IoEvent]) -> tuple[list[Any], Any]:
    """Each event's single-delivery body and the batch body of all, parsed from the bytes."""
    singles = [orjson.loads(io_body([event], batch=False)) for event in events]
    return singles, orjson.loads(io_body(events, batch=True))


# ---- current: the shipped files are what the command writes ----------------------------------


def test_shipped_contracts_are_what_the_command_writes(tmp_path: Path) -> None:
    """`marketo-sim schema --events DIR` writes, byte for byte, the files shipped in schemas/, and
    schemas/ holds no other file: a catalog change shows as a diff of the shipped copies."""
    assert main(["schema", "--events", str(tmp_path)]) == 0
    written = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    shipped = {path.name: path.read_bytes() for path in PUBLISHED.iterdir()}
    stale = sorted(
        name for name in written.keys() | shipped.keys() if written.get(name) != shipped.get(name)
    )
    assert not stale, f"schemas/ is stale ({', '.join(stale)}): run {REGENERATE}"


def test_a_directory_that_cannot_be_written_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--events` naming a file, not a directory, exits 2 with the flag and the reason, and no
    traceback."""
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    assert main(["schema", "--events", str(blocked)]) == 2
    err = capsys.readouterr().err
    assert f"--events {blocked}: cannot write there" in err
    assert "Traceback" not in err


def test_the_contracts_are_byte_stable() -> None:
    """Two generations give the same bytes, keys sorted, so the shipped copies diff cleanly."""
    first = {name: dump(doc) for name, doc in json_schemas().items()}
    assert first == {name: dump(doc) for name, doc in json_schemas().items()}
    assert dump(asyncapi_document()) == dump(asyncapi_document())
    parsed = json.loads(first[LEGACY])
    assert list(parsed) == sorted(parsed)


def test_every_schema_is_a_valid_draft_2020_12_schema() -> None:
    """Each file declares draft 2020-12 and passes that dialect's metaschema. The metaschema
    costs about 15 ms an activity type definition, so the two files that wrap the same
    definitions as legacy-activity's (made by the same function) are checked with one of them."""
    for name in SCHEMA_FILES:
        schema = json.loads((PUBLISHED / name).read_bytes())
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        if name in (LEGACY_BATCH, IO_LEAD):
            kept = [key for key in schema["$defs"] if key.startswith("Activity")][:1]
            schema["$defs"] = {
                key: schema["$defs"][key]
                for key in schema["$defs"]
                if not key.startswith("Activity") or key in kept
            }
        Draft202012Validator.check_schema(schema)


def test_every_activity_type_of_the_catalog_has_its_definition() -> None:
    """The activity schemas are the catalog: one definition per type, with its attributes and
    their dataTypes, and the open branch for the rest."""
    defs = json.loads((PUBLISHED / LEGACY).read_bytes())["$defs"]
    for t in ACTIVITY_TYPES:
        (definition,) = [
            d
            for d in defs.values()
            if d.get("properties", {}).get("activityTypeId") == {"const": t.id}
        ]
        listed = definition["properties"]["attributes"]["items"]["anyOf"][:-1]
        assert [
            (a["properties"]["name"]["const"], a["properties"]["dataType"]["const"]) for a in listed
        ] == [(a.name, a.data_type) for a in t.attributes]
    assert len(json.loads((PUBLISHED / LEGACY).read_bytes())["oneOf"]) == len(ACTIVITY_TYPES) + 1


# ---- Lead Activity -----------------------------------------------------------------------------


@pytest.mark.parametrize("activity_type", ACTIVITY_TYPES, ids=lambda t: str(t.id))
def test_every_activity_type_validates_on_both_profiles(activity_type: Any) -> None:
    """Activities of each type, as a legacy activity and as an Adobe I/O event delivered single
    and in a batch, validate against their published schemas."""
    for activity in _activities([activity_type]).activities(_items(SAMPLES)):
        _valid(LEGACY, activity)
    singles, batch = _bodies(_cloud([activity_type]).io_events(_items(SAMPLES)))
    for single in singles:
        _valid(IO_LEAD, single)
    _valid(IO_LEAD, batch, batch=True)


def test_a_legacy_push_body_validates() -> None:
    """The body of a legacy push of every type mixed, as `encode_legacy_batch` writes it."""
    body = encode_legacy_batch(
        _activities(ACTIVITY_TYPES),
        _items(60),
        munchkin_id=MUNCHKIN,
        message_id="4711",
        created_at=SAMPLE_AT + 80,
    )
    _valid(LEGACY_BATCH, orjson.loads(body))


def test_io_lead_activity_bodies_as_the_lane_encodes_them_validate() -> None:
    """The fast path's bodies (`CloudActivityStream.encode`), single and batch, with and without
    the deprecated envelope fields."""
    for deprecated in (True, False):
        stream = _cloud(ACTIVITY_TYPES, deprecated=deprecated)
        _, single = stream.encode(_items(1), batch=False)
        _valid(IO_LEAD, orjson.loads(single))
        _, batch = stream.encode(_items(20, start=1), batch=True)
        _valid(IO_LEAD, orjson.loads(batch), batch=True)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), start=st.integers(0, SEQ_LIMIT - 4))
def test_activities_of_any_seed_and_seq_validate(seed: int, start: int) -> None:
    """Whatever the world and stream seed and wherever in the stream, activities validate."""
    stream = ActivityStream(_world(seed % 2), ACTIVITY_TYPES, seed=seed, stream="any")
    for activity in stream.activities(_items(4, start)):
        _valid(LEGACY, activity)


def test_a_wrong_attribute_type_is_refused() -> None:
    """The schemas have teeth: a known type's attribute with a value of the wrong JSON type, or
    an activity without its leadId, is invalid."""
    activity = _activities([ACTIVITY_TYPES[0]]).activity(0, SAMPLE_AT)
    assert activity["attributes"][4]["name"] == "Webpage ID"
    activity["attributes"][4]["value"] = "1026"
    with pytest.raises(ValidationError):
        _validator(LEGACY).validate(activity)
    del activity["leadId"]
    with pytest.raises(ValidationError):
        _validator(LEGACY).validate({**activity, "attributes": []})


# ---- User Audit and Notification ---------------------------------------------------------------


@pytest.mark.parametrize("schema", SCHEMAS)
def test_every_audit_action_validates(schema: str) -> None:
    """Every eventAction of every component, in V2.0 and V1.0, single and batch."""
    events = [
        event
        for component in AUDIT_COMPONENTS
        for action in component.actions
        for event in _audit(schema, select_audit_components(component.name, action)).io_events(
            _items(1)
        )
    ]
    singles, batch = _bodies(events)
    for single in singles:
        _valid(AUDIT_FILES[schema], single)
    _valid(AUDIT_FILES[schema], batch, batch=True)


@pytest.mark.parametrize("shape", NOTIFICATION_SHAPES)
def test_every_notification_kind_validates(shape: str) -> None:
    """Every kind, in the current shape and the Experience League one, single and batch."""
    events = [
        event
        for kind in NOTIFICATION_KINDS
        for event in _notifications(shape, [kind]).io_events(_items(SAMPLES))
    ]
    singles, batch = _bodies(events)
    for single in singles:
        _valid(NOTIFICATION_FILES[shape], single)
    _valid(NOTIFICATION_FILES[shape], batch, batch=True)


def test_a_notification_value_of_the_wrong_type_is_refused() -> None:
    """eventAction values are typed from the catalog: a campaign id given as text is invalid."""
    kind = next(k for k in NOTIFICATION_KINDS if "campaignId" in k.action_fields)
    event = _notifications("current", [kind]).io_events(_items(1))[0].envelope
    _valid(NOTIFICATION_FILES["current"], event)
    action = event["event"]["body"]["data"]["eventAction"]
    action["campaignId"] = str(action["campaignId"])
    with pytest.raises(ValidationError):
        _validator(NOTIFICATION_FILES["current"]).validate(event)


@pytest.mark.parametrize("style", TIME_STYLES)
def test_every_time_style_validates(style: str) -> None:
    """A nested stream's `time` in any of the styles a stream can be given."""
    for schema in SCHEMAS:
        for event in _audit(schema, AUDIT_COMPONENTS, style).io_events(_items(2)):
            _valid(AUDIT_FILES[schema], event.envelope)
    for shape in NOTIFICATION_SHAPES:
        for event in _notifications(shape, NOTIFICATION_KINDS, style).io_events(_items(2)):
            _valid(NOTIFICATION_FILES[shape], event.envelope)


# ---- what a consumer must tolerate -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["unknown-field", "unknown-activity-type"])
def test_anomalies_validate(kind: str) -> None:
    """The schemas leave every object open and have a branch for unknown types, so the
    anomalies a scenario forces are still valid: consumers must take them too."""
    activities = _activities(ACTIVITY_TYPES).activities(_items(5))
    for activity in anomalies.legacy(kind, activities):
        _valid(LEGACY, activity)
    io_streams: list[tuple[str, Any]] = [
        (IO_LEAD, _cloud(ACTIVITY_TYPES)),
        *((AUDIT_FILES[s], _audit(s, AUDIT_COMPONENTS)) for s in SCHEMAS),
        *(
            (NOTIFICATION_FILES[s], _notifications(s, NOTIFICATION_KINDS))
            for s in NOTIFICATION_SHAPES
        ),
    ]
    for name, stream in io_streams:
        changed = anomalies.io(kind, stream.io_events(_items(3)))
        _valid(name, orjson.loads(io_body(changed, batch=True)), batch=True)


def test_a_nested_stream_takes_unknown_types_of_its_own_prefix_only() -> None:
    """A User Audit event of an unknown component is valid; one typed as a lead activity is
    not: a consumer routing by the stream's prefix can rely on it."""
    event = _audit("V2.0", AUDIT_COMPONENTS).io_events(_items(1))[0].envelope
    body = event["event"]["body"]
    body["type"] = "com.adobe.platform.marketo.audit.user.simulatorunknown"
    _valid(AUDIT_FILES["V2.0"], event)
    body["type"] = anomalies.UNKNOWN_IO_TYPE
    with pytest.raises(ValidationError):
        _validator(AUDIT_FILES["V2.0"]).validate(event)


def test_the_unknowns_of_the_contract_battery_validate() -> None:
    """Each case of the battery's unknown-types check (an unknown or custom type, component,
    eventAction, subType, an unknown envelope or data field or attribute) is valid."""
    cases = 0
    for name, change in unknowns.unknowns("marketo-legacy", "lead-activity"):
        activity = _activities(ACTIVITY_TYPES).activity(3, SAMPLE_AT)
        change(activity)
        _valid(LEGACY, activity, case=name)
        cases += 1
    streams: dict[str, tuple[str, Any]] = {
        "lead-activity": (IO_LEAD, _cloud(ACTIVITY_TYPES)),
        "user-audit": (AUDIT_FILES["V2.0"], _audit("V2.0", AUDIT_COMPONENTS)),
        "notification": (
            NOTIFICATION_FILES["current"],
            _notifications("current", NOTIFICATION_KINDS),
        ),
    }
    for stream_name, (file, stream) in streams.items():
        for name, change in unknowns.unknowns("adobe-io", stream_name):
            event = stream.io_events(_items(1))[0]
            change(event)
            _valid(file, event.envelope, case=name)
            cases += 1
    assert cases == 4 + 3 * 4


# ---- the AsyncAPI document ---------------------------------------------------------------------


def _asyncapi() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((PUBLISHED / ASYNCAPI_FILE).read_bytes())
    return document


def test_every_payload_reference_names_a_published_schema() -> None:
    """The messages' payloads point into the JSON Schema files, at their root or their Batch."""
    refs = [
        m["payload"]["$ref"]
        for m in _asyncapi()["components"]["messages"].values()
        if "$ref" in m.get("payload", {})
    ]
    files = {ref.removeprefix("./").partition("#")[0] for ref in refs}
    assert files == set(SCHEMA_FILES) - {LEGACY}
    assert {ref.partition("#")[2] for ref in refs} == {"", "/$defs/Batch"}


async def test_the_headers_we_send_are_the_documented_ones() -> None:
    """The headers of a real I/O delivery (a retry, with the HMAC) and of a legacy push
    validate against the document's header schemas."""
    schemas = _asyncapi()["components"]["schemas"]
    events = _cloud(ACTIVITY_TYPES).io_events(_items(2))
    body = io_body(events, batch=True)
    settings_ = IoSettings(provider="marketo")
    headers = io_headers(settings_, events, "delivery-1") | KeyRing.generate().headers(body)
    headers |= {"x-adobe-retry-count": "2", "x-adobe-signature": "c2lnbmF0dXJl"}
    Draft7Validator(schemas["ioHeaders"]).validate(headers)
    assert set(headers) <= set(schemas["ioHeaders"]["properties"])
    token = await StaticToken(token="secret-token").headers()
    legacy = token | {"Content-Type": CONTENT_TYPE, "User-Agent": USER_AGENT}  # as the lane's
    Draft7Validator(schemas["legacyHeaders"]).validate(legacy)
    assert set(legacy) <= set(schemas["legacyHeaders"]["properties"])


def _node_tools() -> Path:
    """The directory of installed node packages, or skip (fail in CI) when there are none."""
    modules = NODE_PROJECT / "node_modules" / "@asyncapi"
    if shutil.which("node") and (modules / "parser").is_dir() and (modules / "specs").is_dir():
        return modules
    why = (
        "AsyncAPI's tooling is not installed: needs node and "
        f"`npm ci --ignore-scripts --prefix {NODE_PROJECT.relative_to(ROOT)}` (make test does it)"
    )
    if os.environ.get("CI"):
        pytest.fail(why)
    pytest.skip(why)


def test_asyncapi_parser_finds_no_error() -> None:
    """@asyncapi/parser, AsyncAPI's own parser, reads the shipped document and the schema files
    it refers to, and reports no diagnostic of severity error."""
    _node_tools()
    result = subprocess.run(
        ["node", "validate.mjs", str(PUBLISHED / ASYNCAPI_FILE)],
        cwd=NODE_PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    errors = [d for d in report["diagnostics"] if d["severity"] == 0]
    assert errors == []
    assert report["parsed"] is True


def test_asyncapi_document_matches_the_asyncapi_3_0_schema() -> None:
    """The document validates against the AsyncAPI 3.0.0 JSON Schema of @asyncapi/specs."""
    spec_file = _node_tools() / "specs" / "schemas" / "3.0.0.json"
    spec = json.loads(spec_file.read_bytes())
    Draft7Validator(spec).validate(_asyncapi())


# ---- the README's recipe for consumers ---------------------------------------------------------


def test_datamodel_codegen_makes_models_that_parse_an_emitted_event(tmp_path: Path) -> None:
    """The README's command makes pydantic models from a published schema, and they parse an
    event the generator emits (the Notification schema: the smallest, so the test stays quick)."""
    command = [
        sys.executable,
        "-m",
        "datamodel_code_generator",
        "--input",
        str(PUBLISHED / NOTIFICATION_FILES["current"]),
        "--input-file-type",
        "jsonschema",
        "--output-model-type",
        "pydantic_v2.BaseModel",
        "--use-title-as-name",
        "--formatters",
        "ruff-format",
        "--output",
        str(tmp_path / "notification_models.py"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    spec = importlib.util.spec_from_file_location("notification_models", command[-1])
    assert spec is not None
    assert spec.loader is not None
    models = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = models  # pydantic resolves the postponed annotations through it
    try:
        spec.loader.exec_module(models)
        event = _notifications("current", NOTIFICATION_KINDS).io_events(_items(1))[0].envelope
        envelope = models.MarketoNotificationAdobeIO.model_validate(event)
        cloudevent = models.AnyNotificationCloudEvent.model_validate(event["event"]["body"])
    finally:
        del sys.modules[spec.name]
    assert envelope.eventid == event["eventid"]
    assert type(cloudevent.root).__name__ != "UnknownKind"
    assert cloudevent.root.type == event["event"]["body"]["type"]
