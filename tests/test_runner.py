"""One contract run: which checks run, how a result is told, and the exit code a run comes to.
Running checks against consumers is `test_contract`'s subject."""

from __future__ import annotations

import pytest

from simulator.contract.checks import CHECK_NAMES
from simulator.contract.findings import CheckStatus
from simulator.contract.probe import ADOBE_IO, LEGACY, Target
from simulator.contract.runner import (
    EXIT_FAILED,
    EXIT_PASSED,
    EXIT_UNREACHABLE,
    CheckResult,
    ContractRun,
    select_checks,
    summary_line,
)
from simulator.errors import ConfigError

TARGET = Target(endpoint="http://127.0.0.1:9/hook")


@pytest.mark.parametrize(
    ("profile", "names"),
    [
        pytest.param(
            LEGACY,
            "full-batch every-type unknown-types auth token-change idempotent out-of-order "
            "sustained-rate",
            id="legacy",
        ),
        pytest.param(
            ADOBE_IO,
            "challenge full-batch every-type unknown-types signatures idempotent out-of-order "
            "sustained-rate",
            id="adobe-io",
        ),
    ],
)
def test_by_default_every_check_of_the_profile_runs(profile: str, names: str) -> None:
    """The default selection is every check that applies to the profile, in battery order."""
    assert [c.name for c in select_checks(profile)] == names.split()


def test_checks_are_selected_and_skipped_by_name() -> None:
    """--check picks, --skip removes; battery order is kept."""
    chosen = select_checks(LEGACY, ["idempotent", "auth", "every-type"], ["idempotent"])
    assert [c.name for c in chosen] == ["every-type", "auth"]


def test_an_unknown_check_name_lists_the_checks() -> None:
    """A typo names itself and every check there is."""
    with pytest.raises(ConfigError) as caught:
        select_checks(LEGACY, ["auht"])
    assert str(caught.value) == f"unknown check 'auht'; the checks: {', '.join(CHECK_NAMES)}"


def test_skipping_every_selected_check_is_refused() -> None:
    """A run with nothing left to run is a usage error, not a pass."""
    with pytest.raises(ConfigError, match="no check is left to run"):
        select_checks(LEGACY, ["auth"], ["auth"])


def test_a_check_named_outside_its_profile_is_still_selected() -> None:
    """--check challenge on the legacy profile runs it, to be reported as skipped."""
    assert [c.name for c in select_checks(LEGACY, ["challenge"])] == ["challenge"]


def result(status: CheckStatus, name: str = "auth") -> CheckResult:
    return CheckResult(name, status, "evidence", 0.5)


@pytest.mark.parametrize(
    ("statuses", "code"),
    [
        pytest.param([CheckStatus.PASSED, CheckStatus.PASSED], EXIT_PASSED, id="all-passed"),
        pytest.param([CheckStatus.PASSED, CheckStatus.FAILED], EXIT_FAILED, id="one-failed"),
        pytest.param([CheckStatus.PASSED, CheckStatus.SKIPPED], EXIT_FAILED, id="one-skipped"),
        pytest.param([], EXIT_FAILED, id="none-ran"),
    ],
)
def test_only_a_run_where_every_check_passed_exits_0(
    statuses: list[CheckStatus], code: int
) -> None:
    """A skipped check is no pass, and neither is a run of no check."""
    run = ContractRun(TARGET, tuple(result(status) for status in statuses))
    assert run.exit_code == code


def test_an_unreachable_consumer_exits_3_whatever_the_results() -> None:
    """No HTTP answer at all is its own exit code."""
    run = ContractRun(TARGET, (result(CheckStatus.SKIPPED),), unreachable="connection refused")
    assert run.exit_code == EXIT_UNREACHABLE == 3


@pytest.mark.parametrize(
    ("status", "mark"),
    [
        pytest.param(CheckStatus.PASSED, "PASS", id="passed"),
        pytest.param(CheckStatus.FAILED, "FAIL", id="failed"),
        pytest.param(CheckStatus.SKIPPED, "SKIP", id="skipped"),
    ],
)
def test_a_result_is_told_as_mark_name_and_evidence(status: CheckStatus, mark: str) -> None:
    """One line per check as soon as it ends."""
    assert summary_line(result(status)) == f"{mark} auth — evidence"
