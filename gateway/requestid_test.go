package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"partnergraph/apierr"
	"partnergraph/sandbox"
)

// inFlight is the number of registered correlation ids.
func (t *idTransport) inFlight() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pending)
}

// seen is one upstream exchange as a recorder in front of the sandbox saw it.
type seen struct {
	path, corr, requestID, signedHeaders string
	status                               int
	token                                bool // X-Auth-Token (customer token) rather than AK/SK
}

type recorder struct {
	mu  sync.Mutex
	all []seen
}

func (rec *recorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: 200}
		h.ServeHTTP(sw, r)
		s := seen{path: r.URL.Path, corr: r.Header.Get(CallHeader), requestID: w.Header().Get("X-Request-Id"),
			status: sw.status, token: r.Header.Get("X-Auth-Token") != ""}
		if a := r.Header.Get("Authorization"); a != "" {
			if i := strings.Index(a, "SignedHeaders="); i >= 0 {
				s.signedHeaders = strings.SplitN(a[i+len("SignedHeaders="):], ",", 2)[0]
			}
		}
		rec.mu.Lock()
		rec.all = append(rec.all, s)
		rec.mu.Unlock()
	})
}

// byCorr returns the exchange that carried the correlation id.
func (rec *recorder) byCorr(corr string) (seen, bool) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, s := range rec.all {
		if s.corr == corr {
			return s, true
		}
	}
	return seen{}, false
}

func (rec *recorder) byRequestID(id string) (seen, bool) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, s := range rec.all {
		if s.requestID == id {
			return s, true
		}
	}
	return seen{}, false
}

func (rec *recorder) reset() { rec.mu.Lock(); rec.all = nil; rec.mu.Unlock() }

func (rec *recorder) snapshot() []seen {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]seen(nil), rec.all...)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

// sandboxClient is a Client on a sandbox behind a recorder.
func sandboxClient(t *testing.T) (*Client, *recorder, sandbox.Manifest) {
	t.Helper()
	sb, err := sandbox.New(sandbox.Options{Seed: 7, Customers: 20})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	srv := httptest.NewServer(rec.wrap(sb.Handler()))
	t.Cleanup(srv.Close)
	m := sb.Manifest(srv.URL)
	var accounts []Account
	for _, p := range m.Partners {
		accounts = append(accounts, Account{ID: p.ID, Name: p.Name, Kind: Kind(p.Kind), ParentID: p.ParentID, AK: p.AK, SK: p.SK, AgencyName: p.AgencyName})
	}
	c, err := New(Config{Endpoint: m.Endpoint, IAMEndpoint: m.IAMEndpoint, Accounts: accounts, CallTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c, rec, m
}

// checkCalls verifies that each tracked call's request id is the one the
// sandbox sent in answer to the request carrying a correlation id.
func checkCalls(t *testing.T, rec *recorder, ids *RequestIDs, wantOps ...string) {
	t.Helper()
	calls := ids.Calls()
	var ops []string
	for _, cl := range calls {
		ops = append(ops, cl.Op)
		s, ok := rec.byRequestID(cl.RequestID)
		if cl.RequestID == "" || !ok {
			t.Fatalf("call %+v: request id not among the sandbox's answers", cl)
		}
		if s.corr == "" {
			t.Fatalf("call %+v: the request carried no %s header", cl, CallHeader)
		}
	}
	if strings.Join(ops, ",") != strings.Join(wantOps, ",") {
		t.Fatalf("calls %v, want %v", ops, wantOps)
	}
}

func TestRequestIDsPartnerCalls(t *testing.T) {
	c, rec, m := sandboxClient(t)
	var tier1, customer string
	for _, p := range m.Partners {
		if p.Kind == "tier1" && tier1 == "" {
			tier1 = p.ID
		}
	}
	for _, cu := range m.Customers {
		if cu.PartnerID == tier1 && cu.AssociationType == "2" {
			customer = cu.ID
			break
		}
	}
	s := Scope{Account: tier1}

	t.Run("MoneyMoveSuccess", func(t *testing.T) {
		rec.reset()
		ctx, ids := TrackRequestIDs(context.Background())
		tr, err := c.AllocateCustomerFunds(ctx, s, customer, decimal.RequireFromString("12.5"), newLedger("k", map[string]string{}))
		if err != nil || tr.ID == "" {
			t.Fatalf("allocate: %+v %v", tr, err)
		}
		// The pre-call snapshot read, then the move.
		checkCalls(t, rec, ids, "ListPartnerAdjustRecords", "UpdateCustomerAccountAmount")
		move := ids.Calls()[1]
		got, _ := rec.byRequestID(move.RequestID)
		if got.path != "/v2/accounts/partner-accounts/adjust-amount" || got.status != 200 {
			t.Fatalf("the move's id belongs to %+v", got)
		}
		// The header is signed like the SDK's own headers.
		if !strings.Contains(got.signedHeaders, strings.ToLower(CallHeader)) {
			t.Fatalf("signed headers %q lack %s", got.signedHeaders, CallHeader)
		}
		if sum := ids.Summary(); sum != move.RequestID {
			t.Fatalf("summary %q, want the move's id %q", sum, move.RequestID)
		}
	})

	t.Run("Refusal", func(t *testing.T) {
		rec.reset()
		ctx, ids := TrackRequestIDs(context.Background())
		_, err := c.AllocateCustomerFunds(ctx, s, customer, decimal.RequireFromString("99999999"), newLedger("k", map[string]string{}))
		var ge *apierr.Error
		if !errors.As(err, &ge) || ge.RequestID == "" {
			t.Fatalf("err = %v, want an upstream refusal with a request id", err)
		}
		checkCalls(t, rec, ids, "ListPartnerAdjustRecords", "UpdateCustomerAccountAmount")
		if ids.Calls()[1].RequestID != ge.RequestID {
			t.Fatalf("tracked %q, error says %q", ids.Calls()[1].RequestID, ge.RequestID)
		}
	})

	t.Run("UntrackedCallsCarryNoHeader", func(t *testing.T) {
		rec.reset()
		if _, err := c.AdjustRecords(context.Background(), s, customer, Window{Limit: 1}); err != nil {
			t.Fatal(err)
		}
		for _, x := range rec.snapshot() {
			if x.corr != "" {
				t.Fatalf("untracked call carried %s: %+v", CallHeader, x)
			}
		}
	})

	t.Run("NestedSinks", func(t *testing.T) {
		outer, oids := TrackRequestIDs(context.Background())
		inner, iids := TrackRequestIDs(outer)
		if _, err := c.AdjustRecords(inner, s, customer, Window{Limit: 1}); err != nil {
			t.Fatal(err)
		}
		if len(iids.Calls()) != 1 || len(oids.Calls()) != 1 || iids.Calls()[0] != oids.Calls()[0] {
			t.Fatalf("inner %v, outer %v", iids.Calls(), oids.Calls())
		}
	})

	if n := c.ids.inFlight(); n != 0 {
		t.Fatalf("%d correlation entries left", n)
	}
}

// Customer-token calls (X-Auth-Token, not signed) carry the header too.
func TestRequestIDsCustomerTokenCalls(t *testing.T) {
	c, rec, m := sandboxClient(t)
	var partner, customer string
	for _, p := range m.Partners {
		if p.AgencyName != "" && p.AK != "" && (p.Kind == "provider" || p.Kind == "tier1") {
			for _, cu := range m.Customers {
				if cu.PartnerID == p.ID {
					partner, customer = p.ID, cu.ID
					break
				}
			}
		}
		if customer != "" {
			break
		}
	}
	if customer == "" {
		t.Fatal("no partner with an agency and a customer")
	}
	rec.reset()
	ctx, ids := TrackRequestIDs(context.Background())
	if _, err := c.ResourcePackages(ctx, Scope{Account: partner}, customer, Window{Limit: 10}); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, rec, ids, "ListFreeResourceInfos")
	got, _ := rec.byRequestID(ids.Calls()[0].RequestID)
	if !got.token || got.status != 200 {
		t.Fatalf("customer call %+v: want a 200 with X-Auth-Token", got)
	}
	if n := c.ids.inFlight(); n != 0 {
		t.Fatalf("%d correlation entries left", n)
	}
}

// A call the gateway stops waiting for leaves no correlation entry behind,
// and the late answer does not bring one back.
func TestRequestIDsTimeoutLeavesNothing(t *testing.T) {
	release := make(chan struct{})
	answered := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "late-req")
		_, _ = w.Write([]byte(`{"total_count":0,"records":[]}`))
		answered <- struct{}{}
	}))
	defer srv.Close()
	defer close(release)
	c, err := New(Config{Endpoint: srv.URL, Accounts: []Account{{ID: "p1", Kind: KindTier1, AK: "AK", SK: "SK"}}, CallTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, ids := TrackRequestIDs(context.Background())
	_, err = c.AdjustRecords(ctx, Scope{Account: "p1"}, "cust", Window{Limit: 1})
	if apierr.ErrorCode(err) != apierr.CodeUpstreamUnavailable {
		t.Fatalf("err = %v, want UPSTREAM_UNAVAILABLE", err)
	}
	if n := c.ids.inFlight(); n != 0 {
		t.Fatalf("%d correlation entries after the timeout", n)
	}
	if calls := ids.Calls(); len(calls) != 1 || calls[0].RequestID != "" {
		t.Fatalf("calls %+v, want one unanswered call", calls)
	}
	release <- struct{}{}
	select {
	case <-answered:
	case <-time.After(5 * time.Second):
		t.Fatal("the upstream never answered")
	}
	time.Sleep(20 * time.Millisecond) // let the transport see the late answer
	if n := c.ids.inFlight(); n != 0 {
		t.Fatalf("%d correlation entries after the late answer", n)
	}
}

func TestRequestIDsSummary(t *testing.T) {
	var r *RequestIDs
	if r.Summary() != "" {
		t.Fatal("nil summary")
	}
	_, r = TrackRequestIDs(context.Background())
	r.add(UpstreamCall{Op: "ListPartnerCouponsRecord", RequestID: "r1"})
	if r.Summary() != "r1" {
		t.Fatalf("reads only: %q", r.Summary())
	}
	r.add(UpstreamCall{Op: "ReclaimPartnerCoupons", RequestID: "w1"})
	r.add(UpstreamCall{Op: "ShowCustomerOrderDetails", RequestID: "r2"})
	r.add(UpstreamCall{Op: "ReclaimPartnerCoupons", RequestID: ""})
	r.add(UpstreamCall{Op: "ReclaimPartnerCoupons", RequestID: "w2"})
	r.add(UpstreamCall{Op: "ReclaimPartnerCoupons", RequestID: "w2"})
	if r.Summary() != "w1,w2" {
		t.Fatalf("writes: %q", r.Summary())
	}
	for i := 0; i < 2*maxTrackedCalls; i++ {
		r.add(UpstreamCall{Op: "PayOrders", RequestID: fmt.Sprintf("p%d", i)})
	}
	if n := len(r.Calls()); n != maxTrackedCalls {
		t.Fatalf("kept %d calls", n)
	}
	if s := r.Summary(); !strings.HasSuffix(s, fmt.Sprintf(",+%d", maxTrackedCalls-6+2-MaxSummaryIDs)) || strings.Count(s, ",") != MaxSummaryIDs {
		t.Fatalf("capped summary %q", s)
	}
}
