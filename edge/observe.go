package edge

import (
	"bufio"
	"context"
	"net"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"partnergraph/identity"
	"partnergraph/telemetry"
)

// observe is the edge's one telemetry hook: every /graphql request gets a
// request id (the client's X-Request-Id when it is a plain token, else a
// fresh one, answered in X-Request-Id), a server span that continues the
// client's W3C traceparent, and a telemetry.Request in its context, which
// the transport (operation, errors, status), the identity (principal), the
// rate limits and the layers below fill; when the handler returns, the
// request's metrics, span attributes and access log line are written.
func observe(o Options, next http.Handler) http.Handler {
	tracing := o.Tracing
	if tracing == nil {
		tracing = &telemetry.Tracing{}
	}
	var tracer trace.Tracer
	if tracing.Provider != nil {
		tracer = tracing.Provider.Tracer("partnergraph")
	}
	prop := tracing.Propagator
	if prop == nil {
		prop = propagation.TraceContext{}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		var span trace.Span
		if tracer != nil {
			ctx, span = tracer.Start(ctx, "graphql", trace.WithSpanKind(trace.SpanKindServer))
			defer span.End()
		} else {
			span = trace.SpanFromContext(ctx)
		}
		id := r.Header.Get("X-Request-Id")
		if !plainID(id) {
			id = telemetry.NewRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		ctx, rec := telemetry.Start(ctx, o.Metrics, o.Logger, span, id)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(ctx))
		rec.End(ctx, sw.status())
	})
}

// plainID accepts a client's request id of up to 64 letters, digits, '-',
// '_' and '.', so a log line never carries anything else from a header.
func plainID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// notePrincipal records the verified caller (subject and role, never the
// token) on the request; it runs after the identity middleware.
func notePrincipal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, err := identity.For(r.Context()); err == nil {
			telemetry.FromContext(r.Context()).Principal(p.Subject, string(p.Role))
		}
		next.ServeHTTP(w, r)
	})
}

// noteOperation records the operation a request runs (or would have run).
func noteOperation(ctx context.Context, oc *graphql.OperationContext, executed bool) {
	rec := telemetry.FromContext(ctx)
	if rec == nil || oc == nil {
		return
	}
	name, typ := oc.OperationName, ""
	if oc.Operation != nil {
		name, typ = oc.Operation.Name, string(oc.Operation.Operation)
	}
	rec.Operation(name, typ, executed)
}

// noteErrors records the codes of the answer's errors (set by the
// presenter).
func noteErrors(ctx context.Context, resp *graphql.Response) {
	rec := telemetry.FromContext(ctx)
	if rec == nil || resp == nil {
		return
	}
	for _, e := range resp.Errors {
		if c, ok := e.Extensions["code"].(string); ok {
			rec.Errors(c)
		}
	}
}

// statusWriter remembers the status answered. It passes Flush, Hijack and
// Unwrap through (server-sent events, websockets, http.ResponseController).
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) status() int {
	if s.code == 0 {
		return http.StatusOK
	}
	return s.code
}

func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := s.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, http.ErrNotSupported
	}
	if s.code == 0 {
		s.code = http.StatusSwitchingProtocols
	}
	return h.Hijack()
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// operationNames are the names of the manifest's operations: known to the
// request metrics from the start.
func operationNames(m *Manifest) []string {
	if m == nil {
		return nil
	}
	var names []string
	for _, doc := range m.bySHA {
		d, err := parser.ParseQuery(&ast.Source{Input: doc})
		if err != nil {
			continue
		}
		for _, op := range d.Operations {
			names = append(names, op.Name)
		}
	}
	return names
}
