package telemetry

import (
	"context"
	"crypto/rand"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Request is what one GraphQL request tells: the edge creates it (Start),
// the layers below add to it through the context, and End writes its
// metrics, its span's attributes and its access log line. Its methods are
// safe for concurrent use and on a nil *Request.
type Request struct {
	m     *Metrics
	log   *slog.Logger
	span  trace.Span
	start time.Time
	id    string

	upstream atomic.Int32

	mu        sync.Mutex
	op, typ   string
	executed  bool
	subject   string
	role      string
	codes     []string
	rateLimit bool
}

type ctxKey struct{}

// Start begins a request with id, in span (the request's span, already
// started), and returns the context that carries it.
func Start(ctx context.Context, m *Metrics, log *slog.Logger, span trace.Span, id string) (context.Context, *Request) {
	r := &Request{m: m, log: log, span: span, start: time.Now(), id: id}
	return context.WithValue(ctx, ctxKey{}, r), r
}

// FromContext is the request ctx belongs to (nil outside one).
func FromContext(ctx context.Context) *Request {
	r, _ := ctx.Value(ctxKey{}).(*Request)
	return r
}

// Metrics are the request's metrics (nil outside a request).
func (r *Request) Metrics() *Metrics {
	if r == nil {
		return nil
	}
	return r.m
}

// ID is the request id (the X-Request-Id answered).
func (r *Request) ID() string {
	if r == nil {
		return ""
	}
	return r.id
}

// Operation records the operation's name and type ("query", "mutation",
// "subscription") once it is known; executed says it ran.
func (r *Request) Operation(name, typ string, executed bool) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.op, r.typ, r.executed = name, typ, executed
	r.mu.Unlock()
	if r.span.IsRecording() {
		n := typ
		if name != "" {
			n += " " + name
		}
		r.span.SetName(n)
	}
}

// Principal records who called: a subject and a role, never a token.
func (r *Request) Principal(subject, role string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.subject, r.role = subject, role
	r.mu.Unlock()
}

// Errors records the extensions.code of the answer's errors.
func (r *Request) Errors(codes ...string) {
	if r == nil || len(codes) == 0 {
		return
	}
	r.mu.Lock()
	for _, c := range codes {
		if !slices.Contains(r.codes, c) {
			r.codes = append(r.codes, c)
		}
	}
	r.mu.Unlock()
}

// RateLimited records a refusal of the rate limits.
func (r *Request) RateLimited() {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.rateLimit = true
	anonymous := r.role == ""
	r.mu.Unlock()
	r.m.RateLimited(anonymous)
}

// UpstreamCall counts one upstream call made for the request.
func (r *Request) UpstreamCall() {
	if r != nil {
		r.upstream.Add(1)
	}
}

// End finishes the request: status is the HTTP status answered.
func (r *Request) End(ctx context.Context, status int) {
	if r == nil {
		return
	}
	d := time.Since(r.start)
	r.mu.Lock()
	op, typ, executed, subject, role, codes := r.op, r.typ, r.executed, r.subject, r.role, r.codes
	r.mu.Unlock()
	outcome := OutcomeOK
	switch {
	case !executed:
		outcome = OutcomeRejected
	case len(codes) > 0:
		outcome = OutcomeError
	}
	label := OtherOperation
	if r.m != nil {
		label = r.m.ops.Label(op, executed && role != "")
	}
	if typ == "" {
		typ = "none"
	}
	r.m.request(label, typ, outcome, d, codes)
	upstream := int(r.upstream.Load())
	if r.span.IsRecording() {
		attrs := []attribute.KeyValue{
			attribute.String("graphql.operation.type", typ),
			attribute.Int("http.response.status_code", status),
			attribute.String("partnergraph.outcome", outcome),
			attribute.Int("partnergraph.upstream_calls", upstream),
			attribute.String("partnergraph.request_id", r.id),
		}
		if op != "" {
			attrs = append(attrs, attribute.String("graphql.operation.name", op))
		}
		if role != "" {
			attrs = append(attrs, attribute.String("partnergraph.principal.role", role))
		}
		if len(codes) > 0 {
			attrs = append(attrs, attribute.StringSlice("partnergraph.error_codes", codes))
			r.span.SetStatus(otelcodes.Error, codes[0])
		}
		r.span.SetAttributes(attrs...)
	}
	if r.log == nil {
		return
	}
	attrs := make([]slog.Attr, 0, 12)
	attrs = append(attrs, slog.String("request_id", r.id))
	if sc := r.span.SpanContext(); sc.HasTraceID() {
		attrs = append(attrs, slog.String("trace_id", sc.TraceID().String()))
	}
	if subject != "" {
		attrs = append(attrs, slog.String("subject", subject), slog.String("role", role))
	}
	attrs = append(attrs,
		slog.String("operation", op), slog.String("type", typ), slog.String("outcome", outcome),
		slog.Int("status", status), slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.Int("upstream_calls", upstream))
	if len(codes) > 0 {
		attrs = append(attrs, slog.Any("error_codes", codes))
	}
	r.log.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
}

// NewRequestID returns a fresh request id.
func NewRequestID() string { return rand.Text() }
