package sandbox

import (
	"encoding/json"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestSeedDeterministicAndManifest(t *testing.T) {
	epoch := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	a, err := New(Options{Seed: 42, Customers: 200, Epoch: epoch})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(Options{Seed: 42, Customers: 200, Epoch: epoch})
	c, _ := New(Options{Seed: 43, Customers: 200, Epoch: epoch})
	ma, mb, mc := a.Manifest("http://x"), b.Manifest("http://x"), c.Manifest("http://x")
	if !reflect.DeepEqual(ma, mb) {
		t.Fatal("same seed, different manifests")
	}
	if reflect.DeepEqual(ma, mc) {
		t.Fatal("different seeds, same manifest")
	}
	ja, _ := json.Marshal(a.state.customers)
	jb, _ := json.Marshal(b.state.customers)
	if string(ja) != string(jb) {
		t.Fatal("same seed, different customers")
	}
	if len(a.state.customers) != 200 {
		t.Fatalf("customers %d", len(a.state.customers))
	}

	// Manifest shape.
	kinds := []string{KindTier1, KindTier2, KindTier2, KindProvider}
	if len(ma.Partners) != 4 || ma.Endpoint != "http://x" || ma.IAMEndpoint != "http://x" || len(ma.Customers) > 20 || len(ma.Customers) < 8 {
		t.Fatalf("manifest %+v", ma)
	}
	st := a.state
	for i, p := range ma.Partners {
		if p.Kind != kinds[i] || len(p.AK) != 20 || len(p.SK) != 40 || p.AgencyName == "" || len(p.ID) != 32 {
			t.Fatalf("partner %d %+v", i, p)
		}
		if (p.Kind == KindTier2) != (p.ParentID == ma.Partners[0].ID) {
			t.Fatalf("parent of %+v", p)
		}
		// Showcase: resale, positive balance, quota >= 1000, direct customers.
		show := showcaseOf(ma, p.ID)
		cu := st.customerByID[show.ID]
		if cu.PartnerID != p.ID || cu.AssociationType != "2" || !cu.Balance.IsPositive() || show.AssociationType != "2" {
			t.Fatalf("showcase of %s: %+v", p.Kind, cu)
		}
		pendingOrders := 0
		for _, o := range st.ordersByCustomer[cu.ID] {
			if o.Status == 6 {
				pendingOrders++
			}
		}
		mainWithChild := false
		for _, r := range st.resByCustomer[cu.ID] {
			if r.IsMain && r.Status == 2 && len(r.Children) > 0 {
				mainWithChild = true
			}
		}
		if pendingOrders < 2 || !mainWithChild || len(st.onDemand[cu.ID]) == 0 || len(st.packages[cu.ID]) == 0 {
			t.Fatalf("showcase of %s: pending orders %d, main+child %v, on-demand %d, packages %d",
				p.Kind, pendingOrders, mainWithChild, len(st.onDemand[cu.ID]), len(st.packages[cu.ID]))
		}
		if len(st.customersByPartner[p.ID]) < 2 {
			t.Fatalf("%s has too few customers", p.Kind)
		}
		ok := false
		for _, q := range st.quotas {
			if q.OwnerID == p.ID && q.Status == 0 && q.Balance.GreaterThanOrEqual(decimal.NewFromInt(1000)) {
				ok = true
			}
		}
		if !ok {
			t.Fatalf("%s has no active quota >= 1000", p.Kind)
		}
	}
	for _, mc := range ma.Customers {
		if st.customerByID[mc.ID].PartnerID != mc.PartnerID {
			t.Fatalf("manifest partner_id of %s", mc.ID)
		}
	}
	// Both association types, coupons, child quotas, records.
	types := map[string]int{}
	for _, cu := range st.customers {
		types[cu.AssociationType]++
	}
	children := 0
	for _, q := range st.quotas {
		if q.ParentQuotaID != "" {
			children++
		}
	}
	// One issue record per coupon, one more for each closed (expired or
	// reclaimed) one.
	wantCouponRecords, closed := len(st.coupons), 0
	for _, cp := range st.coupons {
		if cp.Status == 4 || cp.Status == 5 {
			wantCouponRecords++
			closed++
		}
	}
	if types["1"] == 0 || types["2"] == 0 || len(st.coupons) == 0 || children != 2 || len(st.adjustRecords) == 0 || closed == 0 ||
		len(st.couponRecords) != wantCouponRecords || len(st.quotaRecords) != 2 || len(st.partnerChanges) == 0 || len(st.customerChanges) == 0 {
		t.Fatalf("dataset: types %v coupons %d children %d records %d/%d/%d", types, len(st.coupons), children,
			len(st.adjustRecords), len(st.couponRecords), len(st.quotaRecords))
	}
	// Records are consistent with balances: a customer's last change record
	// carries its balance; partner change records chain.
	last := map[string]decimal.Decimal{}
	for _, r := range st.customerChanges {
		last[r.OwnerID] = r.BalanceAfter
	}
	for _, cu := range st.customers {
		if b, ok := last[cu.ID]; ok && !b.Equal(cu.Balance) {
			t.Fatalf("customer %s balance %s, last record %s", cu.ID, cu.Balance, b)
		}
	}
	plast := map[string]decimal.Decimal{}
	for _, r := range st.partnerChanges {
		if prev, ok := plast[r.OwnerID]; ok && !prev.Add(r.Amount).Equal(r.BalanceAfter) {
			t.Fatalf("partner record chain broken at %s", r.ID)
		}
		plast[r.OwnerID] = r.BalanceAfter
	}
	for _, p := range st.partners {
		if b, ok := plast[p.ID]; ok && !b.Equal(p.Balance) {
			t.Fatalf("partner %s balance %s, last record %s", p.AccountName, p.Balance, b)
		}
	}
	money, quota := st.totals()
	if !money.Equal(st.seedMoney) || !quota.Equal(st.seedQuota) {
		t.Fatal("seed totals")
	}
}

// TestNew10000 is a sanity bound (generous against shared CI cores); the
// real number comes from BenchmarkNew10000 below.
func TestNew10000(t *testing.T) {
	start := time.Now()
	sb, err := New(Options{Seed: 1, Customers: 10000})
	if err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	t.Logf("New(10000 customers) took %v", d)
	if d > 5*time.Second {
		t.Fatalf("New(10000) took %v", d)
	}
	if len(sb.state.customers) != 10000 || len(sb.Manifest("http://x").Customers) != 20 {
		t.Fatal("dataset size")
	}
}

// TestSeedOrdersDeterministic: the same seed and epoch give the same
// orders and resources; every showcase customer has the full set.
func TestSeedOrdersDeterministic(t *testing.T) {
	epoch := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	digest := func() ([]string, *Sandbox) {
		sb, err := New(Options{Seed: 5, Customers: 80, Epoch: epoch})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range sb.state.customers {
			for _, o := range sb.state.ordersByCustomer[c.ID] {
				out = append(out, o.ID+o.OfficialAmount.String())
			}
			for _, r := range sb.state.resByCustomer[c.ID] {
				out = append(out, r.ResourceID+r.Expire.String())
			}
		}
		return out, sb
	}
	a, sb := digest()
	b, _ := digest()
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("digests differ in length: %d vs %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("seed not deterministic at %d: %s vs %s", i, a[i], b[i])
		}
	}
	st := sb.state
	for _, p := range st.partners {
		c := st.customersByPartner[p.ID][0]
		pending, done, mains, children := 0, 0, 0, 0
		for _, o := range st.ordersByCustomer[c.ID] {
			if o.Status == 6 && len(o.Discounts) >= 2 && len(o.LineItems) > 0 && o.PaymentDeadline.After(epoch) {
				pending++
			}
			if o.Status == 5 {
				done++
			}
		}
		for _, r := range st.resByCustomer[c.ID] {
			if r.IsMain && r.Status == 2 && r.Expire.After(epoch) {
				mains++
			}
			if !r.IsMain {
				children++
			}
		}
		if pending < 2 || done < 1 || mains < 1 || children < 1 || len(st.onDemand[c.ID]) < 3 || len(st.packages[c.ID]) < 1 {
			t.Errorf("showcase %s: pending %d done %d mains %d children %d on-demand %d packages %d",
				c.ID, pending, done, mains, children, len(st.onDemand[c.ID]), len(st.packages[c.ID]))
		}
	}
}

// ShowcaseResources gives each showcase customer that many main resources
// (for the gateway's batching tests); the default stays 3.
func TestShowcaseResources(t *testing.T) {
	for _, tc := range []struct{ opt, want int }{{0, 3}, {100, 100}} {
		sb, err := New(Options{Seed: 7, Customers: 20, ShowcaseResources: tc.opt})
		if err != nil {
			t.Fatal(err)
		}
		m := sb.Manifest("http://x")
		st := sb.state
		st.mu.Lock()
		main := 0
		for _, r := range st.resByCustomer[m.Customers[0].ID] {
			if r.IsMain {
				main++
			}
		}
		st.mu.Unlock()
		if main != tc.want {
			t.Errorf("ShowcaseResources %d: %d main resources, want %d", tc.opt, main, tc.want)
		}
	}
}

// BenchmarkSeedOrders10000 seeds the orders and resources of 10 000 customers
// (one showcase per 1 250) on fresh state.
func BenchmarkSeedOrders10000(b *testing.B) {
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
			st.seedOrders(rng, c, k%1250 == 0)
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
