"""Run files: parsing, defaults, secrets, and one located error per kind of mistake."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from simulator.errors import ConfigError, MissingSecret, ScenarioError, UnknownActivityType
from simulator.payloads.catalog import find_activity_type, select_activity_types
from simulator.runfile.scenario import (
    DeliverySpec,
    RunSpec,
    Secret,
    SecretNotSet,
    SubscriptionSpec,
    load_run,
    parse_duration,
    parse_run,
    run_json_schema,
)

QUICKSTART = Path(__file__).parent.parent / "scenarios" / "quickstart.yaml"
FILE = "scenarios/bad.yaml"
BASE = """\
munchkinId: 123-ABC-456
subscriptions:
  - name: leads
"""


def catalog_message(ref: str) -> str:
    """The catalog's own words for an unknown type (its wording is the catalog's to choose)."""
    with pytest.raises(UnknownActivityType) as caught:
        find_activity_type(ref)
    return str(caught.value)


def run(text: str, **environ: str) -> RunSpec:
    return parse_run(text, file=FILE, environ=environ)


def error_of(text: str, **environ: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        run(text, **environ)
    return caught.value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            BASE + "sed: 7\n",
            "scenarios/bad.yaml:4: sed: unknown key (did you mean 'seed'?)",
            id="unknown-top-level-key",
        ),
        pytest.param(
            BASE + "    batchsize: 100\n",
            "scenarios/bad.yaml:4: subscriptions[0].batchsize: "
            "unknown key (did you mean 'batchSize'?)",
            id="unknown-nested-key",
        ),
        pytest.param(
            BASE + "    delivery:\n      retry_interval: 1m\n",
            "scenarios/bad.yaml:5: subscriptions[0].delivery.retry_interval: "
            "unknown key (did you mean 'retryInterval'?)",
            id="snake-case-key",
        ),
        pytest.param(
            BASE + "    batchSize: '500'\n",
            "scenarios/bad.yaml:4: subscriptions[0].batchSize: must be an integer (got '500')",
            id="string-for-int",
        ),
        pytest.param(
            BASE + "seed: true\n",
            "scenarios/bad.yaml:4: seed: must be an integer (got true)",
            id="bool-for-int",
        ),
        pytest.param(
            BASE + "    batchSize: 50\n",
            "scenarios/bad.yaml:4: subscriptions[0].batchSize: "
            "must be between 100 and 500 (got 50)",
            id="batch-size-50",
        ),
        pytest.param(
            BASE + "    batchSize: 501\n",
            "scenarios/bad.yaml:4: subscriptions[0].batchSize: "
            "must be between 100 and 500 (got 501)",
            id="batch-size-501",
        ),
        pytest.param(
            BASE + "    pushInterval: -2s\n",
            "scenarios/bad.yaml:4: subscriptions[0].pushInterval: must not be negative (got '-2s')",
            id="negative-duration",
        ),
        pytest.param(
            BASE + "duration: 0\n",
            "scenarios/bad.yaml:4: duration: must be longer than 0s (got 0s)",
            id="zero-duration",
        ),
        pytest.param(
            BASE + "    pushInterval: 2 secs\n",
            "scenarios/bad.yaml:4: subscriptions[0].pushInterval: '2 secs' is not a duration: "
            "use a number of seconds, or text like 500ms, 2s, 3m, 1h30m, 7d",
            id="bad-duration-text",
        ),
        pytest.param(
            BASE + "    delivery: {phase: random}\n",
            "scenarios/bad.yaml:4: subscriptions[0].delivery.phase: "
            "must be 'seeded' or 'aligned' (got 'random')",
            id="unknown-phase",
        ),
        pytest.param(
            BASE + "    delivery:\n      maxDrainRate: 0\n",
            "scenarios/bad.yaml:5: subscriptions[0].delivery.maxDrainRate: "
            "must be at least 1 (got 0)",
            id="zero-drain-rate",
        ),
        pytest.param(
            BASE + "    delivery:\n      maxDrainRate: fast\n",
            "scenarios/bad.yaml:5: subscriptions[0].delivery.maxDrainRate: "
            "must be a number (got 'fast')",
            id="text-drain-rate",
        ),
        pytest.param(
            BASE + "    delivery:\n      maxDrainRate: .inf\n",
            "scenarios/bad.yaml:5: subscriptions[0].delivery.maxDrainRate: "
            "must be a finite number (got inf)",
            id="infinite-drain-rate",
        ),
        pytest.param(
            BASE + "    profile: adobe-io\n    delivery: {phase: aligned}\n",
            "scenarios/bad.yaml:5: subscriptions[0].delivery: "
            "does not apply to profile adobe-io; use io: instead",
            id="phase-on-adobe-io",
        ),
        pytest.param(
            BASE + "    profile: adobe-io\n    io: {notificationShape: v2}\n",
            "scenarios/bad.yaml:5: subscriptions[0].io.notificationShape: "
            "must be 'current' or 'experience-league' (got 'v2')",
            id="unknown-notification-shape",
        ),
        pytest.param(
            BASE + "    activityTypes: [AddToSalesCampaign]\n",
            "scenarios/bad.yaml:4: subscriptions[0].activityTypes[0]: "
            + catalog_message("AddToSalesCampaign"),
            id="listed-name-without-an-id",
        ),
        pytest.param(
            BASE + "   batchSize: 100\n",
            "scenarios/bad.yaml:4: invalid YAML: expected <block end>, "
            "but found '<block mapping start>' (check the indentation)",
            id="bad-indentation",
        ),
        pytest.param(
            BASE + "\tbatchSize: 100\n",
            "scenarios/bad.yaml:4: invalid YAML: a tab character: indent with spaces",
            id="tab",
        ),
        pytest.param(
            BASE + "    activityTypes:\n      - Visit Webpage\n      - Visit Webpgae\n",
            "scenarios/bad.yaml:6: subscriptions[0].activityTypes[1]: "
            + catalog_message("Visit Webpgae"),
            id="unknown-activity-type",
        ),
        pytest.param(
            BASE + "    activityTypes: [1, Visit Webpage]\n",
            "scenarios/bad.yaml:4: subscriptions[0].activityTypes[1]: "
            "'Visit Webpage' is listed twice",
            id="activity-type-twice",
        ),
        pytest.param(
            "seed: 1\nsubscriptions:\n  - name: leads\n",
            "scenarios/bad.yaml:1: munchkinId: is required",
            id="missing-munchkin-id",
        ),
        pytest.param(
            "munchkinId: 123-abc-456\nsubscriptions:\n  - name: leads\n",
            "scenarios/bad.yaml:1: munchkinId: must look like 123-ABC-456 (got '123-abc-456')",
            id="bad-munchkin-id",
        ),
        pytest.param(
            "munchkinId: 123-ABC-456\nsubscriptions: []\n",
            "scenarios/bad.yaml:2: subscriptions: must list at least one subscription",
            id="no-subscriptions",
        ),
        pytest.param(
            BASE + "  - name: leads\n",
            "scenarios/bad.yaml:4: subscriptions[1].name: 'leads' is taken by subscriptions[0]",
            id="duplicate-subscription-name",
        ),
        pytest.param(
            BASE + "seed: 1\nseed: 2\n",
            "scenarios/bad.yaml:5: seed: duplicate key (first at line 4)",
            id="duplicate-yaml-key",
        ),
        pytest.param(
            BASE + "    auth: {type: token, token: s3cr3t}\n",
            "scenarios/bad.yaml:4: subscriptions[0].auth.token: never put a secret in the file: "
            "export it and name the variable with tokenEnv",
            id="literal-secret",
        ),
        pytest.param(
            BASE + "receiver:\n  oauth:\n    clientSecret: hunter2\n",
            "scenarios/bad.yaml:6: receiver.oauth.clientSecret: never put a secret in the file: "
            "export it and name the variable with clientSecretEnv",
            id="literal-client-secret",
        ),
        pytest.param(
            "munchkinId: 123-ABC-456\nsubscriptions:\n  - endpoint: embedded\n    nmae: leads\n",
            "scenarios/bad.yaml:4: subscriptions[0].nmae: unknown key (did you mean 'name'?)",
            id="misspelling-before-the-missing-key-it-causes",
        ),
        pytest.param(
            BASE + "yes: 1\n",
            "scenarios/bad.yaml:4: keys must be text (got 'yes')",
            id="non-text-key",
        ),
        pytest.param(
            BASE + "    auth:\n      type: token\n",
            "scenarios/bad.yaml:4: subscriptions[0].auth.tokenEnv: is required with type token",
            id="token-auth-without-token",
        ),
        pytest.param(
            BASE + "    auth:\n      type: none\n      scope: read\n",
            "scenarios/bad.yaml:6: subscriptions[0].auth.scope: does not apply to type none",
            id="auth-key-of-other-type",
        ),
        pytest.param(
            BASE + "receiver:\n  outages:\n    - {from: 12m, to: 12m}\n",
            "scenarios/bad.yaml:6: receiver.outages[0].to: must be after from (720s)",
            id="outage-ends-before-it-starts",
        ),
        pytest.param(
            BASE + "    bursts:\n      - {at: 5m, every: 10m, count: 5}\n",
            "scenarios/bad.yaml:5: subscriptions[0].bursts[0].every: "
            "give either at (once) or every (repeating), not both",
            id="burst-at-and-every",
        ),
        pytest.param(
            BASE + "start: 2026-01-01T00:00:00\n",
            "scenarios/bad.yaml:4: start: needs a timezone, like 2026-01-01T00:00:00Z "
            "(got 2026-01-01T00:00:00)",
            id="naive-start",
        ),
        pytest.param(
            BASE + "timeline:\n  - endpoint: normal\n",
            "scenarios/bad.yaml:5: timeline[0]: needs either at (a time) or after (since the "
            "previous step)",
            id="step-without-time",
        ),
        pytest.param(
            "", "scenarios/bad.yaml: is empty: a run needs munchkinId and subscriptions", id="empty"
        ),
        pytest.param(
            "- munchkinId: 123-ABC-456\n",
            "scenarios/bad.yaml:1: "
            "must be a mapping with munchkinId and subscriptions (got a list)",
            id="top-level-list",
        ),
    ],
)
def test_mistakes_name_file_line_and_field(text: str, expected: str) -> None:
    """Each mistake is one ScenarioError whose text gives file, line, field and reason."""
    assert str(error_of(text)) == expected


def test_first_error_by_line_is_reported() -> None:
    """With several mistakes the error on the earliest line wins."""
    error = error_of(BASE + "    batchSize: 50\nseed: -1\n")
    assert (error.line, error.field) == (4, "subscriptions[0].batchSize")


def test_unset_variable_is_a_missing_secret_at_its_env_key() -> None:
    """A tokenEnv naming an unset variable says what to export, at the tokenEnv line."""
    error = error_of(BASE + "    auth:\n      type: token\n      tokenEnv: LEADS_TOKEN\n")
    assert str(error) == (
        "scenarios/bad.yaml:6: subscriptions[0].auth.tokenEnv: "
        "environment variable LEADS_TOKEN is not set: export LEADS_TOKEN=... and rerun"
    )
    assert isinstance(error, SecretNotSet)
    assert isinstance(error, MissingSecret)
    assert error.exit_code == 2


def test_defaults_are_the_legacy_contract() -> None:
    """Without a delivery block: 20 s timeout, 3 retries 3 min apart, probes every 3 min, 7 days."""
    subscription = run(BASE).subscriptions[0]
    assert subscription.delivery == DeliverySpec(
        timeout=20.0,
        retries=3,
        retry_interval=180.0,
        probe_interval=180.0,
        retention=604_800.0,
        backlog="catch-up",
        max_response_bytes=65_536,
    )
    assert (subscription.batch_size, subscription.push_interval) == (500, 2.0)
    assert (subscription.endpoint, subscription.auth.type) == ("embedded", "none")


def test_push_slots_are_seeded_and_the_drain_uncapped_by_default() -> None:
    """Without those keys: slots at a seeded offset, and a backlog drains back-to-back."""
    delivery = run(BASE).subscriptions[0].delivery
    assert (delivery.phase, delivery.max_drain_rate) == ("seeded", None)


def test_phase_and_drain_cap_load() -> None:
    """phase: aligned and maxDrainRate: 1000 (events per second) load as given."""
    text = BASE + "    delivery: {phase: aligned, maxDrainRate: 1000}\n"
    delivery = run(text).subscriptions[0].delivery
    assert (delivery.phase, delivery.max_drain_rate) == ("aligned", 1000.0)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("2s", 2.0, id="2s"),
        pytest.param("3m", 180.0, id="3m"),
        pytest.param("7d", 604_800.0, id="7d"),
        pytest.param("1h30m", 5_400.0, id="1h30m"),
        pytest.param("500ms", 0.5, id="500ms"),
        pytest.param("2.5s", 2.5, id="2.5s"),
        pytest.param(90, 90.0, id="bare-int"),
        pytest.param(1.5, 1.5, id="bare-float"),
    ],
)
def test_durations_parse_to_seconds(text: str | int | float, seconds: float) -> None:
    """Durations are numbers of seconds or unit strings, combinable largest unit first."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("-1s", "must not be negative (got '-1s')", id="negative"),
        pytest.param(-5, "must not be negative (got -5)", id="negative-number"),
        pytest.param(
            "30m1h", "'30m1h': give each unit once, largest first (like 1h30m)", id="unit-order"
        ),
        pytest.param("2", "'2' has no unit: write 2s, or a bare number for seconds", id="no-unit"),
        pytest.param(
            "soon",
            "'soon' is not a duration: "
            "use a number of seconds, or text like 500ms, 2s, 3m, 1h30m, 7d",
            id="garbage",
        ),
        pytest.param(
            True,
            "must be a duration: a number of seconds, or text like 500ms, 2s, 3m, 1h30m, 7d "
            "(got true)",
            id="bool",
        ),
    ],
)
def test_bad_durations_raise_value_error(value: str | int | bool, message: str) -> None:
    """A negative, out-of-order, unitless or non-duration value raises a ValueError saying why."""
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_duration(value)


def test_all_resolves_to_every_catalog_type() -> None:
    """activityTypes: all (and the default) give every type in the catalog."""
    spec = run(BASE + "  - name: web\n    activityTypes: all\n")
    every = select_activity_types("all")
    assert [s.activity_types for s in spec.subscriptions] == [every, every]


def test_activity_types_mix_names_and_ids_in_order() -> None:
    """Names and ids may be mixed; the types keep the order of the list."""
    spec = run(BASE + "    activityTypes: [Visit Webpage, 13, Click Link, 12, 2]\n")
    assert [t.id for t in spec.subscriptions[0].activity_types] == [1, 13, 3, 12, 2]


def test_secrets_resolve_from_environ_and_never_print() -> None:
    """A tokenEnv becomes a Secret whose repr and str hide the value that reveal() gives."""
    text = BASE + "    auth: {type: token, tokenEnv: LEADS_TOKEN}\n"
    token = run(text, LEADS_TOKEN="s3cr3t").subscriptions[0].auth.token
    assert isinstance(token, Secret)
    assert (token.reveal(), token.env) == ("s3cr3t", "LEADS_TOKEN")
    assert repr(token) == str(token) == "Secret('****')"
    assert "s3cr3t" not in repr(run(text, LEADS_TOKEN="s3cr3t"))


def test_oauth_auth_and_embedded_idp_load() -> None:
    """OAuth against the embedded IdP resolves both client variables on each side."""
    text = (
        BASE
        + "    auth: {type: oauth, tokenUrl: embedded, clientIdEnv: ID, clientSecretEnv: SECRET}\n"
        + "receiver:\n  oauth: {clientIdEnv: ID, clientSecretEnv: SECRET, tokenTtl: 10m}\n"
    )
    spec = run(text, ID="client", SECRET="hunter2")
    auth = spec.subscriptions[0].auth
    assert (auth.token_url, auth.client_auth, auth.refresh_margin) == ("embedded", "basic", 60.0)
    assert auth.client_secret == spec.receiver.oauth.client_secret == Secret("hunter2")
    assert spec.receiver.oauth.token_ttl == 600.0


def test_start_is_normalised_to_utc() -> None:
    """A start with an offset becomes the same instant in UTC."""
    spec = run(BASE + "start: 2026-01-01T01:00:00+01:00\n")
    assert spec.start == datetime(2026, 1, 1, tzinfo=UTC)
    assert spec.start.tzinfo is UTC


def test_bursts_and_outages_keep_their_windows() -> None:
    """Bursts and outages load with their times in seconds."""
    text = BASE + (
        "    bursts:\n      - {at: 5m, count: 5000}\n      - {every: 10m, from: 1m, count: 1000}\n"
        "receiver:\n  outages:\n    - {from: 1m, to: 12m, mode: status, status: 500}\n"
    )
    spec = run(text)
    bursts = spec.subscriptions[0].bursts
    assert [(b.at, b.every, b.start, b.count) for b in bursts] == [
        (300.0, None, 0.0, 5000),
        (None, 600.0, 60.0, 1000),
    ]
    outage = spec.receiver.outages[0]
    assert (outage.start, outage.end, outage.mode, outage.status) == (60.0, 720.0, "status", 500)


def test_specs_are_frozen() -> None:
    """A loaded spec can't be changed in place."""
    spec = run(BASE)
    with pytest.raises(ValidationError, match="frozen"):
        spec.seed = 3  # type: ignore[misc]


def test_specs_can_be_built_in_code_by_attribute_name() -> None:
    """Python code builds specs with snake_case names, validated like the file."""
    subscription = SubscriptionSpec(name="leads", batch_size=100, activity_types=[1, 2])
    spec = RunSpec(munchkin_id="123-ABC-456", subscriptions=(subscription,))
    assert (spec.subscriptions[0].batch_size, spec.file) == (100, "<string>")


def test_overrides_replace_seed_and_duration() -> None:
    """with_overrides applies the command line's --seed and --duration and keeps the file."""
    spec = run(BASE + "seed: 1\nduration: 5m\n").with_overrides(seed=9, duration="20m")
    assert (spec.seed, spec.duration, spec.file) == (9, 1200.0, FILE)


def test_bad_override_is_a_config_error() -> None:
    """An override is checked like the file's value."""
    with pytest.raises(ConfigError, match=r"^--seed: must be at least 0 \(got -1\)$"):
        run(BASE).with_overrides(seed=-1)


def test_unreadable_file_is_a_scenario_error(tmp_path: Path) -> None:
    """A missing file is reported by name."""
    with pytest.raises(ScenarioError, match="can't read it: No such file or directory"):
        load_run(tmp_path / "missing.yaml")


def test_json_schema_describes_the_file_keys() -> None:
    """The JSON Schema uses the file's camelCase keys and forbids others."""
    schema = run_json_schema()
    assert schema["required"] == ["munchkinId", "subscriptions"]
    assert schema["properties"]["subscriptions"]["minItems"] == 1
    assert schema["additionalProperties"] is False
    subscription = schema["$defs"]["SubscriptionSpec"]["properties"]
    assert subscription["batchSize"]["minimum"] == 100
    assert subscription["batchSize"]["maximum"] == 500


def test_quickstart_loads() -> None:
    """scenarios/quickstart.yaml is valid and shows a 2-16 min outage in a 25 min run."""
    spec = load_run(QUICKSTART, environ={})
    assert (spec.duration, spec.file) == (1500.0, str(QUICKSTART))
    outage = spec.receiver.outages[0]
    assert (outage.start, outage.end, outage.mode) == (120.0, 960.0, "refuse")
    assert [s.endpoint for s in spec.subscriptions] == ["embedded"]


def test_the_published_json_schema_is_current() -> None:
    """scenarios/schema.json is what `marketo-sim schema` prints: regenerate it with make schema."""
    published = Path(__file__).resolve().parent.parent / "scenarios" / "schema.json"
    assert json.loads(published.read_text()) == run_json_schema()
