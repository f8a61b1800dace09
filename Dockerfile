# Agent worker image (`worker` service in docker-compose.yml).
#
# Decision: the image keeps dev dependencies and runs the TypeScript entry point with tsx
# (`npm run worker:examples` = `tsx examples/worker.ts`; your image runs `npm run worker` with
# AGENT_WORKFLOWS_PATH or its own entry), the same command developers run. The Temporal Worker
# bundles workflow code from source at start-up anyway, and one code path in dev and prod is worth
# the extra ~100 MB. `npm run build` still runs so the image build fails on type errors.
FROM node:20-slim

WORKDIR /app

# Dependencies first, so source edits reuse this layer. Native modules (@temporalio/core-bridge,
# @swc/core) ship prebuilt glibc binaries, so no compiler toolchain is needed.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && npm cache clean --force

COPY . .
RUN npm run build

# Set after `npm ci`, which would otherwise skip the dev dependencies tsx comes from.
ENV NODE_ENV=production
USER node

# Configuration comes from the environment at run time (TEMPORAL_ADDRESS, DATABASE_URL,
# OPENAI_API_KEY, ...); no secret is baked into the image. Run with an init process
# (`init: true` in compose) so SIGTERM reaches the worker for a graceful shutdown.
CMD ["npm", "run", "worker:examples"]
