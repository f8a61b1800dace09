#!/bin/sh
# One-shot job (temporalio/admin-tools): creates Temporal's two Postgres databases and migrates
# them to the schema of this admin-tools version. Safe to re-run on every `docker compose up`:
# - a database that exists is left alone (checked in pg_database when psql is present, else
#   temporal-sql-tool's "already exists" error is tolerated);
# - `setup-schema -v 0.0` only writes the initial version when the recorded one is not newer;
# - `update-schema` applies just the missing versioned migrations (this is also the upgrade step:
#   bump server and admin-tools together, one minor version at a time).
set -eu

: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
DB_PORT=${DB_PORT:-5432}
DBNAME=${DBNAME:-temporal}
VISIBILITY_DBNAME=${VISIBILITY_DBNAME:-temporal_visibility}
SCHEMA_ROOT=${SCHEMA_ROOT:-/etc/temporal/schema/postgresql/v12}

# SQL_PASSWORD is read by temporal-sql-tool from the environment (kept out of the process list).
sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

database_exists() {
  command -v psql >/dev/null 2>&1 || return 1
  found=$(PGPASSWORD="$SQL_PASSWORD" psql -h "$POSTGRES_SEEDS" -p "$DB_PORT" -U "$POSTGRES_USER" \
    -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'")
  [ "$found" = "1" ]
}

create_database() {
  if database_exists "$1"; then
    echo "database $1 exists"
    return 0
  fi
  if output=$(sql_tool --db "$1" create 2>&1); then
    echo "database $1 created"
    return 0
  fi
  case "$output" in
    *"already exists"* | *duplicate_database* | *42P04*)
      echo "database $1 exists"
      return 0
      ;;
  esac
  echo "$output" >&2
  echo "could not create database $1" >&2
  return 1
}

migrate() {
  db=$1
  schema_dir=$2
  create_database "$db"
  sql_tool --db "$db" setup-schema -v 0.0
  sql_tool --db "$db" update-schema -d "$schema_dir"
  echo "database $db is at the schema of $schema_dir"
}

migrate "$DBNAME" "$SCHEMA_ROOT/temporal/versioned"
migrate "$VISIBILITY_DBNAME" "$SCHEMA_ROOT/visibility/versioned"
echo "Temporal schema setup complete"
