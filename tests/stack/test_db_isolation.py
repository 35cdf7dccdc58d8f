"""Each service's database user reaches its own database and nothing else (contract: "Services").

Runs against the local stack's PostgreSQL (started via ci/stack/postgres when not running), whose
databases and users come from charts/umbrella/files/db/init-service.sql, the file the chart's
bootstrap Job runs too.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg
import pytest
from psycopg import errors
from routes import load_routes

# Second implementations (order-go) use their service's database and user: no database of their own.
SERVICES = [r.service for r in load_routes() if not r.implements]
INIT_SQL = Path(__file__).resolve().parents[2] / "charts" / "umbrella" / "files" / "db" / "init-service.sql"

pytestmark = pytest.mark.stack


@pytest.mark.parametrize("service", SERVICES)
def test_service_user_connects_to_its_own_database(postgres, service):
    with psycopg.connect(postgres.service(service)) as conn:
        user, db = conn.execute("SELECT current_user, current_database()").fetchone()
        conn.execute("CREATE TEMP TABLE probe (id int)")  # it may work in its own database
    assert (user, db) == (f"musiccorp_{service}", f"musiccorp_{service}")


@pytest.mark.parametrize("service", SERVICES)
def test_service_user_owns_its_database_and_public_schema(postgres, service):
    with psycopg.connect(postgres.service(service)) as conn:
        conn.execute("CREATE TABLE isolation_probe (id int)")
        conn.execute("DROP TABLE isolation_probe")
        owner = conn.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()").fetchone()[0]
    assert owner == f"musiccorp_{service}"


@pytest.mark.parametrize(("service", "other"), [(s, o) for s in SERVICES for o in SERVICES if s != o])
def test_service_user_cannot_connect_to_another_services_database(postgres, service, other):
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(postgres.service(service, dbname=f"musiccorp_{other}")).close()


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("statement", ["CREATE DATABASE isolation_probe", "CREATE ROLE isolation_probe"])
def test_service_user_cannot_create_databases_or_roles(postgres, service, statement):
    with psycopg.connect(postgres.service(service), autocommit=True) as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute(statement)


@pytest.mark.parametrize("service", SERVICES)
def test_service_user_is_not_privileged(postgres, service):
    with psycopg.connect(postgres.superuser()) as conn:
        row = conn.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication FROM pg_roles WHERE rolname = %s",
            (f"musiccorp_{service}",),
        ).fetchone()
    assert row == (False, False, False, False)


def test_wrong_password_is_refused(postgres):
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(postgres.conninfo("musiccorp_catalog", "not-the-password", "musiccorp_catalog")).close()


def test_init_sql_is_idempotent_and_rotates_the_password(postgres):
    """The init SQL runs on every start (and in the chart's Job): twice in a row is fine."""
    env = {**os.environ, "PGPASSWORD": postgres.secrets["PG_SUPERUSER_PASSWORD"]}
    psql = [
        "psql",
        "-X",
        "-q",
        "-h",
        postgres.host,
        "-p",
        str(postgres.port),
        "-U",
        postgres.secrets["PG_SUPERUSER"],
        "-d",
        "postgres",
        "-f",
        str(INIT_SQL),
        "-v",
        "service=probe",
        "-v",
        "db_name=musiccorp_isoprobe",
        "-v",
        "db_user=musiccorp_isoprobe",
    ]
    try:
        for password in ("first-pw", "second-pw"):
            subprocess.run([*psql, "-v", f"db_password={password}"], env=env, check=True, capture_output=True, timeout=60)
        with psycopg.connect(postgres.conninfo("musiccorp_isoprobe", "second-pw", "musiccorp_isoprobe")) as conn:
            assert conn.execute("SELECT current_user").fetchone()[0] == "musiccorp_isoprobe"
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            psycopg.connect(postgres.service("catalog", dbname="musiccorp_isoprobe")).close()
    finally:
        with psycopg.connect(postgres.superuser(), autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS musiccorp_isoprobe WITH (FORCE)")
            conn.execute("DROP ROLE IF EXISTS musiccorp_isoprobe")
