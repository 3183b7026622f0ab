# syntax=docker/dockerfile:1
# The geodns image: the operator (`geodns operator`) and the DNS server (`geodns serve`) in one. Build with
#   docker build -t kube-geodns:dev .
# test/integration/image/tree.test.ts assembles the same file tree without Docker (production dependencies, dist/) and runs
# the CLI from it; keep the two in step.

# Bundle the TypeScript sources into dist/ with esbuild (the only stage with devDependencies; scripts/bundle.ts).
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY scripts/bundle.ts ./scripts/bundle.ts
COPY api ./api
COPY lib ./lib
COPY operator ./operator
COPY dnsserver ./dnsserver
COPY cli ./cli
RUN npm run build
# The batched UDP addon (dnsserver/transport/native/, `--udp-io`), against the headers this Node image ships in
# /usr/local/include/node. Optional like everywhere: if it does not build, build/ stays empty and the server runs
# the dgram path (auto), saying so once in its log.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
COPY scripts/build-native.ts ./scripts/build-native.ts
RUN mkdir -p build && node scripts/build-native.ts

# Production dependencies only; the embedded GeoIP database (@ip-location-db/geo-whois-asn-country-mmdb) is one.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/build ./build
COPY package.json ./
# The node image's unprivileged user is 1000; the chart runs the pods as 65532, which needs nothing from the
# image: every file here is world-readable and nothing is written.
USER 65532:65532
EXPOSE 5353/udp 5353/tcp 9153/tcp 9154/tcp
# A small young generation keeps the resident set low under a steady stream of answers (docs/serve.md, "Memory").
ENTRYPOINT ["node", "--max-semi-space-size=4", "/app/dist/cli/geodns.js"]
CMD ["--help"]
