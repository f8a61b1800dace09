#!/bin/sh
# One-shot job (temporalio/admin-tools): waits for the Temporal frontend, creates the namespace if
# it is missing, and registers the search attributes the agent runtime writes (runs are listable
# by agent key and status in the UI). Safe to re-run: existing namespace and attributes are kept.
set -eu

ADDRESS=${TEMPORAL_ADDRESS:-temporal:7233}
NAMESPACE=${TEMPORAL_NAMESPACE:-default}
RETENTION=${NAMESPACE_RETENTION:-72h}
# name:Type pairs; SQL visibility allows 10 Keyword attributes per namespace.
SEARCH_ATTRIBUTES=${SEARCH_ATTRIBUTES:-AgentKey:Keyword AgentStatus:Keyword AgentCostUsd:Double AgentTokens:Int}
MAX_ATTEMPTS=${MAX_ATTEMPTS:-60}
RETRY_SECONDS=${RETRY_SECONDS:-2}

attempt=1
until temporal operator cluster health --address "$ADDRESS" >/dev/null 2>&1; do
  if [ "$attempt" -ge "$MAX_ATTEMPTS" ]; then
    echo "Temporal at $ADDRESS not healthy after $MAX_ATTEMPTS attempts" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep "$RETRY_SECONDS"
done
echo "Temporal at $ADDRESS is healthy"

if temporal operator namespace describe --namespace "$NAMESPACE" --address "$ADDRESS" >/dev/null 2>&1; then
  echo "namespace $NAMESPACE exists"
else
  temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" --address "$ADDRESS"
  echo "namespace $NAMESPACE created (retention $RETENTION)"
fi

# A just-created namespace can take a few seconds to reach every frontend cache, so retry
# anything but "already exists".
for spec in $SEARCH_ATTRIBUTES; do
  name=${spec%%:*}
  type=${spec#*:}
  attempt=1
  while :; do
    if output=$(temporal operator search-attribute create --namespace "$NAMESPACE" \
      --address "$ADDRESS" --name "$name" --type "$type" 2>&1); then
      echo "search attribute $name ($type) registered"
      break
    fi
    case "$output" in
      *"already exists"* | *"already registered"*)
        echo "search attribute $name exists"
        break
        ;;
    esac
    if [ "$attempt" -ge "$MAX_ATTEMPTS" ]; then
      echo "$output" >&2
      echo "could not register search attribute $name" >&2
      exit 1
    fi
    attempt=$((attempt + 1))
    sleep "$RETRY_SECONDS"
  done
done
echo "namespace $NAMESPACE ready"
