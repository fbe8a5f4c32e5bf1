"""Every bad input is refused the same way: one ScenarioError naming file, line and field, exit 2,
no traceback and nothing sent. One case per failure measured in issue 9, and the bounds
(`simulator.core.bounds`) as the schema publishes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.cli import main
from simulator.core.bounds import FILE_BYTES_MAX, NESTING_MAX
from simulator.errors import ScenarioError
from simulator.runfile.scenario import RunSpec, load_run, parse_run, run_json_schema

FILE = "runs/bad.yaml"
BASE = "munchkinId: 123-ABC-456\nduration: 4s\nsubscriptions:\n  - name: a\n"


def refused(text: str) -> str:
    """The message of the ScenarioError that `text` gives."""
    with pytest.raises(ScenarioError) as caught:
        parse_run(text, file=FILE, environ={"TOKEN": "t"})
    return str(caught.value)


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        pytest.param(
            "seed: 1" + "0" * 100 + "\n",
            "runs/bad.yaml:5: seed: must be between 0 and 9223372036854775807 (got 1e+100)",
            id="seed-1e100",
        ),
        pytest.param(
            "    bursts: [{at: 1s, count: 1000000000000000}]\n",
            "runs/bad.yaml:5: subscriptions[0].bursts[0].count: must be between 1 and 10000000 "
            "(got 1000000000000000)",
            id="burst-1e15",
        ),
        pytest.param(
            "    delivery: {retries: 10000000000000000000000000000000000000000}\n",
            "runs/bad.yaml:5: subscriptions[0].delivery.retries: must be between 0 and 100 "
            "(got 1e+40)",
            id="retries-1e40",
        ),
        pytest.param(
            "    delivery: {maxResponseBytes: 0}\n",
            "runs/bad.yaml:5: subscriptions[0].delivery.maxResponseBytes: must be between 1 and "
            "16777216 (got 0)",
            id="max-response-bytes-0",
        ),
        pytest.param(
            '    endpoint: "http://x\\0y/"\n',
            "runs/bad.yaml:5: subscriptions[0].endpoint: must not contain control characters "
            "(got 'http://x\\x00y/')",
            id="nul-in-endpoint",
        ),
        pytest.param(
            "    endpoint: http://127.0.0.1:99999/\n",
            "runs/bad.yaml:5: subscriptions[0].endpoint: port must be 1-65535 "
            "(got 'http://127.0.0.1:99999/')",
            id="port-99999",
        ),
        pytest.param(
            "    endpoint: https://user:password@example.com/\n"
            "    auth: {type: token, tokenEnv: TOKEN}\n",
            "runs/bad.yaml:5: subscriptions[0].endpoint: must not carry credentials "
            "(user:password@): export the secret and name the variable with auth.tokenEnv, or "
            "clientIdEnv and clientSecretEnv",
            id="credentials-in-url",
        ),
        pytest.param(
            "    rate: 1000000000000\n",
            "runs/bad.yaml:5: subscriptions[0].rate: must be between 0 and 100000 (got 1e+12)",
            id="rate-1e12-integer",
        ),
        pytest.param(
            "    rate: 1e12\n",
            "runs/bad.yaml:5: subscriptions[0].rate: must be between 0 and 100000 (got 1e+12)",
            id="rate-1e12-scientific",
        ),
        pytest.param(
            "receiver: {status: 150}\n",
            "runs/bad.yaml:5: receiver.status: must be between 200 and 599 (got 150)",
            id="status-1xx",
        ),
        pytest.param(
            "receiver: {latency: 1e308}\n",
            "runs/bad.yaml:5: receiver.latency: must be at most 366d (got 1e+308)",
            id="latency-1e308",
        ),
        pytest.param(
            "receiver: {latency: 2h}\n",
            "runs/bad.yaml:5: receiver.latency: must be between 0 and 3600 (got 7200)",
            id="latency-over-an-hour",
        ),
        pytest.param(
            "timeline:\n"
            "  - {at: 3s, burst: {subscription: a, count: 5}}\n"
            "  - {at: 1s, burst: {subscription: a, count: 5}}\n",
            "runs/bad.yaml:7: timeline[1].at: is before the previous step (3s): "
            "list steps in time order",
            id="steps-out-of-order",
        ),
        pytest.param(
            "timeline:\n  - {at: 1s, endpoint: {failureRat: 0.5}}\n",
            "runs/bad.yaml:6: timeline[0].endpoint.failureRat: unknown key "
            "(did you mean 'failureRate'?)",
            id="endpoint-step-key-is-the-users-path",
        ),
        pytest.param(
            "timeline:\n  - {at: 1s, endpoint: {status: 101}}\n",
            "runs/bad.yaml:6: timeline[0].endpoint.status: must be between 200 and 599 (got 101)",
            id="endpoint-step-status-1xx",
        ),
        pytest.param(
            "timeline:\n  - {at: 1s, endpoint: nrmal}\n",
            "runs/bad.yaml:6: timeline[0].endpoint: must be 'normal' (got 'nrmal')",
            id="endpoint-step-text",
        ),
        pytest.param(
            "    bursts: [{at: 1s, count: 12}]\n    rate: 1e999\n",
            "runs/bad.yaml:6: subscriptions[0].rate: must be a finite number (got inf)",
            id="rate-overflows",
        ),
    ],
)
def test_a_measured_bad_value_is_refused_at_its_line(tail: str, expected: str) -> None:
    """Each value that issue 9 saw accepted (and sent) is refused, naming line and field."""
    assert refused(BASE + tail) == expected


def test_a_huge_duration_is_refused() -> None:
    """`duration: 99999999999999999999d` ran until killed; durations are at most 366 days."""
    text = BASE.replace("4s", "99999999999999999999d")
    assert refused(text) == (
        "runs/bad.yaml:2: duration: must be at most 366d (got '99999999999999999999d')"
    )


def test_a_number_with_thousands_of_digits_is_refused() -> None:
    """An integer beyond Python's digit limit is a YAML error at its line, not a ValueError."""
    assert refused(BASE + "seed: " + "9" * 5000 + "\n") == (
        "runs/bad.yaml:5: invalid YAML: a number with far too many digits"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("1e3", 1000, id="integer"),
        pytest.param("2.5E2", 250, id="decimal-mantissa"),
        pytest.param("4.0e+2", 400, id="yaml-1.1-form"),
    ],
)
def test_scientific_notation_is_a_number_for_integers_too(value: str, expected: int) -> None:
    """`1e3` is a number, as in JSON and YAML 1.2; a whole one fits an integer field."""
    text = BASE + f"    bursts: [{{at: 1s, count: {value}}}]\n    rate: {value}\n"
    subscription = parse_run(text, file=FILE).subscriptions[0]
    assert (subscription.bursts[0].count, subscription.rate) == (expected, expected)


def test_a_fraction_in_scientific_notation_is_not_an_integer() -> None:
    """`1.5e2` is 150 and fits; `1.55e2` (155.0) does, but `1.555e2` is not a whole number."""
    assert refused(BASE + "    batchSize: 1.555e2\n") == (
        "runs/bad.yaml:5: subscriptions[0].batchSize: must be an integer (got 155.5)"
    )


def test_deep_nesting_is_refused_before_it_is_composed() -> None:
    """Nesting beyond NESTING_MAX levels (RecursionError in issue 9) is refused at its line."""
    text = "munchkinId: 123-ABC-456\nsubscriptions: " + "[" * 5000 + "]" * 5000 + "\n"
    assert refused(text) == (
        f"runs/bad.yaml:2: invalid YAML: nested more than {NESTING_MAX} levels deep"
    )


def test_a_raw_control_character_is_refused_at_its_line() -> None:
    """A control character (a yaml ReaderError and exit 1 in issue 9) names its line."""
    assert refused(BASE + "    rate: 5\x01\n") == (
        "runs/bad.yaml:5: invalid YAML: a control character (U+0001) is not allowed: remove it"
    )


def test_a_file_over_the_size_cap_is_refused_unread(tmp_path: Path) -> None:
    """A 52 MB file gave no answer in 90 s; anything over 1 MiB is refused at once."""
    big = tmp_path / "big.yaml"
    big.write_bytes(BASE.encode() + b"# " + b"x" * FILE_BYTES_MAX + b"\n")
    with pytest.raises(ScenarioError) as caught:
        load_run(big)
    assert str(caught.value) == f"{big}: is larger than 1024 KiB: a run file is a few KiB"


def test_the_check_command_exits_2_with_the_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`marketo-sim check` prints `file:line: field: message` to stderr and exits 2."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE + "    delivery: {retries: 1e40}\n", encoding="utf-8")
    assert main(["check", str(bad)]) == 2
    assert capsys.readouterr().err == (
        f"marketo-sim: error: {bad}:5: subscriptions[0].delivery.retries: "
        "must be between 0 and 100 (got 1e+40)\n"
    )


@pytest.mark.parametrize(
    ("path", "bounds"),
    [
        pytest.param(("seed",), (0, 9223372036854775807), id="seed"),
        pytest.param(("SubscriptionSpec", "rate"), (0, 100000), id="rate"),
        pytest.param(("SubscriptionSpec", "batchSize"), (100, 500), id="batch-size"),
        pytest.param(("BurstSpec", "count"), (1, 10000000), id="burst-count"),
        pytest.param(("DeliverySpec", "retries"), (0, 100), id="retries"),
        pytest.param(("DeliverySpec", "maxResponseBytes"), (1, 16777216), id="response-bytes"),
        pytest.param(("IoSpec", "maxBytes"), (1024, 16777216), id="io-bytes"),
    ],
)
def test_the_schema_publishes_the_bounds(path: tuple[str, ...], bounds: tuple[int, int]) -> None:
    """The JSON Schema (scenarios/schema.json) carries each bound as minimum and maximum."""
    schema = run_json_schema()
    node = schema["properties"] if len(path) == 1 else schema["$defs"][path[0]]["properties"]
    prop = node[path[-1]]
    assert (prop["minimum"], prop["maximum"]) == bounds


def test_the_schema_bounds_durations_and_refuses_credentials_in_urls() -> None:
    """Durations are at most 366 days; an endpoint pattern has no room for user:password@."""
    schema = run_json_schema()
    duration = schema["properties"]["duration"]["anyOf"][0]
    assert duration["anyOf"][0]["maximum"] == 366 * 86400
    endpoint = schema["$defs"]["SubscriptionSpec"]["properties"]["endpoint"]
    assert "@" in endpoint["pattern"]
    assert "user:password@" in endpoint["description"]


def test_a_valid_file_still_loads() -> None:
    """The bounds leave the ordinary file alone."""
    assert isinstance(parse_run(BASE, file=FILE), RunSpec)


# -- flags ----------------------------------------------------------------------------------------

RUN = "scenarios/quickstart.yaml"
SCENARIO = "scenarios/retry-then-recover.yaml"
CONTRACT = ["contract", "--endpoint"]
CONTRACT_AT = [*CONTRACT, "http://127.0.0.1:9/"]
SEND = ["send", "http://127.0.0.1:9/"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(
            ["run", RUN, "--speed", "nan"],
            "marketo-sim run: error: argument --speed: 'nan' is not a finite number",
            id="speed-nan",
        ),
        pytest.param(
            ["run", RUN, "--speed", "inf"],
            "marketo-sim run: error: argument --speed: 'inf' is not a finite number",
            id="speed-inf",
        ),
        pytest.param(
            ["run", RUN, "--speed", "1e-300"],
            "marketo-sim run: error: argument --speed: must be between 0.001 and 1e+06 "
            "(got 1e-300)",
            id="speed-tiny",
        ),
        pytest.param(
            ["run", RUN, "--log", "/nonexistent-folder/x.log"],
            "marketo-sim run: error: argument --log: /nonexistent-folder/x.log: "
            "folder /nonexistent-folder does not exist",
            id="log-into-missing-folder",
        ),
        pytest.param(
            ["run", RUN, "--log", "scenarios"],
            "marketo-sim run: error: argument --log: scenarios is a folder: name a file in it",
            id="log-onto-a-folder",
        ),
        pytest.param(
            ["receive", "--port", "99999"],
            "marketo-sim receive: error: argument --port: must be between 0 and 65535 (got 99999)",
            id="port-99999",
        ),
        pytest.param(
            ["receive", "--port", "-1"],
            "marketo-sim receive: error: argument --port: must be between 0 and 65535 (got -1)",
            id="port-negative",
        ),
        pytest.param(
            ["receive", "--bodies", "/nonexistent-folder/b.jsonl"],
            "marketo-sim receive: error: argument --bodies: /nonexistent-folder/b.jsonl: "
            "folder /nonexistent-folder does not exist",
            id="bodies-into-missing-folder",
        ),
        pytest.param(
            ["receive", "--latency", "1e308"],
            "marketo-sim receive: error: argument --latency: 1e+308 is not between 0 and 3600s",
            id="latency-1e308",
        ),
        pytest.param(
            ["receive", "--status", "150"],
            "marketo-sim receive: error: argument --status: "
            "150 is not a final HTTP status (200-599)",
            id="status-1xx",
        ),
        pytest.param(
            ["run", RUN, "--duration", "0s"],
            "marketo-sim run: error: argument --duration: must be longer than 0s (got 0s)",
            id="duration-0s",
        ),
        pytest.param(
            ["replay", SCENARIO, "--endpoint", "ftp://x/"],
            "marketo-sim replay: error: argument --endpoint: must be an http(s) URL "
            "(got 'ftp://x/')",
            id="endpoint-ftp",
        ),
        pytest.param(
            ["replay", SCENARIO, "--endpoint", "notaurl"],
            "marketo-sim replay: error: argument --endpoint: must be an http(s) URL "
            "(got 'notaurl')",
            id="endpoint-not-a-url",
        ),
        pytest.param(
            ["replay", SCENARIO, "--endpoint", "embedded"],
            "marketo-sim replay: error: argument --endpoint: must be the consumer's http(s) URL "
            "(leave --endpoint out for embedded)",
            id="endpoint-embedded",
        ),
        pytest.param(
            ["replay", SCENARIO, "--endpoint", "https://u:p@example.com/"],
            "marketo-sim replay: error: argument --endpoint: must not carry credentials "
            "(user:password@): export the secret and name the variable with auth.tokenEnv, or "
            "clientIdEnv and clientSecretEnv",
            id="endpoint-credentials",
        ),
        pytest.param(
            ["events", "--count", "-1"],
            "marketo-sim events: error: argument --count: must be between 1 and 10000000 (got -1)",
            id="events-count-negative",
        ),
        pytest.param(
            ["run", RUN, "--seed", "1e100"],
            "marketo-sim run: error: argument --seed: must be between 0 and 9223372036854775807 "
            "(got 1e100)",
            id="seed-1e100",
        ),
        *[
            pytest.param(
                [*argv],
                f"marketo-sim {argv[0]}: error: argument {message}",
                id=f"{argv[0]}-{ident}",
            )
            for ident, argv, message in [
                (
                    "endpoint-ftp",
                    [*CONTRACT, "ftp://x/"],
                    "--endpoint: must be an http(s) URL (got 'ftp://x/')",
                ),
                (
                    "endpoint-embedded",
                    [*CONTRACT, "embedded"],
                    "--endpoint: must be an http(s) URL (got 'embedded')",
                ),
                ("seed-word", [*CONTRACT_AT, "--seed", "x"], "--seed: 'x' is not a number"),
                (
                    "seed-negative",
                    [*CONTRACT_AT, "--seed", "-1"],
                    "--seed: must be between 0 and 9223372036854775807 (got -1)",
                ),
                (
                    "junit-missing-folder",
                    [*CONTRACT_AT, "--junit", "/nonexistent-folder/j.xml"],
                    "--junit: /nonexistent-folder/j.xml: folder /nonexistent-folder does not exist",
                ),
                (
                    "json-onto-a-folder",
                    [*CONTRACT_AT, "--json", "scenarios"],
                    "--json: scenarios is a folder: name a file in it",
                ),
                (
                    "timeout-0s",
                    [*CONTRACT_AT, "--timeout", "0s"],
                    "--timeout: must be longer than 0s (got 0s)",
                ),
                (
                    "timeout-nan",
                    [*CONTRACT_AT, "--timeout", "nan"],
                    "--timeout: 'nan' is not a "
                    "duration: use a number of seconds, or text like 500ms, 2s, 3m, 1h30m, 7d",
                ),
                (
                    "sustain-2h",
                    [*CONTRACT_AT, "--sustain", "2h"],
                    "--sustain: must be at most 3600s (got 2h)",
                ),
                (
                    "key-port-70000",
                    [*CONTRACT_AT, "--key-port", "70000"],
                    "--key-port: must be between 0 and 65535 (got 70000)",
                ),
                (
                    "subscriptions-65",
                    [*CONTRACT_AT, "--subscriptions", "65"],
                    "--subscriptions: must be between 1 and 64 (got 65)",
                ),
                (
                    "processed-url",
                    [*CONTRACT_AT, "--processed-url", "notaurl"],
                    "--processed-url: must be an http(s) URL (got 'notaurl')",
                ),
                ("url-ftp", ["send", "ftp://x/"], "url: must be an http(s) URL (got 'ftp://x/')"),
                (
                    "url-nul",
                    ["send", "http://x/\0"],
                    "url: must not contain control characters (got 'http://x/\\x00')",
                ),
                (
                    "count-0",
                    [*SEND, "--count", "0"],
                    "--count: must be between 1 and 10000000 (got 0)",
                ),
                ("count-word", [*SEND, "--count", "many"], "--count: 'many' is not a number"),
                ("seed-fraction", [*SEND, "--seed", "1.5"], "--seed: '1.5' is not a whole number"),
                (
                    "key-port-negative",
                    [*SEND, "--key-port", "-1"],
                    "--key-port: must be between 0 and 65535 (got -1)",
                ),
                (
                    "seed-negative",
                    ["events", "--seed", "-1"],
                    "--seed: must be between 0 and 9223372036854775807 (got -1)",
                ),
            ]
        ],
    ],
)
def test_a_bad_flag_exits_2_naming_the_flag(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each garbage invocation (issue 9's, and every flag of `contract`, `send` and `events`)
    exits 2 with the flag and its problem, before anything starts; no traceback."""
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == expected


def test_numbers_on_the_command_line_take_scientific_notation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--count 2e0` is 2, as a file's `2e0` is."""
    assert main(["events", "--count", "2e0", "--stream", "lead-activity", "--batch"]) == 0
    assert capsys.readouterr().out.count('"activityTypeId"') == 2


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--rounds", "0"], "argument --rounds: must be between 1 and 1000 (got 0)"),
        (["--batches", "x"], "argument --batches: 'x' is not a number"),
        (["--subscriptions", "1.5"], "argument --subscriptions: '1.5' is not a whole number"),
        (
            ["--rss-limit-mb", "-1"],
            "argument --rss-limit-mb: must be between 1 and 1000000 (got -1)",
        ),
    ],
)
def test_a_bad_bench_flag_exits_2_naming_the_flag(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make bench`'s flags go through the same converters: refused before any child starts."""
    from simulator.bench.main import parse

    with pytest.raises(SystemExit) as caught:
        parse(argv)
    assert caught.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(f"error: {expected}")
