"""The base of a periodic management command: one run (a Kubernetes CronJob), or a loop with ``--every``.

The chart runs such a command from a CronJob; the local stack runs it as a long-lived process
with ``--every SECONDS`` under its supervisor. A loop survives a database outage: a run that
fails on the database is logged and tried again at the next tick (a CronJob's failed run is
simply retried by its next schedule). SIGTERM and SIGINT end the loop between runs.

    class Command(PeriodicCommand):
        help = "..."

        def run_once(self, **options) -> str:
            return "did 3 things"  # written to stdout
"""

import logging
import signal
import threading

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

logger = logging.getLogger("musiccorp.periodic")


class PeriodicCommand(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=float, default=0, help="Run again every this many seconds until stopped (the local stack)."
        )

    def run_once(self, **options) -> str:
        """Do the work once; returns a line for stdout."""
        raise NotImplementedError

    def handle(self, *args, **options):
        every = options["every"]
        if not every:
            self.stdout.write(self.run_once(**options))
            return
        stop = stop_on_signal()
        while not stop.is_set():
            # A long-running command must not reuse a connection the server has closed.
            close_old_connections()
            try:
                self.stdout.write(self.run_once(**options))
            except DatabaseError:
                logger.warning("%s: run failed on the database; next try in %ss", self.__module__, every, exc_info=True)
            stop.wait(every)


def stop_on_signal() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop
