# souk search server. Build: docker build -t souk .
# Run:   docker run -p 7700:7700 -v souk-data:/data -e SOUK_ADMIN_KEY=change-me souk
# Load a catalogue into the volume first (or through POST /products):
#        docker run --rm -v souk-data:/data -v "$PWD":/in souk ingest /in/products.jsonl --data /data
FROM node:20-bookworm-slim AS build
# better-sqlite3 and usearch compile native code when no prebuilt binary fits.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# onnxruntime-node would download its GPU/CPU binaries at install; the offline default model does not need it.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
COPY web ./web
COPY examples ./examples
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# CJK fonts (for sharp/librsvg when images carry Chinese text); tini forwards SIGTERM for a clean drain.
RUN apt-get update \
  && apt-get install -y --no-install-recommends fonts-noto-cjk tini ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    ONNXRUNTIME_NODE_INSTALL=skip \
    SOUK_DATA=/data \
    SOUK_PORT=7700 \
    SOUK_LOG_LEVEL=info
COPY --from=build /app /app
RUN mkdir -p /data && chown node:node /data && ln -s /app/bin/souk.js /usr/local/bin/souk
USER node
VOLUME ["/data"]
EXPOSE 7700
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.SOUK_PORT||7700)+'/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/souk.js"]
CMD ["serve", "--host", "0.0.0.0"]
