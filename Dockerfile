# One image for both processes: `scylla-pg-cdc source` and `scylla-pg-cdc sink`.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# postinstall (patch-package) applies patches/: kafkajs's read_committed filter fix, cassandra-driver's keyspace replication with Map decoding
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY workers ./workers
COPY schemas ./schemas
COPY scripts ./scripts
COPY test ./test
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/patches ./patches
COPY --from=build /app/schemas ./schemas
COPY bin ./bin
USER node
EXPOSE 9101 9102
# The installed command: node with the flags each command needs from its start (src/cli/node-flags.ts).
ENTRYPOINT ["bin/scylla-pg-cdc"]
CMD ["--help"]
