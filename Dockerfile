# The Holdfast image: one program (src/bin/holdfast.ts, started by holdfast-start.js) that is the operator, the data
# mover run by Jobs, and the CLI. TypeScript runs directly on Node 24 (type stripping).
#   docker build -t ghcr.io/holdfast-dev/holdfast:0.1.0 .

FROM node:24-slim AS dependencies
WORKDIR /app
# Compilers for the optional native modules: zstd-napi and Holdfast's own addon (native/,
# AES-GCM sealing in place, ADR 0029); if one cannot build, npm skips it and Holdfast uses
# node:zlib's zstd or node:crypto instead (same format).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY native ./native
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-slim
ENV NODE_ENV=production
# As bin/holdfast: two malloc arenas, freed buffers from 2 MiB back to the system, and an
# arena's free top kept up to 32 MiB (ADRs 0026, 0028).
ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=2097152 MALLOC_TRIM_THRESHOLD_=33554432
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=dependencies /app/native ./native
COPY package.json ./
COPY src ./src
# The image's unprivileged user (uid 1000), as the Deployment's securityContext expects.
USER node
# The plain-JS entry turns on Node's compile cache where the home folder is writable; with a
# read-only root filesystem the program runs uncached, as it would from holdfast.ts.
ENTRYPOINT ["node", "--max-semi-space-size=2", "src/bin/holdfast-start.js"]
CMD ["operator"]
