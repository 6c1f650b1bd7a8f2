package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"partnergraph/apierr"
	"partnergraph/sandbox"
	"partnergraph/telemetry"
)

// TestEveryOperationIsClassified reads the gateway's sources: every SDK
// operation named in a call (call, custCall, a money move's op) is a read
// or a write, never both, so a new operation is retried only when someone
// listed it as a read.
func TestEveryOperationIsClassified(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	ops := map[string]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				name := ""
				switch fn := n.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.IndexListExpr:
					if id, ok := fn.X.(*ast.Ident); ok {
						name = id.Name
					}
				}
				idx := map[string]int{"call": 3, "custCall": 4, "ticketCall": 3, "quoteCall": 4}[name]
				if idx > 0 && len(n.Args) > idx {
					if lit, ok := n.Args[idx].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						op, _ := strconv.Unquote(lit.Value)
						ops[op] = fset.Position(lit.Pos()).String()
					}
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "op" {
					if lit, ok := n.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						op, _ := strconv.Unquote(lit.Value)
						ops[op] = fset.Position(lit.Pos()).String()
					}
				}
			}
			return true
		})
	}
	if len(ops) < 30 {
		t.Fatalf("found %d operations; the parser missed the call sites", len(ops))
	}
	for op, at := range ops {
		switch {
		case reads[op] && writes[op]:
			t.Errorf("%s (%s) is both a read and a write", op, at)
		case !reads[op] && !writes[op]:
			t.Errorf("%s (%s) is neither in reads nor in writes (resilience.go): say whether it may be retried", op, at)
		}
	}
}

// faultyUpstream is a sandbox behind a handler that can answer first.
type faultyUpstream struct {
	srv    *httptest.Server
	m      sandbox.Manifest
	before atomic.Pointer[func(w http.ResponseWriter, r *http.Request) bool]
}

func newFaultyUpstream(t *testing.T) *faultyUpstream {
	t.Helper()
	sb, err := sandbox.New(sandbox.Options{Seed: 7, Customers: 20})
	if err != nil {
		t.Fatal(err)
	}
	u := &faultyUpstream{}
	h := sb.Handler()
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := u.before.Load(); f != nil && (*f)(w, r) {
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(u.srv.Close)
	u.m = sb.Manifest(u.srv.URL)
	return u
}

func (u *faultyUpstream) client(t *testing.T, cfg Config) *Client {
	t.Helper()
	for _, p := range u.m.Partners {
		cfg.Accounts = append(cfg.Accounts, Account{ID: p.ID, Name: p.Name, Kind: Kind(p.Kind), ParentID: p.ParentID, AK: p.AK, SK: p.SK, AgencyName: p.AgencyName})
	}
	cfg.Endpoint, cfg.IAMEndpoint = u.m.Endpoint, u.m.IAMEndpoint
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = 5 * time.Second
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (u *faultyUpstream) faults(t *testing.T, rules ...map[string]any) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"faults": rules})
	resp, err := http.Post(u.srv.URL+"/_sandbox/faults", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("faults: %s", resp.Status)
	}
}

// activeFaults is the number of fault rules not used up.
func (u *faultyUpstream) activeFaults(t *testing.T) int {
	t.Helper()
	resp, err := http.Get(u.srv.URL + "/_sandbox/faults")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var f struct{ Faults []json.RawMessage }
	_ = json.NewDecoder(resp.Body).Decode(&f)
	return len(f.Faults)
}

func (u *faultyUpstream) calls(t *testing.T, op string) int {
	t.Helper()
	resp, err := http.Get(u.srv.URL + "/_sandbox/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct{ Calls map[string]int }
	_ = json.NewDecoder(resp.Body).Decode(&st)
	return st.Calls[op]
}

func (u *faultyUpstream) tier1() Scope {
	for _, p := range u.m.Partners {
		if p.Kind == "tier1" {
			return Scope{Account: p.ID}
		}
	}
	return Scope{}
}

func TestReadsRetried(t *testing.T) {
	u := newFaultyUpstream(t)
	m := telemetry.NewMetrics(nil)
	c := u.client(t, Config{MaxAttempts: 3, Metrics: m})
	s := u.tier1()

	t.Run("5xxThenAnswer", func(t *testing.T) {
		u.faults(t, map[string]any{"operation": "ListMeasureUnits", "status": 503, "count": 2})
		before := u.calls(t, "ListMeasureUnits")
		if _, err := c.MeasureUnits(context.Background(), s); err != nil {
			t.Fatalf("got %v, want the third attempt's answer", err)
		}
		if got := u.calls(t, "ListMeasureUnits") - before; got != 3 {
			t.Fatalf("got %d calls, want 3", got)
		}
		if got := m.Value("upstream_retries_total", map[string]string{"operation": "ListMeasureUnits", "reason": "5xx"}); got != 2 {
			t.Fatalf("retries metric %v, want 2", got)
		}
	})
	t.Run("DroppedConnection", func(t *testing.T) {
		u.faults(t, map[string]any{"operation": "ListMeasureUnits", "drop": true, "count": 1})
		if _, err := c.MeasureUnits(context.Background(), s); err != nil {
			t.Fatalf("got %v, want the retry's answer", err)
		}
	})
	t.Run("GivesUp", func(t *testing.T) {
		u.faults(t, map[string]any{"operation": "ListMeasureUnits", "throttle": true, "error_rate": 1})
		before := u.calls(t, "ListMeasureUnits")
		_, err := c.MeasureUnits(context.Background(), s)
		if apierr.ErrorCode(err) != apierr.CodeUpstreamUnavailable {
			t.Fatalf("got %v, want UPSTREAM_UNAVAILABLE", err)
		}
		if got := u.calls(t, "ListMeasureUnits") - before; got != 3 {
			t.Fatalf("got %d calls, want 3", got)
		}
		u.faults(t)
	})
	t.Run("RetryAfterHonoured", func(t *testing.T) {
		var n atomic.Int32
		f := func(w http.ResponseWriter, r *http.Request) bool {
			if strings.HasSuffix(r.URL.Path, "/measurements") && n.Add(1) == 1 {
				w.Header().Set("Retry-After", "1")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusTooManyRequests)
				_, _ = w.Write([]byte(`{"error_code":"APIG.0308","error_msg":"throttled"}`))
				return true
			}
			return false
		}
		u.before.Store(&f)
		defer u.before.Store(nil)
		start := time.Now()
		if _, err := c.MeasureUnits(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < time.Second {
			t.Fatalf("retried after %v, before the upstream's Retry-After of 1s", d)
		}
	})
	t.Run("NotPastTheDeadline", func(t *testing.T) {
		u.faults(t, map[string]any{"operation": "ListMeasureUnits", "status": 503, "error_rate": 1})
		defer u.faults(t)
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		before := u.calls(t, "ListMeasureUnits")
		_, err := c.MeasureUnits(ctx, s)
		if apierr.ErrorCode(err) != apierr.CodeUpstreamUnavailable {
			t.Fatalf("got %v", err)
		}
		if got := u.calls(t, "ListMeasureUnits") - before; got != 1 {
			t.Fatalf("got %d calls, want 1: no retry fits in the deadline", got)
		}
	})
}

func TestWritesNeverRetried(t *testing.T) {
	u := newFaultyUpstream(t)
	c := u.client(t, Config{MaxAttempts: 3})
	s := u.tier1()
	u.faults(t, map[string]any{"operation": "SendVerificationMessageCode", "status": 503, "count": 1})
	before := u.calls(t, "SendVerificationMessageCode")
	err := c.SendRegistrationCode(context.Background(), s, "13912345678")
	if apierr.ErrorCode(err) != apierr.CodeUpstreamUnavailable {
		t.Fatalf("got %v, want the one attempt's UPSTREAM_UNAVAILABLE", err)
	}
	if got := u.calls(t, "SendVerificationMessageCode") - before; got != 1 {
		t.Fatalf("a write was sent %d times", got)
	}
}

func TestBreaker(t *testing.T) {
	u := newFaultyUpstream(t)
	m := telemetry.NewMetrics(nil)
	c := u.client(t, Config{BreakerFailures: 3, BreakerCooldown: 300 * time.Millisecond, Metrics: m})
	s := u.tier1()
	u.faults(t, map[string]any{"operation": "ListMeasureUnits", "status": 503, "error_rate": 1})
	for range 3 {
		if _, err := c.MeasureUnits(context.Background(), s); apierr.ErrorCode(err) != apierr.CodeUpstreamUnavailable {
			t.Fatalf("got %v", err)
		}
	}
	if got := m.Value("upstream_breaker_state", map[string]string{"operation": "ListMeasureUnits"}); got != telemetry.BreakerOpen {
		t.Fatalf("breaker state %v, want open", got)
	}
	before := u.calls(t, "ListMeasureUnits")
	start := time.Now()
	_, err := c.MeasureUnits(context.Background(), s)
	if !errors.Is(err, ErrNotSent) || apierr.ErrorCode(err) != apierr.CodeUpstreamUnavailable || time.Since(start) > 50*time.Millisecond {
		t.Fatalf("open breaker: got %v after %v, want UPSTREAM_UNAVAILABLE at once", err, time.Since(start))
	}
	if u.calls(t, "ListMeasureUnits") != before {
		t.Fatal("an open breaker let a call through")
	}
	// Another operation has its own breaker.
	if _, err := c.ServiceTypes(context.Background(), s); err != nil {
		t.Fatalf("ListServiceTypes: %v", err)
	}
	u.faults(t)
	time.Sleep(350 * time.Millisecond)
	for range 3 {
		if _, err := c.MeasureUnits(context.Background(), s); err != nil {
			t.Fatalf("half-open: %v", err)
		}
	}
	if got := m.Value("upstream_breaker_state", map[string]string{"operation": "ListMeasureUnits"}); got != telemetry.BreakerClosed {
		t.Fatalf("breaker state %v, want closed after trial calls", got)
	}
}

func TestInFlightBoundPerCredential(t *testing.T) {
	u := newFaultyUpstream(t)
	m := telemetry.NewMetrics(nil)
	c := u.client(t, Config{MaxInFlight: 1, Metrics: m})
	s := u.tier1()
	var other Scope
	for _, p := range u.m.Partners {
		if p.Kind == "provider" {
			other = Scope{Account: p.ID}
		}
	}
	u.faults(t, map[string]any{"operation": "ListMeasureUnits", "latency_ms": 1800, "count": 1})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = c.MeasureUnits(context.Background(), s)
	}()
	// Wait until the slow call holds the slot and has taken the fault.
	deadline := time.Now().Add(2 * time.Second)
	for (m.Value("upstream_in_flight", map[string]string{"account": s.Account}) != 1 || u.activeFaults(t) > 0) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// The other credential is not held up.
	start := time.Now()
	if _, err := c.MeasureUnits(context.Background(), other); err != nil || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("another credential: %v after %v", err, time.Since(start))
	}
	// The busy one waits for a slot at most maxQueueWait.
	start = time.Now()
	_, err := c.MeasureUnits(context.Background(), s)
	if !errors.Is(err, ErrNotSent) || apierr.ErrorCode(err) != apierr.CodeUpstreamUnavailable {
		t.Fatalf("got %v, want UPSTREAM_UNAVAILABLE without a call", err)
	}
	if d := time.Since(start); d < maxQueueWait || d > maxQueueWait+500*time.Millisecond {
		t.Fatalf("waited %v, want about %v", d, maxQueueWait)
	}
	wg.Wait()
	if got := m.Value("upstream_in_flight", map[string]string{"account": s.Account}); got != 0 {
		t.Fatalf("in flight after the calls: %v", got)
	}
}

// Ticket (OSM) calls take the same path as the BSS ones: reads retried,
// writes not, and a refusal OSM answers with status 200 is an error that
// neither is retried nor counts against the breaker.
func TestTicketCallsShareTheCallPath(t *testing.T) {
	u := newFaultyUpstream(t)
	m := telemetry.NewMetrics(nil)
	c := u.client(t, Config{OSMEndpoint: u.m.Endpoint, MaxAttempts: 3, BreakerFailures: 3, BreakerCooldown: time.Minute, Metrics: m})
	own := TicketOwner{Scope: u.tier1()}
	ctx := context.Background()

	u.faults(t, map[string]any{"operation": "ListCases", "status": 503, "count": 2})
	before := u.calls(t, "ListCases")
	l, err := c.Tickets(ctx, own, TicketQuery{Window: Window{Limit: 20}, Statuses: []int{TicketCompleted}})
	if err != nil || len(l.Tickets) == 0 {
		t.Fatalf("got %v %+v, want the third attempt's answer", err, l)
	}
	if got := u.calls(t, "ListCases") - before; got != 3 {
		t.Fatalf("ListCases: %d calls, want 3", got)
	}
	if got := m.Value("upstream_retries_total", map[string]string{"operation": "ListCases", "reason": "5xx"}); got != 2 {
		t.Fatalf("retries metric %v, want 2", got)
	}

	// A completed ticket cannot be cancelled: OSM says so with status 200.
	// Four refusals in a row: the breaker (3 failures) stays closed.
	for range 4 {
		before = u.calls(t, "UpdateCases")
		err = c.TicketAction(ctx, own, l.Tickets[0].ID, TicketCancel, "", "", nil)
		if e, ok := err.(*apierr.Error); !ok || e.Code != apierr.CodeBadUserInput || e.UpstreamCode != UpCodeTicketNotAllowed || e.RequestID == "" {
			t.Fatalf("got %v, want BAD_USER_INPUT %s with a request id", err, UpCodeTicketNotAllowed)
		}
		if got := u.calls(t, "UpdateCases") - before; got != 1 {
			t.Fatalf("UpdateCases: %d calls, want 1", got)
		}
	}

	u.faults(t, map[string]any{"operation": "UpdateCases", "status": 503, "count": 1})
	before = u.calls(t, "UpdateCases")
	err = c.TicketAction(ctx, own, l.Tickets[0].ID, TicketCancel, "", "", nil)
	if apierr.ErrorCode(err) != apierr.CodeUpstreamUnavailable || u.calls(t, "UpdateCases")-before != 1 {
		t.Fatalf("a failed write: %v after %d calls, want UPSTREAM_UNAVAILABLE after 1", err, u.calls(t, "UpdateCases")-before)
	}
	if got := m.Value("upstream_calls_total", map[string]string{"operation": "UpdateCases", "status": "503"}); got != 1 {
		t.Fatalf("calls metric %v, want 1", got)
	}
}
