package sandbox

import (
	"net/http/httptest"
	"testing"
	"time"

	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"
)

// fixture is a seeded sandbox on a test clock with one partner's showcase
// customer and clients for both sides.
type fixture struct {
	sb      *Sandbox
	srv     *httptest.Server
	m       Manifest
	clock   *testClock
	partner ManifestPartner
	cust    ManifestCustomer
	pc      *bss.BssClient // partner AK/SK
	cc      *bss.BssClient // customer token
}

// newFixture starts a sandbox on a test clock (set to the real time:
// signatures must stay within 15 minutes of it, so tests move it by
// minutes only) and builds the clients of partnerKind's showcase customer.
func newFixture(t testing.TB, partnerKind string) *fixture {
	t.Helper()
	clk := newTestClock()
	epoch := clk.t.Truncate(24 * time.Hour)
	sb, srv, m := newTestSandboxOpts(t, Options{Seed: 1, Customers: 60, Epoch: epoch, Now: clk.Now, ReviewDelay: time.Minute})
	p := partnerOf(m, partnerKind)
	cu := showcaseOf(m, p.ID)
	return &fixture{
		sb: sb, srv: srv, m: m, clock: clk, partner: p, cust: cu,
		pc: bssClient(t, srv.URL, p.AK, p.SK),
		cc: bssTokenClient(t, srv.URL, customerToken(t, srv.URL, p, cu.ID)),
	}
}

// locked runs fn under the state lock.
func (f *fixture) locked(fn func(st *State)) {
	st := f.sb.state
	st.mu.Lock()
	defer st.mu.Unlock()
	fn(st)
}

func (f *fixture) balance() decimal.Decimal {
	var b decimal.Decimal
	f.locked(func(st *State) { b = st.customerByID[f.cust.ID].Balance })
	return b
}

// orders lists the showcase customer's orders through the partner.
func (f *fixture) orders(t testing.TB, status *int32, orderType *string) []model.CustomerOrderV2 {
	t.Helper()
	resp, err := f.pc.ListCustomerOrders(&model.ListCustomerOrdersRequest{
		CustomerId: ptr(f.cust.ID), Status: status, OrderType: orderType, Limit: ptr(int32(100)),
	})
	if err != nil {
		t.Fatalf("ListCustomerOrders: %v", err)
	}
	return *resp.OrderInfos
}

// resources lists the showcase customer's yearly/monthly resources through
// the customer token.
func (f *fixture) resources(t testing.TB, mainOnly bool) []model.OrderInstanceV2 {
	t.Helper()
	req := &model.QueryResourcesReq{Limit: ptr(int32(500))}
	if mainOnly {
		req.OnlyMainResource = ptr(int32(1))
	}
	resp, err := f.cc.ListPayPerUseCustomerResources(&model.ListPayPerUseCustomerResourcesRequest{Body: req})
	if err != nil {
		t.Fatalf("ListPayPerUseCustomerResources: %v", err)
	}
	return *resp.Data
}

// resource returns one resource by id.
func (f *fixture) resource(t testing.TB, id string) model.OrderInstanceV2 {
	t.Helper()
	resp, err := f.cc.ListPayPerUseCustomerResources(&model.ListPayPerUseCustomerResourcesRequest{
		Body: &model.QueryResourcesReq{ResourceIds: &[]string{id}},
	})
	if err != nil {
		t.Fatalf("ListPayPerUseCustomerResources(%s): %v", id, err)
	}
	if len(*resp.Data) != 1 {
		t.Fatalf("resource %s: got %d rows", id, len(*resp.Data))
	}
	return (*resp.Data)[0]
}

// mainWithChild returns an in-use main resource that has children, and one
// child id.
func (f *fixture) mainWithChild(t testing.TB) (string, string) {
	t.Helper()
	for _, r := range f.resources(t, false) {
		if *r.IsMainResource == 0 && *r.Status == 2 {
			return *r.ParentResourceId, *r.ResourceId
		}
	}
	t.Fatal("no main resource with children")
	return "", ""
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
