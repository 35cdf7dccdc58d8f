"""How `make bench` learns that its orders completed, at a cost to the stack it can measure.

Order says when: the bench reads, through the staff list (the stack's admin, a session), the
orders of its run's email with status COMPLETED and takes each one's `updated_at`, the time order
committed its last change. COMPLETED is final, and the only write after it is recording the
payment id of a late payment.received (orders/services.py), so `updated_at` is the completion
time or, rarely, a little later (never earlier).

So nothing is polled while the orders are placed. Afterwards one small request per poll, the
list's count (page_size=1), says whether all are done; then one pass over the list (100 a page)
collects the times. Today's way, the whole list every 100 ms while placing, cost the stack
requests that grew with the number of completed orders; see docs/benchmark.md.
"""

from __future__ import annotations

import time
from datetime import datetime

import requests
from stack_client import GATEWAY

ORDERS = f"{GATEWAY}/api/orders/orders"


def epoch(timestamp: str) -> float:
    """An API timestamp (ISO 8601, 'Z' or an offset) as seconds since the epoch."""
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


class CompletionObserver:
    """The completed orders of one email, observed through the order service's staff list."""

    def __init__(self, session: requests.Session, email: str, interval: float):
        self.session, self.email, self.interval = session, email, interval
        self.requests = 0  # what the observation asked of the stack

    def _get(self, url: str, params: dict | None) -> dict:
        self.requests += 1
        response = self.session.get(url, params=params, timeout=30)
        response.raise_for_status()
        return response.json()

    def completed_count(self) -> int:
        return self._get(ORDERS, {"customer_email": self.email, "status": "COMPLETED", "page_size": 1})["count"]

    def wait(self, expected: int, timeout: float) -> int:
        """Poll the count until ``expected`` orders are COMPLETED or ``timeout`` passed; the last count."""
        deadline = time.monotonic() + timeout
        while True:
            count = self.completed_count()
            if count >= expected or time.monotonic() > deadline:
                return count
            time.sleep(self.interval)

    def completion_times(self) -> dict[str, float]:
        """Order id -> when order committed it COMPLETED (epoch seconds), for every completed order."""
        times: dict[str, float] = {}
        url, params = ORDERS, {"customer_email": self.email, "status": "COMPLETED", "page_size": 100}
        while url:
            page = self._get(url, params)
            for order in page["results"]:
                if order["status"] == "COMPLETED":
                    times[order["id"]] = epoch(order["updated_at"])
            url, params = page["next"], None
        return times
