# syntax=docker/dockerfile:1
# The geodns image: the operator (`geodns operator`) and the DNS server (`geodns serve`) in one. Build with
#   docker build -t kube-geodns:dev .
# or for both architectures the release publishes (.github/workflows/release.yaml; docs/release.md):
#   docker buildx build --platform linux/amd64,linux/arm64 -t REGISTRY/kube-geodns:TAG --push .
# What /app holds is assembled by scripts/image-tree.ts, which test/integration/image/tree.test.ts runs too, and
# then runs the CLI from, without Docker.

# The base, pinned to an exact Node release (bump: docs/release.md, "The base image").
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

# The batched UDP addon (dnsserver/transport/native/, `--udp-io`) for the target architecture, against the headers
# this Node image ships in /usr/local/include/node. Optional like everywhere: if it does not build, build/ stays
# empty and the server runs the dgram path (auto), saying so once in its log.
FROM ${NODE_IMAGE} AS native
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
COPY scripts/build-native.ts ./scripts/build-native.ts
COPY dnsserver/transport/native ./dnsserver/transport/native
RUN mkdir -p build && node scripts/build-native.ts

# Bundle the TypeScript sources into dist/ with esbuild (scripts/bundle.ts) and assemble /app's tree in
# /image-root. Nothing here depends on the target architecture except the addon, so it runs on the builder's own.
FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY scripts/bundle.ts ./scripts/bundle.ts
COPY scripts/image-tree.ts ./scripts/image-tree.ts
COPY api ./api
COPY lib ./lib
COPY operator ./operator
COPY dnsserver ./dnsserver
COPY cli ./cli
RUN npm run build
COPY --from=native /src/build ./build
RUN node scripts/image-tree.ts /image-root

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
# `kubectl exec POD -- geodns route ...` finds the CLI (docs/troubleshooting.md).
ENV PATH=/app/bin:$PATH
WORKDIR /app
COPY --from=build /image-root ./
# The node image's unprivileged user is 1000; the chart runs the pods as 65532, which needs nothing from the
# image: every file here is world-readable and nothing is written.
USER 65532:65532
EXPOSE 5353/udp 5353/tcp 9153/tcp 9154/tcp
ENTRYPOINT ["/app/bin/geodns"]
CMD ["--help"]
