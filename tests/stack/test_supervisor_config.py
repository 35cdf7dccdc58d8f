"""The supervisord config ci/stack/services writes: one program per process of a service, chosen by
the commands the service has (`manage.py help --commands`, as recorded by the preparation).

Renders the config (`ci/stack/services config`) from command lists written here, parses it with
supervisord's own option parser; nothing is started.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from supervisor.datatypes import RestartUnconditionally
from supervisor.options import ServerOptions

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parents[2]
BASE_COMMANDS = ["migrate", "collectstatic", "ensure_superuser", "prune_events"]


OBSERVABILITY_PROGRAMS = {"prometheus", "zipkin", "otlp-zipkin"}


def render(tmp_path: Path, extra: dict[str, list[str]], **environ: str) -> dict[str, object]:
    """Programs of the config rendered when each service lists BASE_COMMANDS plus extra[service]."""
    for service in ("catalog", "inventory", "order", "payment", "shipping"):
        (tmp_path / f"{service}.commands").write_text("\n".join(BASE_COMMANDS + extra.get(service, [])) + "\n")
    env = {**os.environ, "MUSICCORP_STACK_STATE_DIR": str(tmp_path), **environ}
    proc = subprocess.run(
        [str(ROOT / "ci" / "stack" / "services"), "config"], capture_output=True, text=True, env=env, check=True
    )
    # supervisord's parser insists that the pidfile's directory exists; `make up` creates it.
    (Path(env.get("MUSICCORP_RUN_DIR", ROOT / ".run")) / "supervisor").mkdir(parents=True, exist_ok=True)
    conf = tmp_path / "supervisord.conf"
    conf.write_text(proc.stdout)
    options = ServerOptions()
    options.configfile = str(conf)
    options.process_config(do_usage=False)
    return {p.name: p for group in options.process_group_configs for p in group.process_configs}


def test_programs_until_the_services_have_a_relay_command(stack_secrets, tmp_path):
    programs = render(tmp_path, {})
    assert set(programs) == {
        "watchdog",
        *("catalog", "inventory", "order", "payment", "shipping"),
        *(f"{s}-consumer" for s in ("inventory", "order", "payment", "shipping")),
        *(f"{s}-pruner" for s in ("catalog", "inventory", "order", "payment", "shipping")),
        *OBSERVABILITY_PROGRAMS,
    }
    assert programs["order-consumer"].command.endswith("manage.py consume")  # the relay runs inside
    assert programs["order"].command.endswith("--bind 127.0.0.1:5003 config.wsgi")
    assert programs["payment-consumer"].environment["EVENTS_CONSUMER_HEALTH_PORT"] == "6004"
    assert programs["payment-consumer"].environment["KAFKA_SASL_USERNAME"] == "payment"
    assert programs["catalog"].environment["DJANGO_ALLOWED_HOSTS"] == "localhost,127.0.0.1"
    for program in programs.values():
        if program.name != "watchdog":
            assert program.autorestart is RestartUnconditionally  # autorestart=true: whatever the exit code
            assert (program.stopasgroup, program.killasgroup) == (True, True)
            assert program.stdout_logfile.endswith(f"/logs/{program.name}.log")


def test_relay_and_sweepers_once_the_services_have_the_commands(stack_secrets, tmp_path):
    relay = ["relay_outbox"]
    programs = render(
        tmp_path,
        {
            "catalog": relay,
            "inventory": [*relay, "release_expired_reservations"],
            "order": [*relay, "expire_orders"],
            "payment": relay,
            "shipping": relay,
        },
    )
    for service in ("inventory", "order", "payment", "shipping"):
        assert programs[f"{service}-consumer"].command.endswith("manage.py consume --no-relay")
        assert programs[f"{service}-relay"].command.endswith("manage.py relay_outbox")
    assert "catalog-relay" not in programs  # no consumer, no outbox to relay
    assert programs["inventory-reservation-sweeper"].command.endswith("release_expired_reservations --every 30")
    assert programs["order-expiry"].command.endswith("expire_orders --every 30")


def test_no_observability_programs_with_observability_off(stack_secrets, tmp_path):
    programs = render(tmp_path, {}, MUSICCORP_OBSERVABILITY="0")
    assert not OBSERVABILITY_PROGRAMS & set(programs)
    assert {"order", "order-consumer", "watchdog"} <= set(programs)
    assert programs["order"].environment.get("OTEL_TRACES_EXPORTER") == "none"


def test_gunicorn_threads_per_service_win_over_the_stack_wide_setting(stack_secrets, tmp_path):
    programs = render(tmp_path, {}, GUNICORN_THREADS="3", GUNICORN_THREADS_INVENTORY="2")
    assert programs["inventory"].environment["GUNICORN_THREADS"] == "2"
    assert programs["order"].environment["GUNICORN_THREADS"] == "3"
    programs = render(tmp_path, {}, GUNICORN_THREADS="", GUNICORN_THREADS_CATALOG="4")
    assert programs["catalog"].environment["GUNICORN_THREADS"] == "4"
    assert "GUNICORN_THREADS" not in programs["order"].environment
