# wxhub: the central token server (`wxhub serve`) in a container.
#
#   docker build -t wxhub .
#   docker run --rm -p 8080:8080 -v $PWD/wxhub.config.json:/etc/wxhub/wxhub.config.json:ro \
#     -e WX_SECRET=... -v wxhub-data:/data wxhub
#
# The configuration is read from /etc/wxhub/wxhub.config.json (mount it); secrets come from the
# environment through "env:NAME" values. Relative sqlite: paths resolve in /data (a volume).
# Client keys: docker run --rm ... wxhub keys create --config /etc/wxhub/wxhub.config.json \
#   --name shop --appid wx... --scope token   (see docs/operations.md).

FROM node:20-slim AS build
WORKDIR /app
# better-sqlite3 downloads a prebuilt binary; the toolchain is the fallback when none matches.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# No lifecycle scripts (`prepare` would build before the sources are here); then the one native
# module's install script.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
RUN mkdir -p /data /etc/wxhub && chown node:node /data
USER node
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
# Liveness; the port is the one CMD passes (change both together).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/wxhub.js"]
CMD ["serve", "--config", "/etc/wxhub/wxhub.config.json", "--host", "0.0.0.0", "--port", "8080"]
