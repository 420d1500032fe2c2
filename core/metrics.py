"""What RootMail counts and measures, as a port: core reports, an edge (obs.telemetry) exports. No-op by default."""
from __future__ import annotations

from typing import Callable, Protocol

# Counter names (unit: mails) and the histogram of one post's latency (seconds).
RECEIVED, FORWARDED, QUARANTINED, UNMAPPED, FAILED = ("mails_received", "mails_forwarded", "mails_quarantined",
                                                      "mails_unmapped", "mails_failed")
CONSUMED = "mails_consumed"
POSTS, DIGESTS, REPEATS = "posts", "digests", "posts_in_doubt"
SEND_SECONDS = "send_seconds"


class Metrics(Protocol):
    def count(self, name: str, amount: int = 1, **labels: str) -> None: ...

    def observe(self, name: str, value: float, **labels: str) -> None: ...

    def gauge(self, name: str, read: Callable[[], float], description: str) -> None:
        """Report `read()` whenever metrics are collected."""


class NoMetrics:
    def count(self, name: str, amount: int = 1, **labels: str) -> None:
        pass

    def observe(self, name: str, value: float, **labels: str) -> None:
        pass

    def gauge(self, name: str, read: Callable[[], float], description: str) -> None:
        pass
