package sandbox

import (
	"math/rand"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
)

// BenchmarkListPayPerUseCustomerResources50 lists 50 resources by id for
// one customer through the SDK (partner AK/SK, signature verified).
func BenchmarkListPayPerUseCustomerResources50(b *testing.B) {
	sb, srv, m := newTestSandboxOpts(b, Options{Seed: 1, Customers: 60})
	p := partnerOf(m, KindTier1)
	cu := showcaseOf(m, p.ID)
	var ids []string
	st := sb.state
	st.mu.Lock()
	rng := rand.New(rand.NewSource(9))
	c := st.customerByID[cu.ID]
	for len(st.resByCustomer[c.ID]) < 60 {
		st.seedCompleted(rng, c, &products[rng.Intn(len(products))], 1)
	}
	for _, r := range st.resByCustomer[c.ID][:50] {
		ids = append(ids, r.ResourceID)
	}
	st.mu.Unlock()
	client := bssClient(b, srv.URL, p.AK, p.SK)
	req := &model.ListPayPerUseCustomerResourcesRequest{Body: &model.QueryResourcesReq{
		CustomerId: &cu.ID, ResourceIds: &ids, Limit: ptr(int32(50)),
	}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := client.ListPayPerUseCustomerResources(req)
		if err != nil || len(*resp.Data) != 50 {
			b.Fatalf("%v", err)
		}
	}
}

// BenchmarkListCustomerOrders100 lists a partner's newest 100 orders over
// all its customers in a 10 000-customer sandbox.
func BenchmarkListCustomerOrders100(b *testing.B) {
	_, srv, m := newTestSandboxOpts(b, Options{Seed: 1, Customers: 10000})
	p := partnerOf(m, KindTier1)
	client := bssClient(b, srv.URL, p.AK, p.SK)
	req := &model.ListCustomerOrdersRequest{Limit: ptr(int32(100))}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := client.ListCustomerOrders(req)
		if err != nil || len(*resp.OrderInfos) != 100 {
			b.Fatalf("%v", err)
		}
	}
}

// BenchmarkSeedCommerce10000 seeds the commerce data of 10 000 customers
// (one showcase per 1 250) on fresh state.
func BenchmarkSeedCommerce10000(b *testing.B) {
	custs := make([]*Customer, 10000)
	for i := range custs {
		custs[i] = &Customer{ID: randHex(rand.New(rand.NewSource(int64(i))), 16)}
	}
	epoch := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st := newState(Options{Seed: 1, Epoch: epoch, Now: time.Now})
		rng := rand.New(rand.NewSource(1))
		for k, c := range custs {
			st.seedCommerce(rng, c, k%1250 == 0)
		}
	}
}

// BenchmarkNew10000 builds a whole 10 000-customer sandbox.
func BenchmarkNew10000(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := New(Options{Seed: 1, Customers: 10000}); err != nil {
			b.Fatal(err)
		}
	}
}
