# soapgate: the gateway with the sandbox configuration (test processor, demo merchants and
# keys) by default. Build and run:
#   docker build -t soapgate .
#   docker run -p 8080:8080 -v soapgate-data:/data soapgate
# For real use, mount your own configuration and keys and point --config at it:
#   docker run -v /etc/soapgate:/config:ro -v soapgate-data:/data soapgate serve --config /config/config.yaml
# docker-compose.yml runs it with the merchant sink. cmd/soapgate/docker_test.go checks this file.

# Build stage: go-sqlite3 and the OpenSSL signer (signer/libcrypto.go) are cgo, so the Go
# image's gcc builds them, against libssl-dev's headers.
FROM golang:1.26-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -buildvcs=false -ldflags="-s -w" -o /out/soapgate ./cmd/soapgate

# Runtime: Debian's slim image has the glibc the cgo binary links against; libssl3 for the
# signer, ca-certificates for notifications to https merchants.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin soapgate \
 && mkdir -p /data \
 && chown soapgate:soapgate /data
COPY --from=build /out/soapgate /usr/local/bin/soapgate
# The sandbox: config.yaml's relative key paths resolve against its folder.
COPY config.yaml /etc/soapgate/config.yaml
COPY fixtures/keys /etc/soapgate/fixtures/keys
COPY deploy/config.compose.yaml /etc/soapgate/config.compose.yaml
ENV SOAPGATE_LISTEN=0.0.0.0:8080 \
    SOAPGATE_DATABASE_PATH=/data/soapgate.db
VOLUME /data
WORKDIR /data
USER soapgate:soapgate
EXPOSE 8080
ENTRYPOINT ["soapgate"]
CMD ["serve", "--config", "/etc/soapgate/config.yaml"]
