#!/usr/bin/env bash
# Validates docker-compose.yml without a Docker engine (CI and this repo's machines have none):
#  1. `docker-compose config -q` (Debian's docker-compose 1.29): YAML, interpolation, Compose
#     schema, `depends_on` conditions;
#  2. the shell scripts the stack mounts from deploy/ parse (`sh -n`);
#  3. project rules on the resolved file: pinned images, ports published on 127.0.0.1 only, bind
#     mounts that exist, one-shot jobs gating the server and the workers, a scalable worker.
# Usage: scripts/check-compose.sh [compose-file]   (default: docker-compose.yml)
set -euo pipefail
cd "$(dirname "$0")/.."
file=${1:-docker-compose.yml}

if ! command -v docker-compose >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing docker-compose (Debian package)"
    apt-get update -qq && apt-get install -y -qq docker-compose >/dev/null
  else
    echo "docker-compose not found: run 'apt-get install -y docker-compose' (Debian) first" >&2
    exit 2
  fi
fi

echo "== docker-compose $(docker-compose version --short) config -q ($file)"
# Resolve with the documented defaults, not whatever the caller's shell happens to export.
clean_env=(env -u OPENAI_API_KEY -u ANTHROPIC_API_KEY -u POSTGRES_PASSWORD -u TEMPORAL_DB_PASSWORD -u AGENT_DB_PASSWORD)
"${clean_env[@]}" docker-compose -f "$file" config -q

echo "== sh -n deploy/**/*.sh"
while IFS= read -r script; do
  sh -n "$script"
  echo "ok  $script"
done < <(find deploy -name '*.sh' -type f | sort)

echo "== project rules"
resolved=$(mktemp)
trap 'rm -f "$resolved"' EXIT
"${clean_env[@]}" docker-compose -f "$file" config >"$resolved"
python3 - "$resolved" <<'PY'
import os, sys, yaml

with open(sys.argv[1]) as f:
    config = yaml.safe_load(f)
services = config["services"]
errors = []

def need(cond, message):
    if not cond:
        errors.append(message)

for name in ["postgres", "redis", "temporal-schema", "temporal", "temporal-namespace", "ui", "worker"]:
    need(name in services, f"missing service {name}")

for name, svc in services.items():
    image = svc.get("image", "")
    if "build" not in svc:
        need(":" in image and not image.endswith(":latest"), f"{name}: image {image!r} is not pinned")
    for port in svc.get("ports", []):
        if isinstance(port, str):
            spec = port
        else:
            spec = "{}:{}:{}".format(port.get("host_ip", ""), port.get("published"), port.get("target"))
        need(spec.startswith("127.0.0.1:"), f"{name}: port {spec} is not published on 127.0.0.1 only")
    for volume in svc.get("volumes", []):
        source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
        if source.startswith("/"):
            need(os.path.exists(source), f"{name}: bind mount source {source} does not exist")

def condition(service, dependency):
    return services.get(service, {}).get("depends_on", {}).get(dependency, {}).get("condition")

need(services.get("postgres", {}).get("healthcheck") is not None, "postgres: no healthcheck")
need(condition("temporal-schema", "postgres") == "service_healthy", "temporal-schema must wait for a healthy postgres")
need(condition("temporal", "temporal-schema") == "service_completed_successfully", "temporal must wait for the schema job to succeed")
need(condition("temporal-namespace", "temporal") == "service_healthy", "temporal-namespace must wait for a healthy temporal")
need(condition("worker", "temporal-namespace") == "service_completed_successfully", "worker must wait for the namespace job to succeed")
need(services.get("temporal", {}).get("environment", {}).get("BIND_ON_IP") == "0.0.0.0", "temporal: BIND_ON_IP must be 0.0.0.0")
need(services.get("ui", {}).get("environment", {}).get("TEMPORAL_ADDRESS") == "temporal:7233", "ui: TEMPORAL_ADDRESS must be temporal:7233")

worker = services.get("worker", {})
need("container_name" not in worker and not worker.get("ports"), "worker: container_name or published ports prevent scaling")
need(worker.get("deploy", {}).get("replicas", 0) >= 1, "worker: set deploy.replicas")
env = worker.get("environment", {})
for key in ["TEMPORAL_ADDRESS", "DATABASE_URL", "OPENAI_API_KEY"]:
    need(key in env, f"worker: environment lacks {key}")
need(env.get("OPENAI_API_KEY") == "", "worker: OPENAI_API_KEY must come from the host environment, not the file")
# Clients outside the containers share the workers' event bus and state store only if both are
# shared backends (memory is one process's) reachable from the host.
bus = env.get("AGENT_RUNTIME_EVENT_BUS_BACKEND", "memory")
state = env.get("AGENT_RUNTIME_STATE_STORE_BACKEND", "memory")
need(bus in ("redis", "postgres"), f"worker: AGENT_RUNTIME_EVENT_BUS_BACKEND is {bus!r}: clients get no events or token deltas")
need(state in ("redis", "postgres"), f"worker: AGENT_RUNTIME_STATE_STORE_BACKEND is {state!r}: checkpoints stay in one process")
if "redis" in (bus, state):
    need(str(env.get("REDIS_URL", "")).startswith("redis://redis:"), "worker: REDIS_URL must point at the redis service")
    need(condition("worker", "redis") == "service_healthy", "worker must wait for a healthy redis")
    need(services.get("redis", {}).get("healthcheck") is not None, "redis: no healthcheck")
    need(any((str(p).split("/")[0].endswith(":6379") if isinstance(p, str) else str(p.get("target")) == "6379") for p in services.get("redis", {}).get("ports", [])), "redis: not published for clients on the host")

schema_cmd = " ".join(services.get("temporal-schema", {}).get("command", []))
namespace_env = services.get("temporal-namespace", {}).get("environment", {})
need("setup-schema.sh" in schema_cmd, "temporal-schema: does not run deploy/temporal/setup-schema.sh")
for attribute in ["AgentKey:Keyword", "AgentStatus:Keyword"]:
    need(attribute in namespace_env.get("SEARCH_ATTRIBUTES", ""), f"temporal-namespace: {attribute} not registered")

for error in errors:
    print(f"FAIL {error}", file=sys.stderr)
if errors:
    sys.exit(1)
print(f"ok  {len(services)} services: " + ", ".join(sorted(services)))
PY
test -f Dockerfile || { echo "FAIL Dockerfile missing (worker build)" >&2; exit 1; }
echo "docker-compose.yml is valid"
