# syntax=docker/dockerfile:1
# Build: a static binary, no cgo, with the version stamped in.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X github.com/hazardwire/hazardwire/internal/daemon.Version=${VERSION}" \
      -o /out/hazardwire ./cmd/hazardwire
# The store directory, to be owned by the non-root user in the image.
RUN mkdir -p /out/store

# Run: distroless static, non-root; the JetStream store lives in a volume.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/hazardwire /usr/local/bin/hazardwire
COPY configs/hazardwire.yaml /etc/hazardwire/hazardwire.yaml
COPY --from=build --chown=65532:65532 /out/store /var/lib/hazardwire
ENV HAZARDWIRE_STORE_DIR=/var/lib/hazardwire/data \
    HAZARDWIRE_LISTEN=0.0.0.0:9750
USER 65532:65532
WORKDIR /var/lib/hazardwire
VOLUME ["/var/lib/hazardwire"]
# 9750: metrics, health, API. 4222 only if bus.listen is set.
EXPOSE 9750
ENTRYPOINT ["/usr/local/bin/hazardwire"]
CMD ["run", "--config", "/etc/hazardwire/hazardwire.yaml"]
