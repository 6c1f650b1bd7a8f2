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

func (c *Client) custClientsLen() int { return c.custClients.Len() }

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
	// The least recently used (c0, c1) went; c4 is served from the caches.
	before := fetches.Load()
	cl4, tok4, _ := c.customerClient(ctx, s, "c4")
	cl4b, _, _ := c.customerClient(ctx, s, "c4")
	if cl4 != cl4b || fetches.Load() != before {
		t.Fatal("c4 should be cached")
	}
	if c.custClients.Contains(custKey{"p1", "c0"}) {
		t.Fatal("c0's client should have been evicted")
	}

	// An expired token and its client are not handed out again: the
	// customer gets a new token and a new client in their place.
	clk.Advance(2 * time.Hour)
	cl4c, tok4c, err := c.customerClient(ctx, s, "c4")
	if err != nil {
		t.Fatal(err)
	}
	if cl4c == cl4 || tok4c == tok4 || fetches.Load() != before+1 {
		t.Fatal("c4's expired token or its client was reused")
	}
	if n, m := c.custClientsLen(), c.tokens["p1"].Len(); n != 3 || m != 3 {
		t.Fatalf("after expiry: clients %d, tokens %d; want 3 and 3", n, m)
	}

	// dropToken removes the client of the rejected token only.
	c.dropToken(s, "c4", "other-token")
	if !c.custClients.Contains(custKey{"p1", "c4"}) {
		t.Fatal("dropToken of another token removed the client")
	}
	c.dropToken(s, "c4", tok4c)
	if c.custClients.Contains(custKey{"p1", "c4"}) || c.custClientsLen() != 2 || c.tokens["p1"].Len() != 2 {
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
