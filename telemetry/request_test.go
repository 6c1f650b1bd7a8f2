package telemetry_test

import (
	"context"
	"io"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"partnergraph/telemetry"
)

func TestOperationsBounded(t *testing.T) {
	o := telemetry.NewOperations(2)
	o.Seed("Trusted")
	for _, tt := range []struct {
		name  string
		learn bool
		want  string
	}{
		{"", true, telemetry.OtherOperation},
		{"Trusted", false, "Trusted"},
		{"Anonymous", false, telemetry.OtherOperation},
		{"A", true, "A"},
		{"B", true, "B"},
		{"C", true, telemetry.OtherOperation},
		{"A", false, "A"},
		{string(make([]byte, 65)), true, telemetry.OtherOperation},
	} {
		if got := o.Label(tt.name, tt.learn); got != tt.want {
			t.Errorf("Label(%q, %v) = %q, want %q", tt.name, tt.learn, got, tt.want)
		}
	}
}

func TestNilSafe(t *testing.T) {
	var m *telemetry.Metrics
	m.UpstreamCall("X", "200", time.Millisecond)
	m.LoaderBatch("x", 3)
	m.Operations().Seed("Q")
	var r *telemetry.Request
	r.Operation("Q", "query", true)
	r.Errors("INTERNAL")
	r.End(context.Background(), 200)
	telemetry.FromContext(context.Background()).Metrics().VerificationCode("X", telemetry.CodeSent)
}

// BenchmarkRequest is what the telemetry adds to one dashboard request
// with tracing off: the request record, its operation and principal, three
// upstream calls and two loader batches measured, the request metrics and
// the JSON access line.
func BenchmarkRequest(b *testing.B) {
	m := telemetry.NewMetrics(nil)
	log, _ := telemetry.NewLogger(io.Discard, "json", "info")
	span := trace.SpanFromContext(context.Background())
	b.ReportAllocs()
	for range b.N {
		ctx, r := telemetry.Start(context.Background(), m, log, span, telemetry.NewRequestID())
		r.Principal("demo-tier1", "partner")
		r.Operation("Dashboard", "query", true)
		for _, op := range []string{"ListSubCustomers", "ListCustomersBalancesDetail", "ListSubCustomerNewTag"} {
			r.UpstreamCall()
			m.UpstreamCall(op, "200", 3*time.Millisecond)
		}
		m.LoaderBatch("balances", 100)
		m.LoaderBatch("newCustomerTags", 100)
		r.End(ctx, 200)
	}
}
