# syntax=docker/dockerfile:1
# Baton's image: `docker build -t baton:0.1.0 .` at the repository root.
# Run it with a config mounted where CMD expects it (deploy/kubernetes/ mounts a ConfigMap there):
#   docker run --rm -p 8080:8080 -p 9901:9901 -e BATON_ADMIN_TOKEN=... \
#     -v "$PWD/my.yaml:/etc/baton/baton.yaml:ro" baton:0.1.0
# The listener and admin addresses in that config must be 0.0.0.0 to be reachable from outside the
# container (a non-loopback admin address needs admin.tokens).

ARG NODE_IMAGE=node:20-bookworm-slim

# Build: every dependency, then tsc into dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.dashboard.json ./
COPY src ./src
COPY web ./web
RUN npm run build

# Runtime: production dependencies, the compiled sources, the launcher and the reference configs.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
# bin/baton imports ../dist/src/cli.js, and the CLI reads ../../package.json for --version.
COPY --from=build /app/dist/src ./dist/src
# The dashboard: its compiled modules, and the HTML and CSS the admin server reads from web/.
COPY --from=build /app/dist/browser/web ./dist/browser/web
COPY web/dashboard.html web/dashboard.css ./web/
COPY bin ./bin
COPY config ./config
# Files stay root's and read-only to Baton. Numeric, so Kubernetes' runAsNonRoot can check it; the
# same as runAsUser in deploy/kubernetes/deployment.yaml. Nothing in the image is written at run time
# (readOnlyRootFilesystem): the model's stateDir is a mounted volume.
USER 10001:10001
EXPOSE 8080 9901
# SIGTERM reaches node directly (exec form, no shell): Baton drains and exits 0.
CMD ["node", "bin/baton", "start", "--config", "/etc/baton/baton.yaml"]
