"""The simulator's exceptions, and the exit code each one maps to.

    SimulatorError                 base class; exit_code 1
      ConfigError                  bad input a user can fix; exit_code 2
        ScenarioError              a run/scenario file: names file, line and field
        UnknownActivityType        an activity type name or id not in the catalog
        MissingSecret              an environment variable named in the file is unset
      InvalidTransition            a delivery or registration machine was driven illegally (a bug);
                                   exit_code 70
      AuthError                    the customer's identity provider could not issue a token

Delivery failures (non-2xx, timeouts, resets) are not exceptions: they are `Outcome` values,
because failure is the normal path of a retry simulator.
"""

from __future__ import annotations


class SimulatorError(Exception):
    """Base class of every error the simulator raises on purpose."""

    exit_code: int = 1


class ConfigError(SimulatorError):
    """Input the user can fix: the run stops before anything is sent."""

    exit_code = 2


class ScenarioError(ConfigError):
    """A run or scenario file is malformed; the message names file, line and field."""

    def __init__(
        self, message: str, *, file: str, line: int | None = None, field: str = ""
    ) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.reason = message
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")


class UnknownActivityType(ConfigError):
    """An activity type that the catalog does not know."""


class MissingSecret(ConfigError):
    """An environment variable that should hold a secret is not set."""


class InvalidTransition(SimulatorError):
    """The delivery machine was asked to do something its state does not allow."""

    exit_code = 70


class AuthError(SimulatorError):
    """The identity provider did not issue a token, even after retries."""
