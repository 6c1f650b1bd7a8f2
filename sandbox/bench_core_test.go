package sandbox

import (
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
)

// Benchmarks of the hottest list and batch operations through the real SDK
// (signing, HTTP over loopback, JSON both ways) against a 10 000-customer
// sandbox, as the tier-1 distributor.

// benchSetup returns the server URL, the tier-1 and 200 of its customer ids.
func benchSetup(b *testing.B) (string, ManifestPartner, []string) {
	sb, srv, m := newTestSandboxOpts(b, Options{Seed: 1, Customers: 10000})
	p := partnerOf(m, KindTier1)
	sb.state.mu.Lock()
	var ids []string
	for _, c := range sb.state.customersByPartner[p.ID][:200] {
		ids = append(ids, c.ID)
	}
	sb.state.mu.Unlock()
	return srv.URL, p, ids
}

func BenchmarkListSubCustomers100(b *testing.B) {
	_, srv, m := newTestSandboxOpts(b, Options{Seed: 1, Customers: 10000})
	p := partnerOf(m, KindTier1)
	c := bssClient(b, srv.URL, p.AK, p.SK)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		off := int32((i * 100) % 3000)
		resp, err := c.ListSubCustomers(&model.ListSubCustomersRequest{Body: &model.QuerySubCustomerListReq{Offset: &off, Limit: ptr(int32(100))}})
		if err != nil || len(*resp.CustomerInfos) != 100 {
			b.Fatal(err)
		}
	}
}

func BenchmarkListCustomersBalancesDetail100(b *testing.B) {
	srv, p, ids := benchSetup(b)
	c := bssClient(b, srv, p.AK, p.SK)
	infos := make([]model.CustomerInfoV2, 100)
	for i := range infos {
		infos[i].CustomerId = ids[i]
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := c.ListCustomersBalancesDetail(&model.ListCustomersBalancesDetailRequest{Body: &model.QueryCustomersBalancesReq{CustomerInfos: infos}})
		if err != nil || len(*resp.CustomerBalances) != 100 {
			b.Fatal(err)
		}
	}
}

func BenchmarkListSubCustomerNewTag200(b *testing.B) {
	srv, p, ids := benchSetup(b)
	c := bssClient(b, srv, p.AK, p.SK)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := c.ListSubCustomerNewTag(&model.ListSubCustomerNewTagRequest{Body: &model.ListSubCustomerNewTagReq{CustomerIds: &ids, Limit: ptr(int32(200))}})
		if err != nil || len(*resp.NewCustomerTags) != 200 {
			b.Fatal(err)
		}
	}
}

func BenchmarkUpdateCustomerAccountAmount(b *testing.B) {
	_, srv, m := newTestSandboxOpts(b, Options{Seed: 1, Customers: 10000})
	p := partnerOf(m, KindTier1)
	cust := showcaseOf(m, p.ID)
	c := bssClient(b, srv.URL, p.AK, p.SK)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.UpdateCustomerAccountAmount(&model.UpdateCustomerAccountAmountRequest{Body: &model.AdjustAccountReq{CustomerId: cust.ID, Amount: dec("0.01")}}); err != nil {
			b.Fatal(err)
		}
	}
}
