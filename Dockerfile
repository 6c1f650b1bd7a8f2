# partnergraph: a static binary on a distroless base, run as a non-root
# user. Build: docker build -t partnergraph .
# Settings come from PARTNERGRAPH_* variables, flags or a YAML file
# (--config); see deploy/ for Kubernetes.

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/partnergraph .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/partnergraph /usr/local/bin/partnergraph
# distroless's "nonroot" user; its home is the one writable directory
USER 65532:65532
WORKDIR /home/nonroot
ENV PARTNERGRAPH_MODE=live \
    PARTNERGRAPH_LISTEN=0.0.0.0:8080 \
    PARTNERGRAPH_METRICS_LISTEN=0.0.0.0:9090 \
    PARTNERGRAPH_AUDIT_LOG=/home/nonroot/partnergraph-audit.jsonl
EXPOSE 8080 9090
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["/usr/local/bin/partnergraph", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/partnergraph"]
