# gatehouse: build with the dev dependencies, run with the production ones only.
#   docker build -t gatehouse .
#   docker run -p 8080:8080 -v $PWD/gateway.config.yaml:/etc/gatehouse/gateway.config.yaml:ro gatehouse
# Node 24, the newest LTS line package.json's engines (>=22) allow.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY http ./http
COPY runtime ./runtime
COPY cli ./cli
COPY scripts ./scripts
COPY examples ./examples
COPY bench ./bench
RUN npm run build

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY schema ./schema
COPY gateway.config.yaml /etc/gatehouse/gateway.config.yaml
USER node
EXPOSE 8080 9090
# The admin listener answers /healthz; the slim image has no curl, node has fetch.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9090/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains for the config's server.drainTimeout (30s by default): give `docker stop` a longer --time.
STOPSIGNAL SIGTERM
# The young generation capped as Node 22 had it: Node 24 lets it reach 128 MiB under a stream of new
# tokens (docs/operations.md, Memory).
ENTRYPOINT ["node", "--max-semi-space-size=16", "dist/bundle/main.js"]
CMD ["start", "-c", "/etc/gatehouse/gateway.config.yaml"]
