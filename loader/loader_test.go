package loader_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"partnergraph/gateway"
	"partnergraph/loader"
)

// fakeSource counts calls and the ids asked for.
type fakeSource struct {
	balanceCalls, tagCalls, fundsCalls, quotaCalls atomic.Int32
	mu                                             sync.Mutex
	balanceIDs                                     []string
	// failBalances is how many balance reads fail before they succeed.
	failBalances int32
	recordCalls  atomic.Int32
	failRecords  bool
}

var _ loader.Source = (*fakeSource)(nil)

func (f *fakeSource) CustomerBalances(ctx context.Context, s gateway.Scope, ids []string) (map[string]gateway.CustomerBalance, error) {
	if f.balanceCalls.Add(1) <= f.failBalances {
		return nil, errors.New("upstream down")
	}
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

func (f *fakeSource) ResourcesByID(ctx context.Context, s gateway.Scope, customerID string, ids []string) (map[string]gateway.Resource, error) {
	return nil, errors.New("not used")
}

func (f *fakeSource) RenewalQuote(ctx context.Context, s gateway.Scope, customerID string, ids []string, periodType, periodNum int) (gateway.RenewalQuote, error) {
	return gateway.RenewalQuote{}, errors.New("not used")
}

func (f *fakeSource) FreeResourceUsages(ctx context.Context, s gateway.Scope, customerID string, ids []string) (map[string]gateway.FreeResourceUsage, error) {
	return nil, errors.New("not used")
}

func (f *fakeSource) OnDemandResources(ctx context.Context, s gateway.Scope, customerID string, p gateway.Window) (gateway.OnDemandList, error) {
	return gateway.OnDemandList{}, errors.New("not used")
}

// CouponRecords gives every coupon asked for three records (issue, reclaim,
// expiry), newest first, paged like the upstream.
func (f *fakeSource) CouponRecords(ctx context.Context, s gateway.Scope, q gateway.CouponRecordQuery) (gateway.CouponRecordList, error) {
	f.recordCalls.Add(1)
	if f.failRecords {
		return gateway.CouponRecordList{}, errors.New("upstream down")
	}
	var all []gateway.CouponRecord
	for _, id := range q.CouponIDs {
		for _, op := range []string{"4", "2", "1"} {
			all = append(all, gateway.CouponRecord{ID: id + "/" + op, CouponID: id, OperationType: op})
		}
	}
	lo := min(q.Offset, len(all))
	hi := min(lo+q.Limit, len(all))
	return gateway.CouponRecordList{Records: all[lo:hi], Total: len(all)}, nil
}

// A page reads all its ids in one call, whatever its length, and answers
// in the order of the ids (nil for a customer without a balance).
func TestPageReadsOnce(t *testing.T) {
	ctx := context.Background()
	s := gateway.Scope{Account: "p1"}
	for _, n := range []int{2, 10, 100, 150} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			src := &fakeSource{}
			l := loader.New(src)
			page := append(ids(n-1), "nobalance")
			bs, err := l.CustomerBalances(ctx, s, page)
			if err != nil || len(bs) != n {
				t.Fatalf("got %d balances, %v", len(bs), err)
			}
			for i, id := range page[:n-1] {
				if bs[i] == nil || bs[i].CustomerID != id {
					t.Fatalf("%d: got %+v, want %s", i, bs[i], id)
				}
			}
			if bs[n-1] != nil {
				t.Fatalf("nobalance: got %+v, want nil", bs[n-1])
			}
			if _, err := l.NewCustomerTags(ctx, s, page); err != nil {
				t.Fatal(err)
			}
			// the fake is not limited to 100 ids; the page makes one call
			if b, tg := src.balanceCalls.Load(), src.tagCalls.Load(); b != 1 || tg != 1 {
				t.Errorf("calls: %d balance, %d tag; want 1 each", b, tg)
			}
		})
	}
}

// Single ids asked side by side (aliased node fields) share one call;
// pages and singles never read an id twice; a new operation's loaders
// share nothing with the last one's.
func TestDedupAcrossPagesAndSingles(t *testing.T) {
	ctx := context.Background()
	s := gateway.Scope{Account: "p1"}
	src := &fakeSource{}
	l := loader.New(src)
	var wg sync.WaitGroup
	for _, id := range []string{"c000", "c001"} {
		wg.Go(func() {
			if bs, err := l.CustomerBalances(ctx, s, []string{id}); err != nil || bs[0] == nil || bs[0].CustomerID != id {
				t.Errorf("%s: %+v, %v", id, bs, err)
			}
		})
	}
	wg.Wait()
	if got := src.balanceCalls.Load(); got != 1 {
		t.Fatalf("two singles: %d calls, want 1", got)
	}
	var pages sync.WaitGroup
	for range 2 {
		pages.Go(func() {
			if _, err := l.CustomerBalances(ctx, s, ids(10)); err != nil {
				t.Error(err)
			}
		})
	}
	pages.Wait()
	seen := map[string]int{}
	for _, id := range src.balanceIDs {
		seen[id]++
		if seen[id] > 1 {
			t.Errorf("id %s fetched twice", id)
		}
	}
	if got := src.balanceCalls.Load(); got != 2 {
		t.Errorf("balance calls: got %d, want 2 (the singles, then the page minus them)", got)
	}
	if bs, err := l.CustomerBalances(ctx, s, []string{"nobalance"}); bs[0] != nil || err != nil {
		t.Errorf("no balance upstream: got %+v, %v; want nil, nil", bs, err)
	}
	l2 := loader.New(src)
	before := src.balanceCalls.Load()
	if _, err := l2.CustomerBalances(ctx, s, []string{"c000"}); err != nil {
		t.Fatal(err)
	}
	if src.balanceCalls.Load() != before+1 {
		t.Error("loaders shared a cache across operations")
	}
}

// A failed page read fails the page and is not remembered: the next read
// asks again.
func TestPageErrorNotRemembered(t *testing.T) {
	ctx := context.Background()
	s := gateway.Scope{Account: "p1"}
	src := &fakeSource{failBalances: 1}
	l := loader.New(src)
	if _, err := l.CustomerBalances(ctx, s, ids(3)); err == nil {
		t.Fatal("want the upstream's error")
	}
	bs, err := l.CustomerBalances(ctx, s, ids(3))
	if err != nil || bs[2] == nil {
		t.Fatalf("second read: %+v, %v", bs, err)
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

// A page of coupons reads the records of all its coupons together:
// ceil(R/100) calls for R records, however many coupons ask at once, and
// each coupon gets its own records in order.
func TestCouponRecordsReadPerPage(t *testing.T) {
	ctx := context.Background()
	s := gateway.Scope{Account: "p1", Indirect: "r1"}
	for _, n := range []int{1, 30, 100} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			src := &fakeSource{}
			l := loader.New(src)
			page := loader.NewCouponPage(s, ids(n))
			var wg sync.WaitGroup
			for _, id := range page.IDs {
				wg.Go(func() {
					recs, err := l.CouponRecords(ctx, page, id)
					if err != nil || len(recs) != 3 || recs[0].ID != id+"/4" || recs[2].ID != id+"/1" {
						t.Errorf("%s: %+v, %v", id, recs, err)
					}
				})
			}
			wg.Wait()
			if got, want := int(src.recordCalls.Load()), (3*n+99)/100; got != want {
				t.Errorf("calls %d, want %d", got, want)
			}
		})
	}
	t.Run("Error", func(t *testing.T) {
		src := &fakeSource{failRecords: true}
		l := loader.New(src)
		page := loader.NewCouponPage(s, ids(5))
		for _, id := range page.IDs {
			if _, err := l.CouponRecords(ctx, page, id); err == nil {
				t.Fatalf("%s: no error", id)
			}
		}
		if n := src.recordCalls.Load(); n != 1 {
			t.Fatalf("calls %d, want 1 (the failure is the page's)", n)
		}
	})
}

// Per-row reads without a batch form run side by side, at most 4 at a
// time per operation; a read waiting for its turn gives up with its ctx.
func TestSideBounded(t *testing.T) {
	l := loader.New(&fakeSource{})
	var inFlight, most atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_ = l.Side(context.Background(), func() error {
				n := inFlight.Add(1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(2 * time.Millisecond)
				inFlight.Add(-1)
				return nil
			})
		})
	}
	wg.Wait()
	if m := most.Load(); m < 2 || m > 4 {
		t.Fatalf("at most %d in flight, want 2-4", m)
	}
	block, started := make(chan struct{}), make(chan struct{})
	for range 4 {
		go func() { _ = l.Side(context.Background(), func() error { started <- struct{}{}; <-block; return nil }) }()
	}
	for range 4 {
		<-started // every slot is taken
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	if err := l.Side(ctx, func() error { ran = true; return nil }); err == nil || ran {
		t.Fatalf("a cancelled read ran (%v) or did not fail: %v", ran, err)
	}
	close(block)
}
