# syntax=docker/dockerfile:1
#
# supportbot as a container image: a static binary on scratch, running as a
# non-root user, with the stats database on the /data volume.
#
#   docker build --build-arg VERSION=1.2.3 --build-arg COMMIT=$(git rev-parse HEAD) -t supportbot .
#   docker run -e TELEGRAM_BOT_TOKEN=... -v supportbot-data:/data -p 8080:8080 supportbot
#
# GO_IMAGE is the official Go image of the Go version in go.mod; CI builds with a
# local stand-in of it (see .ci/image-test), since no image registry is reachable
# there.
ARG GO_IMAGE=golang:1.26

FROM ${GO_IMAGE} AS build
WORKDIR /src
# Modules come through GOPROXY (the public proxy unless set); CI points it at a
# file:// proxy made from the host's module cache. go.sum checks them either way.
ARG GOPROXY
ARG GOSUMDB
COPY go.mod go.sum ./
# The cache mounts keep modules and compiled packages between builds on the
# same machine; the image never contains them.
RUN --mount=type=cache,target=/go/pkg/mod go mod download
# .dockerignore lets in only go.mod, go.sum, cmd, bot, knowledge and store.
COPY . .
ARG VERSION=dev
ARG COMMIT=
# CGO_ENABLED=0: modernc.org/sqlite is pure Go, so the binary is static and runs
# on scratch. -s -w drop the symbol tables (smaller image; panics still carry
# file:line). /out/data becomes the /data volume, owned by the non-root user.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath \
        -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
        -o /out/supportbot ./cmd/supportbot \
    && mkdir -p /out/data

FROM scratch
# CA certificates for the platforms' HTTPS APIs.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/supportbot /supportbot
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV SUPPORTBOT_DB=/data/supportbot.db \
    SUPPORTBOT_HTTP=:8080
VOLUME /data
EXPOSE 8080
# `supportbot health` asks /healthz itself: no shell or curl in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD ["/supportbot", "health"]
ENTRYPOINT ["/supportbot"]
CMD ["run"]
