# The switchyard image: one image for every role (namerd, router, registry, peer, traffic, the
# walkthrough's example apps) and namectl, as k8s/ runs it. Build: docker build -t switchyard:0.1.0 .

# Build stage: the full toolchain (TypeScript, nearley's grammar compiler) compiles src/ to dist/.
# Node 24, the current LTS line.
FROM node:24-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the root package's `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY grammar ./grammar
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies, the compiled code and the entry points, nothing else.
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY dtabs ./dtabs
COPY proto ./proto
COPY scripts/docker-healthcheck.mjs ./scripts/
# namectl, namerctl and switchyard on PATH, for `kubectl exec` and the dtab-seeding Job's shell script.
# /data is where state lives: the processes run there, so namerd's default file store
# (./.switchyard/dtabs) and the quickstart's state land in it, writable by the image's user.
RUN ln -s /app/bin/switchyard.js /usr/local/bin/switchyard \
 && ln -s /app/bin/namectl.js /usr/local/bin/namectl \
 && ln -s /app/bin/namerctl.js /usr/local/bin/namerctl \
 && mkdir -p /data/.switchyard \
 && chown -R 1000:1000 /data
# Declared after the chown: a new volume starts as a copy of /data, ownership included.
VOLUME ["/data"]
WORKDIR /data
# The node image's unprivileged user, by number: Kubernetes' runAsNonRoot can only check a
# numeric UID, and a name would make the kubelet refuse to start the container.
USER 1000:1000
EXPOSE 4140 9990 4180 4190 8080
# Asks the running role on its own port (scripts/docker-healthcheck.mjs); no curl in a slim image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "/app/scripts/docker-healthcheck.mjs"]
ENTRYPOINT ["node", "/app/bin/switchyard.js"]
CMD ["--help"]
