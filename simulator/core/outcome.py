"""What one push attempt came to: a value, not an exception, because failure is the normal path
of a retry simulator. Pure, so the delivery machines can classify outcomes without any I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class OutcomeKind(StrEnum):
    SUCCESS = "success"
    HTTP_ERROR = "http_error"
    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"
    AUTH_ERROR = "auth_error"  # no token could be had from the identity provider


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: OutcomeKind
    status: int | None = None
    latency: float = 0.0
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.kind is OutcomeKind.SUCCESS


def classify_status(status: int) -> OutcomeKind:
    """Any 2xx succeeds; everything else, a 3xx included (redirects are not followed), fails."""
    return OutcomeKind.SUCCESS if 200 <= status < 300 else OutcomeKind.HTTP_ERROR
