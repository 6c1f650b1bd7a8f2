package sandbox

import (
	"fmt"
	"math/rand"
	"sync"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"
)

// TestConservationUnderConcurrency runs allocations, reclaims, reseller
// funding, coupon issues and reclaims, child-quota issues and reclaims and
// order payments concurrently (run it with -race), then checks that money
// and quota are conserved:
//
//	Σ partner balances + Σ customer balances + spentCash − refundedCash = seedMoney
//	Σ quota balances + Σ coupon balances + spentCoupons = seedQuota
//
// and that no balance went negative.
func TestConservationUnderConcurrency(t *testing.T) {
	sb, srv, m := newTestSandboxOpts(t, Options{Seed: 11, Customers: 120})
	st := sb.state

	// Per partner: its resale customers, its coupon quota.
	st.mu.Lock()
	resale := map[string][]string{}
	quotaOf := map[string]string{}
	for _, p := range st.partners {
		for _, c := range st.customersByPartner[p.ID] {
			if c.AssociationType == "2" {
				resale[p.ID] = append(resale[p.ID], c.ID)
			}
		}
	}
	for _, q := range st.quotas {
		if q.Type == 0 && quotaOf[q.OwnerID] == "" {
			quotaOf[q.OwnerID] = q.ID
		}
	}
	// Pending orders of the showcase customers.
	pending := map[string][]string{}
	for _, p := range st.partners {
		show := st.customersByPartner[p.ID][0]
		for _, o := range st.ordersByCustomer[show.ID] {
			if o.Status == 6 {
				pending[show.ID] = append(pending[show.ID], o.ID)
			}
		}
	}
	adjBefore, cpnBefore, qrBefore := len(st.adjustRecords), len(st.couponRecords), len(st.quotaRecords)
	st.mu.Unlock()

	var wg sync.WaitGroup
	var mu sync.Mutex
	okCount := map[string]int{}
	note := func(op string, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err == nil {
			okCount[op]++
		} else {
			okCount[op+" failed"]++
		}
	}
	const rounds = 40
	for pi, p := range m.Partners {
		c := bssClient(t, srv.URL, p.AK, p.SK)
		custs := resale[p.ID]
		// Allocations and reclaims (two workers per partner).
		for w := 0; w < 2; w++ {
			rng := rand.New(rand.NewSource(int64(pi*10 + w)))
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < rounds; i++ {
					id := custs[rng.Intn(len(custs))]
					amt := decimal.New(int64(1+rng.Intn(500000)), -2)
					if rng.Intn(2) == 0 {
						_, err := c.UpdateCustomerAccountAmount(&model.UpdateCustomerAccountAmountRequest{Body: &model.AdjustAccountReq{CustomerId: id, Amount: &amt}})
						note("allocate", err)
					} else {
						_, err := c.ReclaimToPartnerAccount(&model.ReclaimToPartnerAccountRequest{Body: &model.ReclaimToPartnerAccountBalancesReq{CustomerId: id, Amount: &amt}})
						note("reclaim", err)
					}
				}
			}()
		}
		// Coupons: issue to batches (with a foreign customer), reclaim some.
		rng := rand.New(rand.NewSource(int64(100 + pi)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			foreign := showcaseOf(m, m.Partners[(pi+1)%len(m.Partners)].ID).ID
			for i := 0; i < rounds/2; i++ {
				ids := []string{custs[rng.Intn(len(custs))], custs[rng.Intn(len(custs))], foreign}
				face := decimal.New(int64(100+rng.Intn(90000)), -2)
				resp, err := c.CreatePartnerCoupons(&model.CreatePartnerCouponsRequest{Body: &model.CreatePartnerCouponsReq{QuotaId: quotaOf[p.ID], CustomerIds: ids, FaceValue: &face}})
				note("coupons", err)
				if err == nil {
					mu.Lock()
					okCount["coupons issued"] += len(*resp.CouponInfos)
					mu.Unlock()
				}
				if err == nil && len(*resp.CouponInfos) > 0 && rng.Intn(2) == 0 {
					_, err := c.ReclaimPartnerCoupons(&model.ReclaimPartnerCouponsRequest{Body: &model.ReclaimPartnerCouponsReq{CouponId: (*resp.CouponInfos)[0].CouponId}})
					note("reclaim coupon", err)
				}
			}
		}()
		// The tier-1 funds and reclaims its resellers, and issues and
		// reclaims child quotas.
		if p.Kind == KindTier1 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewSource(7))
				for i := 0; i < rounds; i++ {
					t2 := m.Partners[1+rng.Intn(2)].ID
					amt := decimal.New(int64(1+rng.Intn(5_000_000)), -2)
					switch rng.Intn(4) {
					case 0:
						_, err := c.UpdateIndirectPartnerAccount(&model.UpdateIndirectPartnerAccountRequest{Body: &model.AdjustToIndirectPartnerReq{IndirectPartnerId: t2, Amount: &amt}})
						note("fund reseller", err)
					case 1:
						_, err := c.ReclaimIndirectPartnerAccount(&model.ReclaimIndirectPartnerAccountRequest{Body: &model.ReclaimIndirectPartnerAccountReq{IndirectPartnerId: t2, Amount: &amt}})
						note("reclaim reseller", err)
					case 2:
						q := decimal.New(int64(100+rng.Intn(100000)), -2)
						resp, err := c.UpdateCouponQuotas(&model.UpdateCouponQuotasRequest{Body: &model.AdjustCouponQuotasReq{QuotaId: quotaOf[p.ID], IndirectPartnerIds: []string{t2}, QuotaAmount: &q}})
						note("child quota", err)
						if err == nil && len(*resp.SimpleQuotaInfos) > 0 && rng.Intn(2) == 0 {
							_, err := c.ReclaimCouponQuotas(&model.ReclaimCouponQuotasRequest{Body: &model.ReclaimCouponQuotasReq{QuotaIds: []string{(*resp.SimpleQuotaInfos)[0].QuotaId}}})
							note("reclaim child quota", err)
						}
					case 3:
						// The tier-1 funds a reseller's customer from the reseller's balance.
						ids := resale[t2]
						_, err := c.UpdateCustomerAccountAmount(&model.UpdateCustomerAccountAmountRequest{Body: &model.AdjustAccountReq{CustomerId: ids[rng.Intn(len(ids))], Amount: &amt, IndirectPartnerId: &t2}})
						note("allocate indirect", err)
					}
				}
			}()
		}
		// Payments: the showcase customer pays its pending orders, with a
		// coupon when it has one.
		show := showcaseOf(m, p.ID)
		orders := pending[show.ID]
		if len(orders) > 0 {
			cc := bssTokenClient(t, srv.URL, customerToken(t, srv.URL, p, show.ID))
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, oid := range orders {
					req := &model.PayCustomerOrderV3Req{OrderId: oid, UseCoupon: "NO", UseDiscount: "NO"}
					if cs, err := cc.ListSubCustomerCoupons(&model.ListSubCustomerCouponsRequest{Status: ptr(int32(2))}); err == nil && len(*cs.UserCoupons) > 0 {
						req.UseCoupon = "YES"
						req.CouponInfos = &[]model.CouponSimpleInfoOrderPayV3{{Id: *(*cs.UserCoupons)[0].CouponId, Type: 301}}
					}
					_, err := cc.PayOrders(&model.PayOrdersRequest{Body: req})
					if err != nil && req.UseCoupon == "YES" { // coupon not applicable: pay without
						req.UseCoupon, req.CouponInfos = "NO", nil
						_, err = cc.PayOrders(&model.PayOrdersRequest{Body: req})
					}
					note("pay", err)
				}
			}()
		}
	}
	wg.Wait()
	t.Logf("operations: %v", okCount)
	if okCount["pay"] == 0 || okCount["allocate"] == 0 || okCount["reclaim"] == 0 || okCount["coupons"] == 0 {
		t.Fatalf("too few successful operations: %v", okCount)
	}

	st.mu.Lock()
	defer st.mu.Unlock()
	money, quota := st.totals()
	if got := money.Add(st.spentCash).Sub(st.refundedCash); !got.Equal(st.seedMoney) {
		t.Fatalf("money not conserved: balances %s + spent %s - refunded %s = %s, seed %s", money, st.spentCash, st.refundedCash, got, st.seedMoney)
	}
	if got := quota.Add(st.spentCoupons); !got.Equal(st.seedQuota) {
		t.Fatalf("quota not conserved: %s + spent coupons %s = %s, seed %s", quota, st.spentCoupons, got, st.seedQuota)
	}
	if !st.spentCash.IsPositive() {
		t.Fatal("no payment debited cash")
	}
	for _, p := range st.partners {
		if p.Balance.IsNegative() {
			t.Fatalf("partner %s negative", p.AccountName)
		}
	}
	for _, c := range st.customers {
		if c.Balance.IsNegative() {
			t.Fatalf("customer %s negative", c.ID)
		}
	}
	for _, q := range st.quotas {
		if q.Balance.IsNegative() {
			t.Fatalf("quota %s negative", q.ID)
		}
	}
	// Every movement shows up in the records.
	if got, want := len(st.adjustRecords)-adjBefore, okCount["allocate"]+okCount["reclaim"]+okCount["allocate indirect"]; got != want {
		t.Fatalf("adjust records +%d, want +%d", got, want)
	}
	if got, want := len(st.couponRecords)-cpnBefore, okCount["coupons issued"]+okCount["reclaim coupon"]; got != want {
		t.Fatalf("coupon records +%d, want +%d", got, want)
	}
	if got, want := len(st.quotaRecords)-qrBefore, okCount["child quota"]+okCount["reclaim child quota"]; got != want {
		t.Fatalf("quota records +%d, want +%d", got, want)
	}
	// Every partner movement since seeding has a chained record.
	last := map[string]decimal.Decimal{}
	for _, r := range st.partnerChanges {
		if prev, ok := last[r.OwnerID]; ok && !prev.Add(r.Amount).Equal(r.BalanceAfter) {
			t.Fatal(fmt.Sprintf("partner change chain broken at %s", r.ID))
		}
		last[r.OwnerID] = r.BalanceAfter
	}
}

// TestOverAllocationRace: concurrent allocations that together exceed the
// partner's allocatable balance; exactly as many succeed as fit.
func TestOverAllocationRace(t *testing.T) {
	sb, srv, m := newTestSandbox(t)
	p := m.Partners[2] // a tier-2
	c := bssClient(t, srv.URL, p.AK, p.SK)
	sb.state.mu.Lock()
	pp := sb.state.partnerByID[p.ID]
	each := pp.Balance.Sub(pp.Designated).Div(decimal.NewFromInt(5)).Truncate(2).Add(decimal.RequireFromString("0.01"))
	sb.state.mu.Unlock()
	cust := showcaseOf(m, p.ID)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, insufficient := 0, 0
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.UpdateCustomerAccountAmount(&model.UpdateCustomerAccountAmountRequest{Body: &model.AdjustAccountReq{CustomerId: cust.ID, Amount: &each}})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
			} else if e := sdkErr(t, err); e.ErrorCode == "CBC.99005003" {
				insufficient++
			}
		}()
	}
	wg.Wait()
	if ok != 4 || insufficient != 6 {
		t.Fatalf("ok %d, insufficient %d; want 4 and 6", ok, insufficient)
	}
	if bal := sb.partnerBalance(p.ID); bal.LessThan(decimal.NewFromInt(10000)) {
		t.Fatalf("designated amount was allocated: %s", bal)
	}
}

// TestPaymentsAndRefundsUnderConcurrency pays, renews (auto-pay) and unsubscribes
// concurrently for one customer and checks that its balance moved by
// exactly refunds − cash payments, and never went negative.
func TestPaymentsAndRefundsUnderConcurrency(t *testing.T) {
	f := newFixture(t, KindTier1)
	var bal0, spent0, refunded0 decimal.Decimal
	f.locked(func(st *State) {
		bal0, spent0, refunded0 = st.customerByID[f.cust.ID].Balance, st.spentCash, st.refundedCash
	})
	mains := f.resources(t, true)
	six := int32(6)
	pending := f.orders(t, &six, nil)
	done := make(chan struct{})
	for i := 0; i < 4; i++ {
		go func(i int) {
			defer func() { done <- struct{}{} }()
			for k, r := range mains {
				id := *r.ResourceId
				switch (i + k) % 3 {
				case 0:
					_, _ = f.cc.RenewalResources(&model.RenewalResourcesRequest{Body: &model.RenewalResourcesReq{ResourceIds: []string{id}, PeriodType: 2, PeriodNum: 1, IsAutoPay: ptr(int32(1))}})
				case 1:
					_, _ = f.cc.CancelResourcesSubscription(&model.CancelResourcesSubscriptionRequest{Body: &model.UnsubscribeResourcesReq{ResourceIds: []string{id}, UnsubscribeType: 1}})
				case 2:
					for _, o := range pending {
						_, _ = f.cc.PayOrders(&model.PayOrdersRequest{Body: &model.PayCustomerOrderV3Req{OrderId: *o.OrderId, UseCoupon: "NO", UseDiscount: "NO"}})
					}
				}
			}
		}(i)
	}
	for i := 0; i < 4; i++ {
		<-done
	}
	f.locked(func(st *State) {
		bal := st.customerByID[f.cust.ID].Balance
		want := bal0.Sub(st.spentCash.Sub(spent0)).Add(st.refundedCash.Sub(refunded0))
		if !bal.Equal(want) || bal.IsNegative() {
			t.Fatalf("balance %s, want %s (spent %s, refunded %s)", bal, want, st.spentCash.Sub(spent0), st.refundedCash.Sub(refunded0))
		}
		if st.refundedCash.Equal(refunded0) || st.spentCash.Equal(spent0) {
			t.Fatalf("nothing happened: spent %s refunded %s", st.spentCash.Sub(spent0), st.refundedCash.Sub(refunded0))
		}
		for _, o := range pending {
			if st.orders[*o.OrderId].Status != 5 {
				t.Errorf("order %s status %d", *o.OrderId, st.orders[*o.OrderId].Status)
			}
		}
	})
}
