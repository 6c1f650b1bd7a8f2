package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"
)

func postFaults(t *testing.T, base string, js string) {
	t.Helper()
	resp, err := http.Post(base+"/_sandbox/faults", "application/json", bytes.NewBufferString(js))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST faults %s: %d", js, resp.StatusCode)
	}
}

func TestStatsEndpoints(t *testing.T) {
	_, srv, m := newTestSandbox(t)
	p := partnerOf(m, KindTier1)
	c := bssClient(t, srv.URL, p.AK, p.SK)
	for i := 0; i < 3; i++ {
		if _, err := c.ListSubCustomers(&model.ListSubCustomersRequest{Body: &model.QuerySubCustomerListReq{}}); err != nil {
			t.Fatal(err)
		}
	}
	get := func() map[string]int64 {
		resp, err := http.Get(srv.URL + "/_sandbox/stats")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Calls map[string]int64 `json:"calls"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out.Calls
	}
	if got := get(); got["ListSubCustomers"] != 3 {
		t.Fatalf("stats %v", got)
	}
	resp, err := http.Post(srv.URL+"/_sandbox/stats/reset", "application/json", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("reset: %v", err)
	}
	resp.Body.Close()
	if got := get(); len(got) != 0 {
		t.Fatalf("after reset %v", got)
	}
}

func TestFaultInjection(t *testing.T) {
	sb, srv, m := newTestSandbox(t)
	p := partnerOf(m, KindProvider)
	cust := showcaseOf(m, p.ID)
	c := bssClient(t, srv.URL, p.AK, p.SK)
	alloc := func() (*model.UpdateCustomerAccountAmountResponse, error) {
		return c.UpdateCustomerAccountAmount(&model.UpdateCustomerAccountAmountRequest{Body: &model.AdjustAccountReq{CustomerId: cust.ID, Amount: dec("1")}})
	}
	// Error with a chosen status and code, limited by count.
	postFaults(t, srv.URL, `{"faults":[{"operation":"UpdateCustomerAccountAmount","status":500,"code":"CBC.0999","count":2}]}`)
	before := sb.customerBalance(cust.ID)
	for i := 0; i < 2; i++ {
		_, err := alloc()
		wantErr(t, err, 500, "CBC.0999")
	}
	if !sb.customerBalance(cust.ID).Equal(before) {
		t.Fatal("an injected error applied the operation")
	}
	if _, err := alloc(); err != nil {
		t.Fatalf("count exhausted, want success: %v", err)
	}
	// Throttling.
	postFaults(t, srv.URL, `{"faults":[{"operation":"ListPartnerBalances","throttle":true}]}`)
	_, err := c.ListPartnerBalances(&model.ListPartnerBalancesRequest{})
	wantErr(t, err, 429, "APIG.0308")
	// Other operations are untouched.
	if _, err := alloc(); err != nil {
		t.Fatal(err)
	}
	// Latency.
	postFaults(t, srv.URL, `{"faults":[{"operation":"ListPartnerBalances","latency_ms":150}]}`)
	start := time.Now()
	if _, err := c.ListPartnerBalances(&model.ListPartnerBalancesRequest{}); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 150*time.Millisecond {
		t.Fatal("no latency")
	}
	// Drop before: a transport error and nothing applied.
	postFaults(t, srv.URL, `{"faults":[{"operation":"UpdateCustomerAccountAmount","drop":true,"count":1}]}`)
	before = sb.customerBalance(cust.ID)
	_, err = alloc()
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("drop: want a transport error, got %T %v", err, err)
	}
	if !sb.customerBalance(cust.ID).Equal(before) {
		t.Fatal("dropped call was applied")
	}
	// Drop after: a transport error, but the allocation happened.
	postFaults(t, srv.URL, `{"faults":[{"operation":"UpdateCustomerAccountAmount","drop":true,"after":true,"count":1}]}`)
	_, err = alloc()
	if !errors.As(err, &ue) {
		t.Fatalf("drop after: want a transport error, got %T %v", err, err)
	}
	if !sb.customerBalance(cust.ID).Equal(before.Add(decimal.NewFromInt(1))) {
		t.Fatal("drop-after call was not applied")
	}
	// Error rate: 0.5 hits some calls, not all.
	postFaults(t, srv.URL, `{"faults":[{"operation":"*","error_rate":0.5,"status":503,"code":"APIG.0201"}]}`)
	hits := 0
	for i := 0; i < 40; i++ {
		if _, err := c.ListPartnerBalances(&model.ListPartnerBalancesRequest{}); err != nil {
			hits++
		}
	}
	if hits == 0 || hits == 40 {
		t.Fatalf("error_rate 0.5 hit %d/40", hits)
	}
	// DELETE clears; an empty list clears too.
	req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/_sandbox/faults", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 204 {
		t.Fatalf("delete: %v", err)
	}
	if _, err := c.ListPartnerBalances(&model.ListPartnerBalancesRequest{}); err != nil {
		t.Fatal(err)
	}
	postFaults(t, srv.URL, `{"faults":[{"operation":"ListPartnerBalances","throttle":true}]}`)
	postFaults(t, srv.URL, `{"faults":[]}`)
	if _, err := c.ListPartnerBalances(&model.ListPartnerBalancesRequest{}); err != nil {
		t.Fatal(err)
	}
	// Invalid fault JSON → 400.
	resp, _ := http.Post(srv.URL+"/_sandbox/faults", "application/json", bytes.NewBufferString(`{"faults":[{"error_rate":2}]}`))
	if resp.StatusCode != 400 {
		t.Fatalf("invalid fault accepted: %d", resp.StatusCode)
	}
}

// GET /_sandbox/requests (Sandbox.Requests) lists the routed calls with the
// X-Request-Id each was answered with, and how it was authenticated.
func TestRequestLog(t *testing.T) {
	sb, srv, m := newTestSandbox(t)
	sb.ResetStats()
	p := m.Partners[0]
	c := bssClient(t, srv.URL, p.AK, p.SK)
	if _, err := c.ListPartnerBalances(&model.ListPartnerBalancesRequest{}); err != nil {
		t.Fatal(err)
	}
	rs := sb.Requests()
	if len(rs) != 1 || rs[0].Operation != "ListPartnerBalances" || rs[0].RequestID == "" || rs[0].Auth != "aksk" || rs[0].SignedHeaders == "" {
		t.Fatalf("requests %+v", rs)
	}

	sb.ResetStats()
	if len(sb.Requests()) != 0 {
		t.Fatal("reset kept the requests")
	}
}

func TestRequestLogRing(t *testing.T) {
	st := newStats()
	for i := 0; i < maxRecentRequests+5; i++ {
		st.record(Request{Operation: "Op", RequestID: fmt.Sprint(i)})
	}
	rs := st.requests()
	if len(rs) != maxRecentRequests || rs[0].RequestID != "5" || rs[len(rs)-1].RequestID != fmt.Sprint(maxRecentRequests+4) {
		t.Fatalf("ring: %d entries, first %q, last %q", len(rs), rs[0].RequestID, rs[len(rs)-1].RequestID)
	}
}
