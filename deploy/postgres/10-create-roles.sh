#!/bin/sh
# Runs once, when the postgres container initialises an empty data volume
# (/docker-entrypoint-initdb.d). Gives Temporal and the agent runtime their own roles, so neither
# uses the superuser and the app cannot touch Temporal's databases (and vice versa).
# Temporal's own databases are created later by deploy/temporal/setup-schema.sh (role has CREATEDB).
set -eu

: "${TEMPORAL_DB_USER:?}" "${TEMPORAL_DB_PASSWORD:?}"
: "${AGENT_DB_USER:?}" "${AGENT_DB_PASSWORD:?}" "${AGENT_DB_NAME:?}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v temporal_user="$TEMPORAL_DB_USER" -v temporal_password="$TEMPORAL_DB_PASSWORD" \
  -v agent_user="$AGENT_DB_USER" -v agent_password="$AGENT_DB_PASSWORD" \
  -v agent_db="$AGENT_DB_NAME" <<'SQL'
CREATE ROLE :"temporal_user" LOGIN CREATEDB PASSWORD :'temporal_password';
CREATE ROLE :"agent_user" LOGIN PASSWORD :'agent_password';
CREATE DATABASE :"agent_db" OWNER :"agent_user";
REVOKE ALL ON DATABASE :"agent_db" FROM PUBLIC;
SQL
echo "postgres init: roles $TEMPORAL_DB_USER, $AGENT_DB_USER and database $AGENT_DB_NAME created"
