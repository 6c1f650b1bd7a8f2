package gateway

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"partnergraph/gateway/custtoken"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// tokenTestClient is a Client whose account p1 gets customer tokens valid
// for an hour of clk from a counter instead of IAM (customerClient builds
// SDK clients without calling anyone).
func tokenTestClient(t *testing.T, clk *testClock, max int) (*Client, *atomic.Int64) {
	t.Helper()
	c, err := New(Config{Endpoint: "http://127.0.0.1:9", IAMEndpoint: "http://127.0.0.1:9",
		Accounts: []Account{{ID: "p1", Kind: KindProvider, AK: "AK", SK: "SK", AgencyName: "agency"}},
		Now:      clk.Now, MaxCustomers: max})
	if err != nil {
		t.Fatal(err)
	}
	var fetches atomic.Int64
	c.tokens["p1"] = custtoken.New(func(_ context.Context, id string) (custtoken.Token, error) {
		n := fetches.Add(1)
		return custtoken.Token{Value: fmt.Sprintf("%s-%d", id, n), ExpiresAt: clk.Now().Add(time.Hour)}, nil
	}, custtoken.Options{Now: clk.Now, MaxEntries: max})
	return c, &fetches
}

func (c *Client) custClientsLen() int {
	c.custMu.Lock()
	defer c.custMu.Unlock()
	return c.custClients.Len()
}

func TestCustomerClientsBounded(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
	c, fetches := tokenTestClient(t, clk, 3)
	s := Scope{Account: "p1"}
	ctx := context.Background()

	// The cap holds: five customers, at most three clients and tokens.
	for i := 0; i < 5; i++ {
		clk.Advance(time.Second) // later customers expire later
		if _, _, err := c.customerClient(ctx, s, fmt.Sprintf("c%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n, m := c.custClientsLen(), c.tokens["p1"].Len(); n != 3 || m != 3 {
		t.Fatalf("clients %d, tokens %d; want 3 and 3", n, m)
	}
	// The soonest-expiring (c0, c1) went; c4 is served from the caches.
	before := fetches.Load()
	cl4, _, _ := c.customerClient(ctx, s, "c4")
	cl4b, _, _ := c.customerClient(ctx, s, "c4")
	if cl4 != cl4b || fetches.Load() != before {
		t.Fatal("c4 should be cached")
	}
	c.custMu.Lock()
	_, _, has0 := c.custClients.Get(custKey{"p1", "c0"})
	c.custMu.Unlock()
	if has0 {
		t.Fatal("c0's client should have been evicted")
	}

	// Expired entries disappear on the next insert.
	clk.Advance(2 * time.Hour)
	if _, _, err := c.customerClient(ctx, s, "fresh"); err != nil {
		t.Fatal(err)
	}
	if n, m := c.custClientsLen(), c.tokens["p1"].Len(); n != 1 || m != 1 {
		t.Fatalf("after expiry: clients %d, tokens %d; want 1 and 1", n, m)
	}

	// dropToken removes the client of the rejected token only.
	_, tok, _ := c.customerClient(ctx, s, "fresh")
	c.dropToken(s, "fresh", "other-token")
	if c.custClientsLen() != 1 {
		t.Fatal("dropToken of another token removed the client")
	}
	c.dropToken(s, "fresh", tok)
	if c.custClientsLen() != 0 || c.tokens["p1"].Len() != 0 {
		t.Fatal("dropToken kept the client or the token")
	}
}

// Many customers, concurrent requests, rejected tokens and a moving clock:
// the caches stay within the cap (run with -race).
func TestCustomerClientsConcurrent(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
	const max = 8
	c, _ := tokenTestClient(t, clk, max)
	s := Scope{Account: "p1"}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var tick sync.WaitGroup
	tick.Add(1)
	go func() {
		defer tick.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
				clk.Advance(5 * time.Minute)
			}
		}
	}()
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			r := rand.New(rand.NewSource(int64(g)))
			for i := 0; i < 300; i++ {
				id := fmt.Sprintf("c%d", r.Intn(40))
				_, tok, err := c.customerClient(context.Background(), s, id)
				if err != nil {
					t.Error(err)
					return
				}
				if r.Intn(10) == 0 {
					c.dropToken(s, id, tok)
				}
				if n := c.custClientsLen(); n > max {
					t.Errorf("clients %d > %d", n, max)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(stop)
	tick.Wait()
	if n, m := c.custClientsLen(), c.tokens["p1"].Len(); n > max || m > max {
		t.Fatalf("clients %d, tokens %d; cap %d", n, m, max)
	}
}
