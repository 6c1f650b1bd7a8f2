package loader_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"partnergraph/gateway"
	"partnergraph/loader"
)

// A row of a page reads what the page's prefetch fetched without a
// dataloader Load; rows the prefetch did not fetch (keys an earlier page
// had cached, ids outside the page) still get the same answers, and the
// upstream is asked once per key.
func TestPageFastPathMatchesLoader(t *testing.T) {
	ctx := context.Background()
	s := gateway.Scope{Account: "p1"}
	src := &fakeSource{}
	l := loader.New(src)
	p1 := loader.NewPage(s, []string{"a", "b", "nobalance"})
	p2 := loader.NewPage(s, []string{"b", "c"}) // b is cached by p1 already

	get := func(id string, p *loader.Page) *gateway.CustomerBalance {
		t.Helper()
		b, err := l.CustomerBalance(ctx, s, id, p)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		return b
	}
	a1, b1 := get("a", p1), get("b", p1)
	if a1 == nil || a1.CustomerID != "a" || b1 == nil || b1.CustomerID != "b" {
		t.Fatalf("got %+v %+v", a1, b1)
	}
	if nb := get("nobalance", p1); nb != nil {
		t.Fatalf("nobalance: got %+v, want nil", nb)
	}
	if b2 := get("b", p2); b2 != b1 { // from the loader's cache, same value
		t.Fatalf("b through p2: got %p, want %p", b2, b1)
	}
	if c := get("c", p2); c == nil || c.CustomerID != "c" {
		t.Fatalf("c: got %+v", c)
	}
	if a := get("a", nil); a != a1 { // no page: the loader, same value
		t.Fatalf("a without page: got %p, want %p", a, a1)
	}
	if n := src.balanceCalls.Load(); n != 2 {
		t.Fatalf("balance calls: got %d, want 2 (one per page)", n)
	}
	if got := src.balanceIDs; len(got) != 4 { // a b nobalance, then c
		t.Fatalf("ids asked: %v", got)
	}

	// Quotas: a reseller page reads its rows from the one walk.
	tier1 := gateway.Scope{Account: "t1"}
	rp := loader.NewPage(tier1, []string{"r1", "r2", "r3"})
	for id, want := range map[string]int{"r1": 2, "r2": 1, "r3": 0} {
		qs, err := l.ResellerQuotas(ctx, tier1, id, rp)
		if err != nil || len(qs) != want {
			t.Fatalf("%s: got %d quotas (%v), want %d", id, len(qs), err, want)
		}
	}
	if n := src.quotaCalls.Load(); n != 1 {
		t.Fatalf("quota calls: got %d, want 1", n)
	}
}

// overlapSource answers balances only once the tags call has started (and
// the other way round), or fails after a second.
type overlapSource struct {
	*fakeSource
	inBalance, inTag chan struct{}
}

func (o *overlapSource) CustomerBalances(ctx context.Context, s gateway.Scope, ids []string) (map[string]gateway.CustomerBalance, error) {
	close(o.inBalance)
	select {
	case <-o.inTag:
	case <-time.After(time.Second):
		return nil, errors.New("the tags call did not overlap")
	}
	return o.fakeSource.CustomerBalances(ctx, s, ids)
}

func (o *overlapSource) NewCustomerTags(ctx context.Context, s gateway.Scope, ids []string) (map[string]gateway.NewCustomerTag, error) {
	close(o.inTag)
	select {
	case <-o.inBalance:
	case <-time.After(time.Second):
		return nil, errors.New("the balances call did not overlap")
	}
	return o.fakeSource.NewCustomerTags(ctx, s, ids)
}

// PrefetchCustomerPage runs the page's balance and tag calls side by side,
// once each; rows then read without further calls.
func TestPrefetchCustomerPageOverlaps(t *testing.T) {
	ctx := context.Background()
	s := gateway.Scope{Account: "p1"}
	src := &overlapSource{fakeSource: &fakeSource{}, inBalance: make(chan struct{}), inTag: make(chan struct{})}
	l := loader.New(src)
	p := loader.NewPage(s, []string{"a", "b"})
	l.PrefetchCustomerPage(ctx, p, true, true)
	for _, id := range p.IDs {
		if b, err := l.CustomerBalance(ctx, s, id, p); err != nil || b == nil {
			t.Fatalf("%s: %+v, %v", id, b, err)
		}
		if _, err := l.NewCustomerTag(ctx, s, id, p); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	if b, tg := src.balanceCalls.Load(), src.tagCalls.Load(); b != 1 || tg != 1 {
		t.Fatalf("calls: %d balance, %d tag; want 1 each", b, tg)
	}
	// Only one of the two asked: nothing is fetched ahead.
	src2 := &fakeSource{}
	l2 := loader.New(src2)
	l2.PrefetchCustomerPage(ctx, loader.NewPage(s, []string{"a"}), true, false)
	if src2.balanceCalls.Load()+src2.tagCalls.Load() != 0 {
		t.Fatal("prefetched a field that was not asked for")
	}
}
