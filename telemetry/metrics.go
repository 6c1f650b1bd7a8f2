// Package telemetry is what partnergraph tells its operators: Prometheus
// metrics (Metrics, served on their own listener), OpenTelemetry traces
// (Tracing, exported over OTLP/HTTP when the standard OTEL_* variables ask
// for it) and structured logs (NewLogger, one access line per request).
//
// Each layer reports from one place: the HTTP edge per request (Request,
// carried in the request's context), the gateway's call path per upstream
// call, the loaders per batch. Every method of Metrics and Request is safe
// on a nil receiver, so a layer built without telemetry (a test) reports
// nothing and needs no special case.
package telemetry

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Namespace prefixes every partnergraph metric.
const Namespace = "partnergraph"

// Metrics are the gateway's Prometheus collectors, with the Go runtime and
// process collectors, in a registry of their own (Registry).
type Metrics struct {
	reg *prometheus.Registry
	ops *Operations

	requests     *prometheus.CounterVec
	requestTime  *prometheus.HistogramVec
	errors       *prometheus.CounterVec
	rateLimited  *prometheus.CounterVec
	upstream     *prometheus.CounterVec
	upstreamTime *prometheus.HistogramVec
	retries      *prometheus.CounterVec
	rejected     *prometheus.CounterVec
	breaker      *prometheus.GaugeVec
	inFlight     *prometheus.GaugeVec
	batchSize    *prometheus.HistogramVec
	codes        *prometheus.CounterVec
	replays      *prometheus.CounterVec

	// labelled caches the label sets of the per-request series, so a
	// request does not hash its labels again.
	labelled sync.Map // requestKey → requestSeries
}

type requestKey struct{ op, typ, outcome string }

type requestSeries struct {
	count prometheus.Counter
	time  prometheus.Observer
}

// latencyBuckets are the request and upstream call durations, in seconds:
// from a cached read to the request deadline.
var latencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// NewMetrics returns the collectors; ops bounds the operation label (nil:
// DefaultOperations names).
func NewMetrics(ops *Operations) *Metrics {
	if ops == nil {
		ops = NewOperations(DefaultOperations)
	}
	m := &Metrics{reg: prometheus.NewRegistry(), ops: ops}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
		m.reg.MustRegister(c)
		return c
	}
	histogram := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: name, Help: help, Buckets: buckets}, labels)
		m.reg.MustRegister(h)
		return h
	}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help}, labels)
		m.reg.MustRegister(g)
		return g
	}
	m.requests = counter("graphql_requests_total", "GraphQL requests by operation name (bounded: anonymous and unknown operations are \"other\"), type and outcome (ok, error: executed with errors, rejected: not executed).", "operation", "type", "outcome")
	m.requestTime = histogram("graphql_request_duration_seconds", "Duration of GraphQL requests, from the first byte read to the answer written.", latencyBuckets, "operation", "type", "outcome")
	m.errors = counter("graphql_errors_total", "GraphQL errors answered, by extensions.code.", "code")
	m.rateLimited = counter("rate_limited_total", "Requests refused by the rate limits (HTTP 429), by caller kind (principal, anonymous).", "caller")
	m.upstream = counter("upstream_calls_total", "Upstream (BSS/IAM) calls by SDK operation and status: the HTTP status of the answer, or timeout, cancelled, network.", "operation", "status")
	m.upstreamTime = histogram("upstream_call_duration_seconds", "Duration of upstream calls by SDK operation and status.", latencyBuckets, "operation", "status")
	m.retries = counter("upstream_retries_total", "Upstream reads retried, by SDK operation and reason (network, 5xx, throttled).", "operation", "reason")
	m.rejected = counter("upstream_rejected_total", "Upstream calls not sent, by SDK operation and reason (breaker_open, saturated: the credential's in-flight bound was full for the wait allowed).", "operation", "reason")
	m.breaker = gauge("upstream_breaker_state", "Circuit breaker state per SDK operation: 0 closed, 1 half-open, 2 open.", "operation")
	m.inFlight = gauge("upstream_in_flight", "Upstream calls in flight, per partner credential (account id).", "account")
	m.batchSize = histogram("loader_batch_size", "Keys per loader batch, by loader.", []float64{1, 2, 5, 10, 20, 50, 100, 200, 500}, "loader")
	m.codes = counter("verification_codes_total", "Verification codes by sensitive operation and event (sent, accepted, refused).", "operation", "event")
	m.replays = counter("idempotent_replays_total", "Sensitive mutations answered from their idempotency key's stored outcome, by operation.", "operation")
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is what the metrics listener serves.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Operations is the bound on the operation label.
func (m *Metrics) Operations() *Operations {
	if m == nil {
		return nil
	}
	return m.ops
}

// Outcomes of a GraphQL request.
const (
	OutcomeOK       = "ok"       // no error
	OutcomeError    = "error"    // executed, with errors
	OutcomeRejected = "rejected" // not executed: malformed, limits, validation, rate limits
)

// request records a finished GraphQL request. op is already bounded.
func (m *Metrics) request(op, typ, outcome string, d time.Duration, codes []string) {
	if m == nil {
		return
	}
	k := requestKey{op, typ, outcome}
	s, ok := m.labelled.Load(k)
	if !ok {
		s, _ = m.labelled.LoadOrStore(k, requestSeries{m.requests.WithLabelValues(op, typ, outcome), m.requestTime.WithLabelValues(op, typ, outcome)})
	}
	rs := s.(requestSeries)
	rs.count.Inc()
	rs.time.Observe(d.Seconds())
	for _, c := range codes {
		m.errors.WithLabelValues(c).Inc()
	}
}

// RateLimited counts a refusal of the rate limits; anonymous says whether
// the caller had no valid token.
func (m *Metrics) RateLimited(anonymous bool) {
	if m == nil {
		return
	}
	caller := "principal"
	if anonymous {
		caller = "anonymous"
	}
	m.rateLimited.WithLabelValues(caller).Inc()
}

// UpstreamCall records one upstream call (one attempt).
func (m *Metrics) UpstreamCall(op, status string, d time.Duration) {
	if m == nil {
		return
	}
	m.upstream.WithLabelValues(op, status).Inc()
	m.upstreamTime.WithLabelValues(op, status).Observe(d.Seconds())
}

// Retry counts a read sent again after reason.
func (m *Metrics) Retry(op, reason string) {
	if m != nil {
		m.retries.WithLabelValues(op, reason).Inc()
	}
}

// Rejected counts a call the gateway did not send (breaker_open, saturated).
func (m *Metrics) Rejected(op, reason string) {
	if m != nil {
		m.rejected.WithLabelValues(op, reason).Inc()
	}
}

// Breaker states as the gauge reports them.
const (
	BreakerClosed   = 0
	BreakerHalfOpen = 1
	BreakerOpen     = 2
)

// BreakerState sets an operation's breaker state.
func (m *Metrics) BreakerState(op string, state int) {
	if m != nil {
		m.breaker.WithLabelValues(op).Set(float64(state))
	}
}

// InFlight returns the gauge of account's calls in flight (nil without
// metrics).
func (m *Metrics) InFlight(account string) prometheus.Gauge {
	if m == nil {
		return nil
	}
	return m.inFlight.WithLabelValues(account)
}

// LoaderBatch records the size of one loader batch.
func (m *Metrics) LoaderBatch(loader string, keys int) {
	if m != nil {
		m.batchSize.WithLabelValues(loader).Observe(float64(keys))
	}
}

// Verification events.
const (
	CodeSent     = "sent"
	CodeAccepted = "accepted"
	CodeRefused  = "refused"
)

// VerificationCode counts a code event of a sensitive operation.
func (m *Metrics) VerificationCode(op, event string) {
	if m != nil {
		m.codes.WithLabelValues(op, event).Inc()
	}
}

// Replay counts a sensitive mutation answered from its idempotency key.
func (m *Metrics) Replay(op string) {
	if m != nil {
		m.replays.WithLabelValues(op).Inc()
	}
}

// StatusLabel is the status label of an HTTP status code.
func StatusLabel(code int) string { return strconv.Itoa(code) }

// Value is the sum of the series of metric name (without the namespace)
// whose labels include labels: a counter's or gauge's value, a histogram's
// count. For tests and the fault load test's report.
func (m *Metrics) Value(name string, labels map[string]string) float64 {
	fams, err := m.reg.Gather()
	if err != nil {
		return 0
	}
	sum := 0.0
	for _, f := range fams {
		if f.GetName() != Namespace+"_"+name {
			continue
		}
	series:
		for _, s := range f.GetMetric() {
			for k, v := range labels {
				found := false
				for _, lp := range s.GetLabel() {
					if lp.GetName() == k && lp.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue series
				}
			}
			switch {
			case s.Counter != nil:
				sum += s.GetCounter().GetValue()
			case s.Gauge != nil:
				sum += s.GetGauge().GetValue()
			case s.Histogram != nil:
				sum += float64(s.GetHistogram().GetSampleCount())
			}
		}
	}
	return sum
}
