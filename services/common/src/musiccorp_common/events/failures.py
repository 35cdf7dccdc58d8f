"""Which handler failures are transient (wait and retry, never dead-letter) and which are not.

Transient means the world is temporarily unable, not that the message is wrong: the database
or Kafka is unreachable, a statement or lock timeout fired, or PostgreSQL aborted the
transaction to break a serialization conflict or a deadlock. Retrying the same message later
succeeds, so it must never be parked in a DLQ for it. Everything else (an invalid event, an
unknown order, a bug) is permanent: retried ``EVENTS_MAX_ATTEMPTS`` times, then dead-lettered.
See docs/decisions/0006-transient-and-permanent-failures.md.
"""

import django.db
import psycopg
from confluent_kafka import KafkaError, KafkaException

# psycopg.OperationalError is the DB-API's "error of the database's operation, not the
# program": it covers a refused or broken connection, AdminShutdown, QueryCanceled
# (statement_timeout), LockNotAvailable (lock_timeout), and through TransactionRollback the
# SerializationFailure and DeadlockDetected aborts. Django wraps them in its own classes with
# the driver's error as __cause__; InterfaceError is what Django raises for a closed connection.
_TRANSIENT_TYPES = (
    django.db.OperationalError,
    django.db.InterfaceError,
    psycopg.OperationalError,
)

# Kafka errors that say "the cluster is not reachable right now" even when librdkafka does not
# flag them retriable (a handler that talks to Kafka itself, e.g. a flush that timed out).
_KAFKA_UNAVAILABLE = {
    KafkaError._TRANSPORT,
    KafkaError._ALL_BROKERS_DOWN,
    KafkaError._TIMED_OUT,
    KafkaError._MSG_TIMED_OUT,
    KafkaError.NOT_COORDINATOR,
    KafkaError.COORDINATOR_NOT_AVAILABLE,
    KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError.NOT_LEADER_FOR_PARTITION,
    KafkaError.REQUEST_TIMED_OUT,
}


def is_transient(error: BaseException | None) -> bool:
    """True when ``error`` or an error in its ``__cause__`` chain is a transient failure."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, _TRANSIENT_TYPES) or _kafka_unavailable(error):
            return True
        error = error.__cause__
    return False


def _kafka_unavailable(error: BaseException) -> bool:
    if not isinstance(error, KafkaException) or not error.args or not isinstance(error.args[0], KafkaError):
        return False
    kafka_error = error.args[0]
    return not kafka_error.fatal() and (kafka_error.retriable() or kafka_error.code() in _KAFKA_UNAVAILABLE)
