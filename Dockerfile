# One image for every Zenthos service: `docker run zenthos:local run <service>`.
FROM node:24-bookworm-slim AS build
# node-rdkafka builds librdkafka from source.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
USER node
ENTRYPOINT ["node", "cli/bin/zenthos.js"]
CMD ["--help"]
