# syntax=docker/dockerfile:1
# The reference server (examples/saas) as a static binary on distroless.
#
#   docker build -t omnistack .
#   docker run -p 8000:8000 omnistack            # serve (the default command)
#   docker run omnistack worker                  # job workers only
#   docker run omnistack migrate up              # apply the migrations
#
# See docs/deploy.md.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so a code change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/omnistack ./examples/saas

# distroless static: no shell, no package manager, CA certificates and
# tzdata included; the :nonroot tag runs as uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/omnistack /omnistack
USER nonroot:nonroot
EXPOSE 8000
ENV PORT=8000 HOST=0.0.0.0 STORAGE_LOCAL_DIR=/tmp/uploads
# No shell for curl: the binary checks itself. `omnistack healthcheck`
# GETs http://127.0.0.1:$PORT/api/v1/public/health and exits 0 on 200.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/omnistack", "healthcheck"]
ENTRYPOINT ["/omnistack"]
CMD ["serve"]
