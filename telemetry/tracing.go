package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Tracing is the gateway's tracer provider: OpenTelemetry's SDK exporting
// over OTLP/HTTP (protobuf) when the environment asks for it, a no-op
// otherwise (the default: no span is made, nothing is sent).
type Tracing struct {
	Provider trace.TracerProvider
	// Propagator reads the W3C traceparent of client requests.
	Propagator propagation.TextMapPropagator
	// Enabled says spans are exported; Endpoint is where.
	Enabled  bool
	Endpoint string
	shutdown func(context.Context) error
}

// Shutdown flushes the spans not exported yet and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil || t.shutdown == nil {
		return nil
	}
	return t.shutdown(ctx)
}

// NewTracing reads the standard variables through getenv:
//
//   - OTEL_SDK_DISABLED=true, or OTEL_TRACES_EXPORTER=none: off;
//   - OTEL_TRACES_EXPORTER=otlp, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (the
//     traces URL as is) or OTEL_EXPORTER_OTLP_ENDPOINT (a base URL,
//     /v1/traces appended): on; with none of them: off;
//   - OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL: http/protobuf only;
//   - OTEL_SERVICE_NAME: the service name (default partnergraph).
//
// The exporter and the SDK read the others from the process environment
// themselves (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION,
// _CERTIFICATE, OTEL_TRACES_SAMPLER and its _ARG, OTEL_BSP_*,
// OTEL_RESOURCE_ATTRIBUTES). Sampling defaults to parentbased_always_on: a
// client's sampled traceparent is followed.
func NewTracing(getenv func(string) string, version string) (*Tracing, error) {
	t := &Tracing{Provider: noop.NewTracerProvider(), Propagator: propagation.TraceContext{}}
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") {
		return t, nil
	}
	exporter := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")))
	endpoint := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	if base := getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); endpoint == "" && base != "" {
		endpoint = strings.TrimSuffix(base, "/") + "/v1/traces"
	}
	switch exporter {
	case "none":
		return t, nil
	case "":
		if endpoint == "" {
			return t, nil
		}
	case "otlp":
	default:
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER=%q is not supported: otlp or none", exporter)
	}
	for _, k := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if p := getenv(k); p != "" && p != "http/protobuf" {
			return nil, fmt.Errorf("%s=%q is not supported: http/protobuf", k, p)
		}
	}
	var opts []otlptracehttp.Option
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, errors.New("the OTLP traces endpoint must be an http(s) URL")
		}
		opts = append(opts, otlptracehttp.WithEndpointURL(endpoint))
		t.Endpoint = u.Scheme + "://" + u.Host + u.Path
	} else {
		t.Endpoint = "http://localhost:4318/v1/traces"
	}
	exp, err := otlptracehttp.New(context.Background(), opts...)
	if err != nil {
		return nil, fmt.Errorf("OTLP exporter: %w", err)
	}
	name := getenv("OTEL_SERVICE_NAME")
	if name == "" {
		name = "partnergraph"
	}
	res, err := resource.Merge(resource.Environment(), resource.NewSchemaless(
		attribute.String("service.name", name), attribute.String("service.version", version)))
	if err != nil {
		res = resource.NewSchemaless(attribute.String("service.name", name))
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	t.Provider, t.Enabled, t.shutdown = tp, true, tp.Shutdown
	return t, nil
}

// Tracer is the tracer of the provider ctx's span was made by: a layer
// below the edge follows the request's provider and needs no wiring (a
// no-op one outside a traced request).
func Tracer(ctx context.Context) trace.Tracer {
	return trace.SpanFromContext(ctx).TracerProvider().Tracer("partnergraph")
}
