FROM node:22-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY . .
ENV ELECTRON_SKIP_BINARY_DOWNLOAD=1
RUN npm ci && npm prune --omit=dev

FROM node:22-bookworm-slim
WORKDIR /app
COPY --from=build /app /app
EXPOSE 8443 1883
VOLUME ["/var/lib/factoryops"]
CMD ["node", "bin/factoryops.js", "serve", "--data-dir", "/var/lib/factoryops"]
