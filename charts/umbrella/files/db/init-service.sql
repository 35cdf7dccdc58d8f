-- One service's database and user: create or bring up to date. Idempotent; safe to run on every
-- start. Run as a superuser with psql (it uses \gexec and psql variables), e.g.
--   psql -v service=catalog -v db_name=musiccorp_catalog -v db_user=musiccorp_catalog \
--        -v db_password=... -f init-service.sql
-- Used by the local stack (ci/stack/postgres) and by the chart's database bootstrap Job alike,
-- so it assumes nothing about where it runs.
\set ON_ERROR_STOP on
\set QUIET on

-- The service's login role: no superuser, cannot create databases or roles.
SELECT format('CREATE ROLE %I LOGIN', :'db_user')
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'db_user')
\gexec
ALTER ROLE :"db_user" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
  PASSWORD :'db_password';

-- Its database, owned by it. CREATE DATABASE cannot run inside a DO block or function, hence \gexec.
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0',
              :'db_name', :'db_user', 'UTF8')
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = :'db_name')
\gexec
ALTER DATABASE :"db_name" OWNER TO :"db_user";
SELECT format('COMMENT ON DATABASE %I IS %L', :'db_name', 'MusicCorp ' || :'service' || ' service')
\gexec

-- Only its own user may connect: PUBLIC gets CONNECT (and TEMP) on every new database by default.
REVOKE ALL ON DATABASE :"db_name" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db_name" TO :"db_user";

-- Since PostgreSQL 15 the public schema belongs to pg_database_owner (whoever owns the database)
-- and PUBLIC may not create in it, so the owner can migrate and nobody else can: nothing to do.
