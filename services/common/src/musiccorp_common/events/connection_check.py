"""Replace a broken or too old database connection without a round trip before every unit of work.

Django's close_old_connections() drops a connection the server closed or one older than
CONN_MAX_AGE, and its health check (CONN_HEALTH_CHECKS) is a ``SELECT 1``. The long-running loops
(the consumer, the outbox relay) call it at most once a second while busy, and at once after a
failure: a connection that broke in between fails the work, whose retry then gets a new one.
"""

import time

from django.db import close_old_connections


class ConnectionCheck:
    def __init__(self, interval_seconds: float = 1.0):
        self.interval_seconds = interval_seconds
        self._checked = float("-inf")  # monotonic time of the last close_old_connections()

    def when_due(self, *, now: bool = False) -> None:
        """close_old_connections() if ``now``, after ``failed()``, or when the interval has passed."""
        checked_at = time.monotonic()
        if now or checked_at - self._checked >= self.interval_seconds:
            close_old_connections()
            self._checked = checked_at

    def failed(self) -> None:
        """The work failed: the next ``when_due()`` checks, whenever the last check was."""
        self._checked = float("-inf")
