#!/bin/sh
# Run once by the postgres image when its data directory is created (docker-entrypoint-initdb.d).
# POSTGRES_USER (fieldledger) owns the database and runs the migrations; the application connects as
# fieldledger_app, which owns nothing: after each `migrate` the owner runs `manage.py db_grant_app_role`,
# which gives it SELECT/INSERT/UPDATE/DELETE on the tables but only SELECT/INSERT on the audit table and
# no TRUNCATE (docs/deployment.md).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v app_password="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE fieldledger_app LOGIN PASSWORD :'app_password' NOSUPERUSER NOCREATEDB NOCREATEROLE;
GRANT CONNECT ON DATABASE fieldledger TO fieldledger_app;
GRANT USAGE ON SCHEMA public TO fieldledger_app;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
