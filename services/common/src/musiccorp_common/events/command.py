"""The base of every service's ``manage.py consume``: the consumer loop plus the outbox relay.

A service's command only names its consumer group and its handlers:

    class Command(ConsumeCommand):
        group_id = "inventory"
        handlers = {"payment.failed": release_for_failed_payment, ...}
        collectors = []  # optional: Prometheus collectors its /metrics adds, computed at scrape time

SIGTERM and SIGINT ask the loop to stop: the message in hand is finished and committed, the
consumer leaves its group, the relay finishes its batch, and the process exits 0.
"""

import logging
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from musiccorp_common.events.consumer import ConsumerFailed, EventConsumer
from musiccorp_common.events.health_server import serve_health
from musiccorp_common.events.outbox import OutboxRelay
from musiccorp_common.health import _database_ok
from musiccorp_common.management.periodic import stop_on_signal
from musiccorp_common.telemetry import configure_tracing

logger = logging.getLogger("musiccorp.events.command")


class ConsumeCommand(BaseCommand):
    group_id: str = ""
    handlers: dict = {}
    collectors: list = []

    help = "Consume this service's events and relay its outbox until SIGTERM. Example: python manage.py consume"

    def add_arguments(self, parser):
        parser.add_argument("--no-relay", action="store_true", help="Do not run the outbox relay in this process.")

    def handle(self, *args, **options):
        configure_tracing(settings.SERVICE_NAME, settings.OTEL_TRACES_EXPORTER, settings.OTEL_EXPORTER_OTLP_ENDPOINT)
        stop = stop_on_signal()
        consumer = EventConsumer(group_id=self.group_id, handlers=self.handlers, stop=stop)
        relay = None if options["no_relay"] else threading.Thread(target=OutboxRelay().run, args=(stop,), name="outbox-relay")
        server = None
        if settings.EVENTS_CONSUMER_HEALTH_PORT:
            server = serve_health(
                settings.EVENTS_CONSUMER_HEALTH_HOST,
                settings.EVENTS_CONSUMER_HEALTH_PORT,
                lambda: consumer.heartbeat,
                _database_ok,
                settings.PROMETHEUS_MULTIPROC_DIR,
                consumer_ready=lambda: consumer.ready,
                collectors=self.collectors,
            )
        if relay:
            relay.start()
        try:
            consumer.run()
        except ConsumerFailed as exc:
            raise CommandError(str(exc)) from exc
        finally:
            stop.set()
            if relay:
                relay.join(timeout=30)
            if server:
                server.shutdown()
