package loader_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/shopspring/decimal"

	"partnergraph/gateway"
	"partnergraph/loader"
)

// fakeSource counts calls and the ids asked for.
type fakeSource struct {
	balanceCalls, tagCalls, fundsCalls, quotaCalls atomic.Int32
	mu                                             sync.Mutex
	balanceIDs                                     []string
}

var _ loader.Source = (*fakeSource)(nil)

func (f *fakeSource) CustomerBalances(ctx context.Context, s gateway.Scope, ids []string) (map[string]gateway.CustomerBalance, error) {
	f.balanceCalls.Add(1)
	f.mu.Lock()
	f.balanceIDs = append(f.balanceIDs, ids...)
	f.mu.Unlock()
	out := map[string]gateway.CustomerBalance{}
	for _, id := range ids {
		if id != "nobalance" {
			out[id] = gateway.CustomerBalance{CustomerID: id, Available: gateway.Money{Amount: decimal.NewFromInt(int64(len(id))), Currency: "CNY"}}
		}
	}
	return out, nil
}

func (f *fakeSource) NewCustomerTags(ctx context.Context, s gateway.Scope, ids []string) (map[string]gateway.NewCustomerTag, error) {
	f.tagCalls.Add(1)
	return map[string]gateway.NewCustomerTag{}, nil
}

func (f *fakeSource) Funds(ctx context.Context, s gateway.Scope) ([]gateway.Fund, error) {
	f.fundsCalls.Add(1)
	return []gateway.Fund{{AccountID: s.PartnerID()}}, nil
}

func (f *fakeSource) IssuedQuotas(ctx context.Context, s gateway.Scope, q gateway.IssuedQuotaQuery) (gateway.QuotaList, error) {
	f.quotaCalls.Add(1)
	return gateway.QuotaList{Quotas: []gateway.Quota{{ID: "q1", ResellerID: "r1"}, {ID: "q2", ResellerID: "r2"}, {ID: "q3", ResellerID: "r1"}}, Total: 3}, nil
}

func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("c%03d", i)
	}
	return out
}

func TestPagePrefetch(t *testing.T) {
	ctx := context.Background()
	s := gateway.Scope{Account: "p1"}
	for _, n := range []int{1, 10, 100, 150} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			src := &fakeSource{}
			l := loader.New(src)
			page := loader.NewPage(s, ids(n))
			var wg sync.WaitGroup
			for _, id := range page.IDs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					b, err := l.CustomerBalance(ctx, s, id, page)
					if err != nil || b == nil || b.CustomerID != id {
						t.Errorf("%s: got %+v, %v", id, b, err)
					}
					if _, err := l.NewCustomerTag(ctx, s, id, page); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			// the fake is not limited to 100 ids; the page makes one call
			if got := src.balanceCalls.Load(); got != 1 {
				t.Errorf("balance calls: got %d, want 1", got)
			}
			if got := src.tagCalls.Load(); got != 1 {
				t.Errorf("tag calls: got %d, want 1", got)
			}
		})
	}
}

func TestDedupAcrossPagesAndSingles(t *testing.T) {
	ctx := context.Background()
	s := gateway.Scope{Account: "p1"}
	src := &fakeSource{}
	l := loader.New(src)
	// a single load first, then two pages sharing ids
	if _, err := l.CustomerBalance(ctx, s, "c000", nil); err != nil {
		t.Fatal(err)
	}
	p1, p2 := loader.NewPage(s, ids(10)), loader.NewPage(s, ids(10))
	for _, p := range []*loader.Page{p1, p2} {
		for _, id := range p.IDs {
			if _, err := l.CustomerBalance(ctx, s, id, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	seen := map[string]int{}
	for _, id := range src.balanceIDs {
		seen[id]++
		if seen[id] > 1 {
			t.Errorf("id %s fetched twice", id)
		}
	}
	if got := src.balanceCalls.Load(); got != 2 {
		t.Errorf("balance calls: got %d, want 2 (the single, then the page minus it)", got)
	}
	// no balance upstream -> nil, not an error
	if b, err := l.CustomerBalance(ctx, s, "nobalance", nil); b != nil || err != nil {
		t.Errorf("got %+v, %v", b, err)
	}
	// a new request's loaders share nothing
	l2 := loader.New(src)
	before := src.balanceCalls.Load()
	if _, err := l2.CustomerBalance(ctx, s, "c000", nil); err != nil {
		t.Fatal(err)
	}
	if src.balanceCalls.Load() != before+1 {
		t.Error("loaders shared a cache across requests")
	}
}

func TestResellerPage(t *testing.T) {
	ctx := context.Background()
	tier1 := gateway.Scope{Account: "t1"}
	src := &fakeSource{}
	l := loader.New(src)
	page := loader.NewPage(tier1, []string{"r1", "r2", "r3"})
	for _, r := range page.IDs {
		fs, err := l.Funds(ctx, gateway.Scope{Account: "t1", Indirect: r}, page)
		if err != nil || len(fs) != 1 || fs[0].AccountID != r {
			t.Fatalf("%s funds: %+v %v", r, fs, err)
		}
		qs, err := l.ResellerQuotas(ctx, tier1, r, page)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"r1": 2, "r2": 1, "r3": 0}[r]
		if len(qs) != want {
			t.Errorf("%s quotas: got %d, want %d", r, len(qs), want)
		}
	}
	if got := src.fundsCalls.Load(); got != 3 {
		t.Errorf("funds calls: got %d, want 3 (one per reseller, no batch upstream)", got)
	}
	if got := src.quotaCalls.Load(); got != 1 {
		t.Errorf("issued quota calls: got %d, want 1", got)
	}
}
